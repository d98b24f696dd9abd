"""The heartbeat after a crash, and its scheduler entries for a profile path with awkward characters.

A heartbeat killed mid-run left its role locked for ten minutes, and `--force` answered "not due, or
running elsewhere". A profile path holding `%` produced a cron line that cron cut at the `%` and a
systemd unit that expanded it. Both are checked against the real engine and the real planner.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from conftest import PASSPHRASE

from engine.api import Engine
from engine.heartbeat import jobs
from engine.heartbeat.install import plan

AWKWARD = "/home/sam/100% mine $HOME/profile"


def test_a_lock_left_by_a_killed_process_does_not_block_the_next_run(home: Path) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # its pid now belongs to no process
    with Engine.create(home, PASSPHRASE, use_embedder=False) as engine:
        engine.heartbeat.run(roles=["extract"], force=True)
        db = engine._session.db  # the lock row as a killed run leaves it
        with db.atomic() as conn:
            assert jobs.take(conn, "extract", f"{gone.pid}-deadbeef", engine._session.clock(), force=True)
        report = engine.heartbeat.run(roles=["extract"], force=True)
        (result,) = report.results
        assert "another process" not in result.reason and "not due" not in result.reason, result.reason


def test_a_lock_held_by_a_live_process_is_named(home: Path) -> None:
    with Engine.create(home, PASSPHRASE, use_embedder=False) as engine:
        engine.heartbeat.run(roles=["extract"], force=True)
        alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
        try:
            db = engine._session.db
            with db.atomic() as conn:
                assert jobs.take(conn, "extract", f"{alive.pid}-cafe", engine._session.clock(), force=True)
            (result,) = engine.heartbeat.run(roles=["extract"], force=True).results
            assert not result.ran and f"running in another process ({alive.pid})" in result.reason
        finally:
            alive.kill()
            alive.wait()


def test_cron_line_escapes_percent_signs() -> None:
    scheduled = plan(
        "cron", Path("/home/sam"), [sys.executable, "-m", "app.cli", "--home", AWKWARD, "heartbeat", "run"]
    )
    line = scheduled.cron_line or ""
    assert re.search(r"(?<!\\)%", line) is None, line  # cron would cut the command at a bare %
    command = line.split(" ", 5)[5].replace("\\%", "%")  # what cron hands to the shell
    assert "100% mine $HOME/profile" in command and "'" in command  # quoted: $HOME is not expanded


def test_systemd_unit_escapes_specifiers_and_variables() -> None:
    scheduled = plan(
        "systemd", Path("/home/sam"), [sys.executable, "-m", "app.cli", "--home", AWKWARD, "heartbeat", "run"]
    )
    service = next(text for path, text in scheduled.files.items() if path.name.endswith(".service"))
    exec_start = next(line for line in service.splitlines() if line.startswith("ExecStart="))
    assert "100%% mine $$HOME/profile" in exec_start
    assert (
        re.search(r"(?<!%)%(?!%)", exec_start) is None and re.search(r"(?<!\$)\$(?!\$)", exec_start) is None
    )
