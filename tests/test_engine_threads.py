"""Locking is safe while other threads use the engine, as in the app: the UI locks on its own loop
while chat, capture, recall and the in-app heartbeat run in worker threads.

Each run: worker threads call the engine without pause while another thread unlocks and locks the
profile 200 times. A worker that meets a locked profile gets `ProfileLocked` (and tries the next
engine); any other exception is a failure. Every capture that returned is found afterwards, and
after every lock no decrypted copy (vectors, entity names, query vectors) is left in memory.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import PASSPHRASE

from engine.api import Engine, decrypted_cache_sizes
from engine.errors import ProfileLocked
from engine.types import KdfParams, Models

CYCLES = 200
FAST_KDF = KdfParams(time_cost=1, memory_kib=8 * 1024)  # the floor: 200 unlocks stay quick


@pytest.fixture(scope="module")
def models() -> Iterator[Models]:
    m = Models()
    yield m
    m.close()


@pytest.fixture(scope="module")
def profile(tmp_path_factory: pytest.TempPathFactory, models: Models) -> Path:
    """A profile with the Stoic coach, a project and some memory, made once for all runs."""
    home = tmp_path_factory.mktemp("threads") / "profile"
    with Engine.create(home, PASSPHRASE, kdf=FAST_KDF, models=models) as engine:
        engine.coaches.install("stoic")
        engine.memory.create_entity("project", "Garden shed", deadline="2030-05-01")
        engine.memory.capture("Planning the garden shed with @Ana this spring")
    return home


class Holder:
    """The engine of the moment, as the app's profile context holds it."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.lock = threading.Lock()

    def get(self) -> Engine | None:
        with self.lock:
            return self.engine


@pytest.mark.slow
@pytest.mark.parametrize("run", range(10))
def test_lock_and_unlock_200_times_while_threads_work(profile: Path, models: Models, run: int) -> None:
    holder = Holder()
    stop = threading.Event()
    failures: list[BaseException] = []
    captured: list[str] = []
    calls = {"ok": 0, "locked": 0}
    counter_lock = threading.Lock()

    def worker(name: str, action: Callable[[Engine, int], object]) -> None:
        i = 0
        while not stop.is_set():
            engine = holder.get()
            if engine is None:
                time.sleep(0.001)
                continue
            i += 1
            try:
                action(engine, i)
            except ProfileLocked:
                with counter_lock:
                    calls["locked"] += 1
                continue
            except BaseException as exc:  # anything else is the race this test exists for
                failures.append(exc)
                stop.set()
                return
            with counter_lock:
                calls["ok"] += 1

    def capture(engine: Engine, i: int) -> None:
        text = f"run {run} capture {i} about the garden shed"
        engine.memory.capture(text)
        captured.append(text)

    actions: dict[str, Callable[[Engine, int], object]] = {
        "capture": capture,
        "recall": lambda e, i: e.memory.recall("garden shed plans"),
        "chat": lambda e, i: e.chat.send("stoic", f"I keep worrying about the shed, attempt {i}"),
        "heartbeat": lambda e, i: e.heartbeat.run(roles=["extract", "checkins"], force=True, notify_os=False),
        "index refresh": lambda e, i: e.memory.refresh_index(batch=4),  # the heartbeat's role D
    }
    threads = [threading.Thread(target=worker, args=(n, a), daemon=True) for n, a in actions.items()]
    for t in threads:
        t.start()
    rng = random.Random(run)
    try:
        for _ in range(CYCLES):
            engine = Engine.open(profile, PASSPHRASE, models=models)
            with holder.lock:
                holder.engine = engine
            time.sleep(rng.uniform(0.0, 0.02))
            with holder.lock:
                holder.engine = None
            engine.close()
            leftovers = {k: v for k, v in decrypted_cache_sizes().items() if v}
            assert not leftovers, f"decrypted data left in memory after locking: {leftovers}"
            if failures:
                break
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert not failures, f"{type(failures[0]).__name__}: {failures[0]}"
    assert calls["ok"] > 0
    with Engine.open(profile, PASSPHRASE, models=models) as engine:
        bodies = {n.body for n in engine.notes.list(kind="capture", limit=100_000)}
    lost = [t for t in captured if t not in bodies]
    assert not lost, f"{len(lost)} committed captures were lost, e.g. {lost[0]!r}"
