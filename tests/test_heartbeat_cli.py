"""The heartbeat from the command line: OS scheduler files, unattended unlock, concurrent runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import PASSPHRASE, REPO, run_cli

from engine.api import Engine
from engine.errors import ProfileLocked


def test_install_dry_run_prints_and_writes_nothing(tmp_path: Path) -> None:
    home = tmp_path / "user"
    for kind, expected in [
        ("systemd", "OnUnitActiveSec=30min"),
        ("cron", "*/30 * * * *"),
        ("launchd", "<key>StartInterval</key><integer>1800</integer>"),
        ("schtasks", "schtasks /Create"),
    ]:
        result = run_cli(
            "--home",
            str(tmp_path / "p"),
            "heartbeat",
            "install",
            "--dry-run",
            "--scheduler",
            kind,
            env={"HOME": str(home)},
        )
        assert result.returncode == 0, result.stderr
        assert expected in result.stdout and "heartbeat" in result.stdout and "--quiet" in result.stdout
    assert not home.exists()


@pytest.mark.parametrize(
    ("kind", "files"),
    [
        (
            "systemd",
            [".config/systemd/user/lifeos-heartbeat.service", ".config/systemd/user/lifeos-heartbeat.timer"],
        ),
        ("launchd", ["Library/LaunchAgents/app.lifeos.heartbeat.plist"]),
    ],
)
def test_install_into_a_temporary_home(tmp_path: Path, kind: str, files: list[str]) -> None:
    profile, user = tmp_path / "p", tmp_path / "user"
    env = {"HOME": str(user), "XDG_CONFIG_HOME": str(user / ".config")}
    assert run_cli("--home", str(profile), "init").returncode == 0
    result = run_cli(
        "--home", str(profile), "heartbeat", "install", "--scheduler", kind, "--no-activate", env=env
    )
    assert result.returncode == 0, result.stderr
    assert all((user / name).is_file() for name in files)
    service = (user / files[0]).read_text()
    assert str(profile) in service and "heartbeat" in service
    assert PASSPHRASE not in service  # the passphrase is never written into a scheduler file
    # The scheduler's run needs no passphrase now (unattended key), and a locked-out run explains itself.
    run = run_cli("--home", str(profile), "heartbeat", "run", "--json", passphrase=None, env=env)
    assert run.returncode == 0, run.stderr
    assert [r["role"] for r in json.loads(run.stdout)["results"]] == [
        "synthesis",
        "extract",
        "checkins",
        "index",
        "reflection",
    ]
    removed = run_cli(
        "--home", str(profile), "heartbeat", "uninstall", "--scheduler", kind, "--no-activate", env=env
    )
    assert removed.returncode == 0 and all(not (user / name).exists() for name in files)
    locked = run_cli("--home", str(profile), "heartbeat", "run", passphrase=None, env=env)
    assert locked.returncode == 3 and "unattended unlock is not enabled" in locked.stderr


def test_unattended_key_stays_out_of_the_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    home = tmp_path / "p"
    Engine.create(home, PASSPHRASE).close()
    secret_file = Engine.enable_unattended(home, PASSPHRASE)
    assert not secret_file.is_relative_to(home) and secret_file.stat().st_mode & 0o077 == 0
    Engine.open_unattended(home).close()
    # A copy of the profile folder (a backup, a stolen disk image) does not carry the device secret.
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(home), str(copy)], check=True)
    with pytest.raises(ProfileLocked):
        Engine.open_unattended(copy)
    Engine.disable_unattended(home)
    with pytest.raises(ProfileLocked):
        Engine.open_unattended(home)


RUNNER = """
import sys
from app.cli import main
sys.exit(main(["--home", sys.argv[1], "heartbeat", "run", "--role", "checkins", "--json"]))
"""


def test_two_concurrent_runs_never_double_deliver(tmp_path: Path) -> None:
    home = tmp_path / "p"
    with Engine.create(home, PASSPHRASE, use_embedder=False) as engine:
        for i in range(5):
            engine.memory.create_entity(
                "project", f"Project {i}", deadline=(date.today() + timedelta(days=1)).isoformat()
            )
        engine.heartbeat.set_active_hours("0-24")
        engine.heartbeat.set_quiet_hours(None)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LIFEOS_")},
        "LIFEOS_PASSPHRASE": PASSPHRASE,
    }
    for _ in range(3):  # a few rounds: the race must never deliver twice
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", RUNNER, str(home)],
                cwd=REPO,
                env=env,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [json.loads(p.communicate(timeout=120)[0]) for p in procs]
        assert all(p.returncode == 0 for p in procs)
        with Engine.open(home, PASSPHRASE, use_embedder=False) as engine:
            for item in engine.heartbeat.inbox():
                engine.heartbeat.mark_done(item.id)
    sent = [t for out in outputs for r in out["results"] for t in r["delivered"]]
    with Engine.open(home, PASSPHRASE, use_embedder=False) as engine:
        titles = [i.title for i in engine.heartbeat.inbox(include_done=True)]
    assert sorted(titles) == sorted(f"Project {i} is due tomorrow" for i in range(5))
    assert sent == []  # later rounds found everything delivered already
