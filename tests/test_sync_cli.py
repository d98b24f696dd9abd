"""`lifeos sync …` and `lifeos-server` as a person runs them: separate processes, a real socket."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from testkit.sync_devices import new_device
from testkit.sync_server import free_port
from tests.conftest import PASSPHRASE, REPO, run_cli


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "backend.cli",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--data",
                str(tmp_path / "data"),
            ],
            cwd=REPO,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(url + "/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, log.read_text()
                assert process.poll() is None, log.read_text()
                time.sleep(0.1)
            yield url, log
        finally:
            process.terminate()
            process.wait(timeout=20)


def test_setup_pair_join_sync_status_devices_revoke(tmp_path: Path, server: tuple[str, Path]) -> None:
    url, log = server
    homes = [tmp_path / "a", tmp_path / "b"]
    for home in homes:
        new_device(home).close()
    a, b = (["--home", str(h)] for h in homes)

    setup = run_cli(*a, "sync", "setup", "--server", url)
    assert setup.returncode == 0, setup.stderr
    assert run_cli(*a, "note", "add", "written on the laptop").returncode == 0

    env = {k: v for k, v in os.environ.items() if not k.startswith("LIFEOS_")} | {
        "LIFEOS_PASSPHRASE": PASSPHRASE
    }
    pair = subprocess.Popen(
        [sys.executable, "-m", "app.cli", *a, "sync", "pair", "--json", "--timeout", "60"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        offer = json.loads(pair.stdout.readline())
        assert set(offer) == {"code", "uri", "expires_at"} and offer["uri"].endswith("@" + url)
        join = run_cli(*b, "sync", "join", offer["code"], "--server", url)
        assert join.returncode == 0, join.stderr
        joined = json.loads(pair.stdout.readline())
        assert pair.wait(timeout=30) == 0
    finally:
        pair.kill()
        pair.wait()

    assert run_cli(*a, "sync", "now").returncode == 0
    now = run_cli(*b, "sync", "now", "--json")
    assert now.returncode == 0, now.stderr
    assert json.loads(now.stdout)["applied"] >= 1
    listed = run_cli(*b, "note", "list", "--json")
    assert "written on the laptop" in [n["body"] for n in json.loads(listed.stdout)]

    status = json.loads(run_cli(*b, "sync", "status", "--json").stdout)
    assert status["configured"] and status["server"] == url and status["pending"] == 0
    assert status["device_id"] == joined["joined"]
    devices = json.loads(run_cli(*a, "sync", "devices", "--json").stdout)
    assert {d["device_id"] for d in devices} == {status["device_id"], devices[0]["device_id"]} and len(
        devices
    ) == 2

    # the OS scheduler's heartbeat syncs too
    assert run_cli(*a, "note", "add", "written before the heartbeat").returncode == 0
    beat = run_cli(*a, "heartbeat", "run", "--role", "checkins", "--json")
    assert beat.returncode == 0, beat.stderr
    assert json.loads(run_cli(*a, "sync", "status", "--json").stdout)["pending"] == 0

    rotated = run_cli(*a, "sync", "rotate-key")
    assert rotated.returncode == 0 and "blobs re-sealed" in rotated.stdout
    assert run_cli(*b, "sync", "now").returncode == 0  # b takes the new key and still reads everything
    revoke = run_cli(*a, "sync", "revoke", status["device_id"])
    assert revoke.returncode == 0 and "Revoked" in revoke.stdout
    refused = run_cli(*b, "sync", "now")
    assert refused.returncode == 4 and "revoked" in refused.stderr

    bad = run_cli(*b, "sync", "join", "nonsense", "--server", url)
    assert bad.returncode == 2
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert {"push", "pull", "pair_offer"} <= {line["route"] for line in lines}


def test_sync_status_without_setup_says_how(tmp_path: Path) -> None:
    new_device(tmp_path / "p").close()
    out = run_cli("--home", str(tmp_path / "p"), "sync", "status")
    assert out.returncode == 0 and "lifeos sync setup --server" in out.stdout
    now = run_cli("--home", str(tmp_path / "p"), "sync", "now")
    assert now.returncode == 2 and "sync setup" in now.stderr
