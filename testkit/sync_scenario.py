"""The convergence scenario shared by tests/test_sync_convergence.py (one seed) and
bench/sync_bench.py (many): three device profiles of one coachee and a real server on 127.0.0.1.

Each round every device makes seeded random offline edits (notes, facts and their supersessions,
entities and their renames, captures, note edits, purges), then a random subset of devices is
online and syncs (the others are partitioned off). Once, a device syncs as a separate process that
is killed with SIGKILL while it pushes, and another while it pulls. At the end everyone syncs until
quiet, and the scenario reports what differs between devices and which edits are missing (an edit
counts as present as the current row or as a kept version in the history).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.api import Engine
from testkit.sync_devices import PASSPHRASE, account, open_device
from testkit.sync_server import RunningServer

REPO = Path(__file__).resolve().parents[1]
COMPARED_TABLES = (
    "notes",
    "entities",
    "facts",
    "fact_entities",
    "edges",
    "attachments",
    "messages",
    "notifications",
    "suggestions",
)
WORDS = [
    "run",
    "sleep",
    "budget",
    "garden",
    "novel",
    "python",
    "piano",
    "spanish",
    "savings",
    "marathon",
    "coffee",
    "hiking",
]


@dataclass
class ScenarioResult:
    seed: int
    edits: int
    differences: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    doctor_ok: bool = True
    killed_mid_push: bool = False
    killed_mid_pull: bool = False
    history: int = 0
    seconds: float = 0.0


@dataclass
class _Edits:
    expected: list[tuple[str, str]] = field(default_factory=list)  # (table, text that must survive)
    purged: set[str] = field(default_factory=set)
    # texts a device replaced knowingly (it edited the version it had): gone by the app's own rules
    replaced: set[tuple[str, str]] = field(default_factory=set)


def _text(rng: random.Random, device: int, n: int) -> str:
    return f"d{device}-{n} " + " ".join(rng.choice(WORDS) for _ in range(4))


def _pick(rng: random.Random, rows: list[Any]) -> Any:
    """Mostly one of the few oldest rows, so that devices often edit the same one (conflicts)."""
    return rng.choice(rows[:3]) if rng.random() < 0.7 else rng.choice(rows)


def _edit(engine: Engine, index: int, rng: random.Random, edits: _Edits, counter: list[int]) -> None:
    counter[0] += 1
    text = _text(rng, index, counter[0])
    roll = rng.random()
    db = engine._session.db
    if roll < 0.3:
        engine.notes.add(text)
        edits.expected.append(("notes", text))
    elif roll < 0.45:
        result = engine.memory.add_fact("I like " + text)
        edits.expected.append(("facts", result.fact.content))
    elif roll < 0.55:
        active = db.query("SELECT id FROM facts WHERE status = 'active' ORDER BY id")
        if active:
            fact_id = rng.choice(active)[0]
            result = engine.memory.supersede_fact(fact_id, "Now I prefer " + text)
            edits.expected.append(("facts", result.fact.content))
    elif roll < 0.65:
        entity = engine.memory.create_entity("project", text.title())
        edits.expected.append(("entities", entity.name))
    elif roll < 0.75:
        entities = db.query("SELECT id, name FROM entities ORDER BY id")
        if entities:
            entity_id, old_name = _pick(rng, entities)
            edits.replaced.add(("entities", old_name))
            renamed = engine.memory.rename_entity(entity_id, "Renamed " + text)
            edits.expected.append(("entities", renamed.name))
    elif roll < 0.85:
        notes = db.query("SELECT id, body FROM notes WHERE kind = 'daily' ORDER BY id")
        if notes:  # an edit of a note (an import superseding it, a fix): last writer wins, loser kept
            note_id, old_body = _pick(rng, notes)
            edits.replaced.add(("notes", old_body))
            with db.atomic() as conn:
                conn.execute(
                    "UPDATE notes SET body = ?, updated_at = ? WHERE id = ?", (text, "edited", note_id)
                )
            edits.expected.append(("notes", text))
    elif roll < 0.95:
        result = engine.memory.capture(f"Met Dana about the {rng.choice(WORDS)} project. " + text)
        edits.expected.append(("notes", result.note.body))
    else:
        facts = db.query("SELECT id, content FROM facts ORDER BY id")
        if facts:
            fact_id, content = rng.choice(facts)
            engine.memory.purge_fact(fact_id, confirm=True, reason="test purge")
            edits.purged.add(content)


def _cli_sync(home: Path, page: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIFEOS_")}
    env["LIFEOS_PASSPHRASE"] = PASSPHRASE
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "--home", str(home), "sync", "now", "--quiet", "--page", str(page)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _kill_when(process: subprocess.Popen[bytes], ready: Any, timeout_s: float = 60.0) -> bool:
    """SIGKILL `process` as soon as `ready()` holds; True if it was killed mid-way (not finished)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if ready():
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
            return True
        time.sleep(0.005)
    process.kill()
    process.wait(timeout=30)
    return True


