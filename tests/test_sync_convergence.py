"""Convergence: three devices, random offline edits, partitions, SIGKILL mid-push and mid-pull.

One fixed seed here (the CI run); `bench/sync_bench.py --seeds N` runs many. Real profiles, the real
server on 127.0.0.1, and the real `lifeos sync now` in a child process for the kills.
"""

from __future__ import annotations

import os
from pathlib import Path

from testkit import sync_scenario
from testkit.sync_server import sync_server

SEED = int(os.environ.get("LIFEOS_SYNC_SEED", "1606"))


def test_three_devices_converge_and_lose_no_edit(tmp_path: Path) -> None:
    with sync_server(tmp_path / "server") as server:
        result = sync_scenario.run(tmp_path, server, seed=SEED, rounds=6, edits_per_round=6)
    assert result.killed_mid_push and result.killed_mid_pull
    assert result.differences == []
    assert result.missing == []
    assert result.doctor_ok
    assert result.edits > 300
