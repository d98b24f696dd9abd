"""Settings have one owner (`engine.settings`, typed, inside the encrypted profile), and the one
preference kept outside the database is authenticated by the unlocked profile."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from conftest import PASSPHRASE

from engine.api import Engine
from engine.errors import ProfileLocked
from engine.types import KdfParams, KnowledgeDoc, Setting

FAST = KdfParams(time_cost=1, memory_kib=8 * 1024)
MINUTES: Setting[int] = Setting("test.minutes", 15, str, int)


def test_typed_settings_round_trip_and_fall_back_to_their_default(tmp_path: Path) -> None:
    with Engine.create(tmp_path / "p", PASSPHRASE, kdf=FAST) as engine:
        assert engine.settings.get(MINUTES) == 15 and not engine.settings.is_set(MINUTES)
        engine.settings.set(MINUTES, 30)
    with Engine.open(tmp_path / "p", PASSPHRASE) as engine:
        assert engine.settings.get(MINUTES) == 30 and engine.settings.keys("test.") == ["test.minutes"]
        engine.settings.set(MINUTES, None)
        assert engine.settings.get(MINUTES) == 15
        engine.heartbeat.set_quiet_hours("23-6")
        assert (engine.heartbeat.quiet_hours().start, engine.heartbeat.quiet_hours().end) == (23, 6)


def test_a_sealed_preference_is_accepted_and_an_edited_one_is_not(tmp_path: Path) -> None:
    with Engine.create(tmp_path / "p", PASSPHRASE, kdf=FAST) as engine:
        sealed = engine.settings.seal({"auto_lock_minutes": 15})
        assert engine.settings.unseal(sealed).authentic
        edited = {**sealed, "auto_lock_minutes": 0}
        assert not engine.settings.unseal(edited).authentic
        assert not engine.settings.unseal({"auto_lock_minutes": 0}).authentic  # no MAC at all
    with Engine.create(tmp_path / "q", PASSPHRASE, kdf=FAST) as other:
        assert not other.settings.unseal(sealed).authentic  # another profile's key does not fit
    with pytest.raises(ProfileLocked):
        engine.settings.seal({"auto_lock_minutes": 15})


def test_locking_waits_for_a_call_in_flight_then_refuses_new_ones(tmp_path: Path) -> None:
    engine = Engine.create(tmp_path / "p", PASSPHRASE, kdf=FAST)
    inside, release = threading.Event(), threading.Event()
    finished: list[int] = []

    def progress(done: int, total: int) -> None:  # runs between batches, outside the database lock
        inside.set()
        release.wait(10)

    def worker() -> None:
        docs = [KnowledgeDoc(f"d{i}", f"Passage {i} about patience and effort.") for i in range(3)]
        finished.append(engine.knowledge.add("c", docs, progress).passages)

    thread = threading.Thread(target=worker)
    thread.start()
    assert inside.wait(60)
    closer = threading.Thread(target=engine.close)
    closer.start()
    time.sleep(0.3)
    assert closer.is_alive() and not finished  # the lock waits for the indexing in flight
    with pytest.raises(ProfileLocked):
        engine.notes.list()  # and lets nothing new in meanwhile
    release.set()
    thread.join(10)
    closer.join(10)
    assert finished == [3] and not engine.is_open
    with pytest.raises(ProfileLocked):
        engine.memory.list_entities()