def snapshot(engine: Engine) -> dict[str, list[Any]]:
    """Every compared table (without the local `seq`) and the kept history, in key order."""
    db = engine._session.db
    out: dict[str, list[Any]] = {}
    for table in COMPARED_TABLES:
        cursor = db.conn.execute(f"SELECT * FROM {table}")
        names = [d[0] for d in cursor.description]
        rows = [
            json.dumps(
                {
                    n: (v.hex() if isinstance(v, bytes) else v)
                    for n, v in zip(names, r, strict=True)
                    if n != "seq"
                },
                sort_keys=True,
            )
            for r in cursor.fetchall()
        ]
        out[table] = sorted(rows)
    out["sync_history"] = sorted(
        json.dumps(r)
        for r in db.query("SELECT table_name, row_id, hlc, device_id, payload FROM sync_history")
    )
    return out


def run(
    tmp: Path,
    server: RunningServer,
    *,
    seed: int,
    rounds: int = 6,
    edits_per_round: int = 6,
    kill: bool = True,
) -> ScenarioResult:
    started = time.perf_counter()
    rng = random.Random(seed)
    homes = [tmp / f"device{i}" for i in range(3)]
    devices = account(homes, server.url)
    edits = _Edits()
    counter = [0]
    result = ScenarioResult(seed=seed, edits=0)
    try:
        for round_no in range(rounds):
            for index, device in enumerate(devices):
                for _ in range(rng.randint(0, edits_per_round)):
                    _edit(device, index, rng, edits, counter)
            online = [i for i in range(3) if rng.random() < 0.6]  # the rest are partitioned off
            rng.shuffle(online)
            for i in online:
                devices[i].sync.now()
            if kill and round_no == rounds // 2:
                result.killed_mid_push, result.killed_mid_pull = _kills(
                    devices, homes, server, rng, edits, counter
                )
                devices = [d if d.is_open else open_device(h) for d, h in zip(devices, homes, strict=True)]
        for _ in range(3):  # everyone online: push all, then pull all, until nothing moves
            for device in devices:
                device.sync.now()
        snaps = [snapshot(d) for d in devices]
        for table in snaps[0]:
            for i in (1, 2):
                if snaps[i][table] != snaps[0][table]:
                    result.differences.append(f"{table}: device0 and device{i} differ")
        result.missing = _missing(devices[0], edits)
        result.doctor_ok = all(d.doctor()["ok"] for d in devices)
        result.history = len(snaps[0]["sync_history"])
        result.edits = counter[0]
    finally:
        for device in devices:
            if device.is_open:
                device.close()
    result.seconds = time.perf_counter() - started
    return result


def _kills(
    devices: list[Engine],
    homes: list[Path],
    server: RunningServer,
    rng: random.Random,
    edits: _Edits,
    counter: list[int],
) -> tuple[bool, bool]:
    """Device 1 is killed while it pushes a large batch; device 2 while it pulls it."""
    pusher, puller = devices[1], devices[2]
    for _ in range(300):
        counter[0] += 1
        text = _text(rng, 1, counter[0])
        pusher.notes.add(text)
        edits.expected.append(("notes", text))
    pusher.close()
    pushes = server.requests("push")
    process = _cli_sync(homes[1], page=5)
    mid_push = _kill_when(process, lambda: server.requests("push") >= pushes + 5)
    devices[1] = open_device(homes[1])
    devices[1].sync.now()  # resumes: what was acknowledged is not sent again
    puller.close()
    pulls = server.requests("pull")
    process = _cli_sync(homes[2], page=5)
    mid_pull = _kill_when(process, lambda: server.requests("pull") >= pulls + 5)
    devices[2] = open_device(homes[2])
    return mid_push, mid_pull


def _missing(engine: Engine, edits: _Edits) -> list[str]:
    db = engine._session.db
    present: dict[str, set[str]] = {"notes": set(), "facts": set(), "entities": set()}
    for (body,) in db.query("SELECT body FROM notes"):
        present["notes"].add(body)
    for (content,) in db.query("SELECT content FROM facts"):
        present["facts"].add(content)
    for (name,) in db.query("SELECT name FROM entities"):
        present["entities"].add(name)
    for table, payload in db.query("SELECT table_name, payload FROM sync_history"):
        row = json.loads(payload) or {}
        for column in ("body", "content", "name"):
            if table in present and isinstance(row.get(column), str):
                present[table].add(row[column])
    return [
        f"{table}: {text!r}"
        for table, text in edits.expected
        if text not in present[table]
        and not (table == "facts" and text in edits.purged)
        and (table, text) not in edits.replaced
    ]
