"""A writer killed with SIGKILL mid-batch loses no committed note and leaves a sound database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import PASSPHRASE, REPO

from engine.api import Engine

WRITER = r"""
import sys
from engine.api import Engine
from engine.types import NewNote
engine = Engine.open(sys.argv[1], sys.argv[2])
print("ready", flush=True)
for batch in range(10_000):  # bounded; the parent kills us long before the end
    notes = engine.notes.add_many(NewNote(f"batch {batch} item {i} " + "x" * 400) for i in range(200))
    print("committed", batch, " ".join(n.id for n in notes), flush=True)
"""


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")
def test_sigkill_mid_batch_loses_no_committed_note(home: Path) -> None:
    Engine.create(home, PASSPHRASE).close()
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(home), PASSPHRASE],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    committed: set[str] = set()
    batches = 0
    deadline = time.monotonic() + 60
    assert proc.stdout.readline().strip() == "ready"
    while batches < 5 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        assert line.startswith("committed"), line
        committed.update(line.split()[2:])
        batches += 1
    time.sleep(0.01)  # the sixth batch is now being written
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    # Batches may have committed after our last read, before the kill; those count too.
    for line in proc.stdout.read().splitlines():
        if line.startswith("committed"):
            committed.update(line.split()[2:])
    assert batches == 5 and len(committed) >= 1000

    with Engine.open(home, PASSPHRASE) as engine:
        report = engine.doctor()
        assert report["database"]["integrity"] == "ok"
        stored = engine.notes.count()
        assert stored % 200 == 0, "a batch was half-committed"
        missing = [i for i in committed if not _exists(engine, i)]
        assert missing == []
        assert stored >= len(committed)


def _exists(engine: Engine, note_id: str) -> bool:
    try:
        engine.notes.get(note_id)
        return True
    except Exception:
        return False
