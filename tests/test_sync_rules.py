"""The merge rules of seed §14 between two real devices, and key rotation.

Daily notes: last writer by hybrid clock wins, the loser is kept as history. Entities: the server's
order wins, the loser kept. Tacit knowledge: uploaded, never applied elsewhere. Facts: a fact
superseded on one device is superseded on the other, with its lineage.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from engine.errors import SyncRefused
from engine.sync import crypto
from testkit.sync_devices import account
from testkit.sync_server import sync_server


def _edit_note(device, note_id: str, body: str) -> None:
    with device._session.db.atomic() as conn:
        conn.execute("UPDATE notes SET body = ? WHERE id = ?", (body, note_id))


def test_notes_last_writer_wins_and_the_loser_is_kept_on_every_device(tmp_path: Path) -> None:
    with sync_server(tmp_path / "server") as server:
        a, b = account([tmp_path / "a", tmp_path / "b"], server.url)
        try:
            note = a.notes.add("first version")
            a.sync.now()
            b.sync.now()
            _edit_note(a, note.id, "edited on A")  # offline, earlier
            time.sleep(0.01)
            _edit_note(b, note.id, "edited on B")  # offline, later: wins
            a.sync.now()
            b.sync.now()
            a.sync.now()
            for device in (a, b):
                assert device.notes.get(note.id).body == "edited on B"
                kept = [h["row"]["body"] for h in device.sync.history("notes", note.id)]
                assert kept == ["edited on A"]
        finally:
            a.close()
            b.close()


def test_entities_server_order_wins_and_the_loser_is_kept(tmp_path: Path) -> None:
    with sync_server(tmp_path / "server") as server:
        a, b = account([tmp_path / "a", tmp_path / "b"], server.url)
        try:
            entity = a.memory.create_entity("project", "Garden")
            a.sync.now()
            b.sync.now()
            b.memory.rename_entity(entity.id, "Vegetable garden")  # edited first…
            time.sleep(0.01)
            a.memory.rename_entity(entity.id, "Herb garden")
            b.sync.now()  # …but logged first
            a.sync.now()  # logged last: wins, although its clock is later too
            b.sync.now()
            for device in (a, b):
                assert device.memory.entity(entity.id).name == "Herb garden"
                assert [h["row"]["name"] for h in device.sync.history("entities", entity.id)] == [
                    "Vegetable garden"
                ]
            # the other order: the later clock loses when it reaches the server first
            a.memory.rename_entity(entity.id, "Garden A")
            time.sleep(0.01)
            b.memory.rename_entity(entity.id, "Garden B")
            b.sync.now()
            a.sync.now()
            b.sync.now()
            assert a.memory.entity(entity.id).name == b.memory.entity(entity.id).name == "Garden A"
        finally:
            a.close()
            b.close()


def test_tacit_knowledge_is_uploaded_but_never_applied_on_another_device(tmp_path: Path) -> None:
    with sync_server(tmp_path / "server") as server:
        a, b = account([tmp_path / "a", tmp_path / "b"], server.url)
        try:
            a.notes.add("Morning run")
            a.memory.tacit_knowledge()
            report = a.sync.now()
            assert report.pushed >= 2
            logged = server.store.head(a.sync.status().account_id)
            b.sync.now()
            assert b._session.db.query("SELECT name FROM documents") == []
            assert logged >= 2
        finally:
            a.close()
            b.close()


def test_a_fact_superseded_on_one_device_is_superseded_on_the_other(tmp_path: Path) -> None:
    with sync_server(tmp_path / "server") as server:
        a, b = account([tmp_path / "a", tmp_path / "b"], server.url)
        try:
            old = a.memory.add_fact("I live in Lisbon").fact
            a.sync.now()
            b.sync.now()
            new = b.memory.supersede_fact(old.id, "I live in Porto").fact
            b.sync.now()
            a.sync.now()
            on_a = a.memory.get_fact(old.id)
            assert on_a.status == "superseded" and on_a.superseded_by == new.id
            assert [f.content for f in a.memory.fact_history(new.id)] == [
                f.content for f in b.memory.fact_history(new.id)
            ]
        finally:
            a.close()
            b.close()


def test_key_rotation_rewraps_every_blob_and_reaches_the_other_devices(tmp_path: Path) -> None:
    with sync_server(tmp_path / "server") as server:
        a, b, c = account([tmp_path / "a", tmp_path / "b", tmp_path / "c"], server.url)
        try:
            for i in range(5):
                a.notes.add(f"before rotation {i}")
            a.sync.now()
            b.sync.now()
            old_key = a.sync.status().key_id
            rewrapped = a.sync.revoke(c.device_id)
            new_key = a.sync.status().key_id
            assert new_key != old_key and rewrapped >= 5
            account_id = a.sync.status().account_id
            assert {crypto.blob_key_id(blob) for _, blob in server.store.read(account_id, 0, 1000)} == {
                new_key
            }
            after = a.notes.add("after rotation")
            a.sync.now()
            b.sync.now()
            assert b.sync.status().key_id == new_key
            assert b.notes.get(after.id).body == "after rotation"
            with pytest.raises(SyncRefused):
                c.sync.now()
            # the revoked device got no envelope: the new key was sealed to a and b only
            envelopes = server.store.envelopes(account_id, c.device_id)
            assert envelopes == []
        finally:
            for device in (a, b, c):
                device.close()


def test_background_sync_is_quiet_offline_and_resumes_when_the_server_is_back(tmp_path: Path) -> None:
    from testkit.sync_server import free_port

    port = free_port()
    with sync_server(tmp_path / "server", port=port) as server:
        a, b = account([tmp_path / "a", tmp_path / "b"], server.url)
        a.notes.add("sent while online")
        assert a.sync.background().pushed >= 1
    try:
        offline = a.notes.add("written offline")
        assert a.sync.background() is None  # the server is gone: no exception, the reason is kept
        status = a.sync.status()
        assert "could not be reached" in status.last_error and status.pending == 1
        with sync_server(tmp_path / "server", port=port):
            report = a.sync.background()
            assert report is not None and report.pushed == 1 and a.sync.status().last_error is None
            b.sync.now()
            assert b.notes.get(offline.id).body == "written offline"
    finally:
        a.close()
        b.close()


def test_the_same_link_made_on_two_devices_converges_to_one_row(tmp_path: Path) -> None:
    """Edges are unique by (from, to, kind): two devices linking the same pair offline make two ids
    for one link; every device keeps the one with the smaller id and the other as history."""
    with sync_server(tmp_path / "server") as server:
        a, b = account([tmp_path / "a", tmp_path / "b"], server.url)
        try:
            a.memory.create_entity("project", "Marathon")
            a.memory.create_entity("person", "Dana")
            a.sync.now()
            b.sync.now()
            a.memory.link_entities("Marathon", "Dana")
            b.memory.link_entities("Marathon", "Dana")
            a.sync.now()
            b.sync.now()
            a.sync.now()
            edges = [
                device._session.db.query("SELECT id, src_id, dst_id, kind FROM edges ORDER BY id")
                for device in (a, b)
            ]
            assert edges[0] == edges[1] and len(edges[0]) == 1
            assert len(a.sync.history("edges")) == len(b.sync.history("edges")) == 1
        finally:
            a.close()
            b.close()


def test_a_purge_removes_the_row_and_its_kept_versions_on_every_device(tmp_path: Path) -> None:
    with sync_server(tmp_path / "server") as server:
        a, b = account([tmp_path / "a", tmp_path / "b"], server.url)
        try:
            fact = a.memory.add_fact("My doctor is Dr Alvarez").fact
            a.sync.now()
            b.sync.now()
            for device, text in (
                (a, "My doctor is Dr Alvarez, Tuesdays"),
                (b, "My doctor is Dr Alvarez, Fridays"),
            ):
                with device._session.db.atomic() as conn:  # both edit it offline: one version is kept
                    conn.execute("UPDATE facts SET content = ? WHERE id = ?", (text, fact.id))
                time.sleep(0.01)
            a.sync.now()
            b.sync.now()
            a.sync.now()
            assert len(a.sync.history("facts", fact.id)) == len(b.sync.history("facts", fact.id)) == 1
            b.memory.purge_fact(fact.id, confirm=True, reason="asked to forget")
            b.sync.now()
            a.sync.now()
            b.sync.now()
            for device in (a, b):
                assert device._session.db.query("SELECT id FROM facts WHERE id = ?", (fact.id,)) == []
                assert device.sync.history("facts", fact.id) == []
                assert "Alvarez" not in json.dumps(device.sync.history())
        finally:
            a.close()
            b.close()


def test_locking_the_profile_does_not_wait_for_a_pairing_in_progress(tmp_path: Path) -> None:
    import threading

    from engine.errors import ProfileLocked
    from testkit.sync_devices import new_device

    with sync_server(tmp_path / "server") as server:
        a = new_device(tmp_path / "a")
        a.sync.setup(server.url)
        offer = a.sync.pair()
        outcome: list[BaseException] = []

        def wait() -> None:
            try:
                a.sync.pair_finish(offer.code, timeout_s=60)
            except BaseException as exc:
                outcome.append(exc)

        waiter = threading.Thread(target=wait)
        waiter.start()
        time.sleep(0.5)
        started = time.perf_counter()
        a.close()
        waiter.join(timeout=10)
        assert time.perf_counter() - started < 3
        assert len(outcome) == 1 and isinstance(outcome[0], ProfileLocked)
