"""Zero knowledge and refusals: what the sync server can read, and whom it answers.

Real profiles, the real server (backend/ on uvicorn) on 127.0.0.1 with its SQLite file, real
signatures. Requests that must be refused are made by hand with the engine's own signing rules
(engine/sync/protocol.py), changing one thing at a time.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from engine.api import Engine
from engine.errors import PairingError, SyncRefused
from engine.sync import crypto, protocol
from testkit.sync_devices import account, new_device
from testkit.sync_server import sync_server


def _server_bytes(data: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(data.rglob("*")) if p.is_file())


def _signed(
    device: Engine, method: str, path_qs: str, body: bytes = b"", *, account_id: str | None = None
) -> dict:
    from engine.sync import state

    db = device._session.db
    with db.lock:
        config = state.require(db.conn)
    stamp = str(int(time.time() * 1000))
    nonce = os.urandom(16).hex()
    return {
        protocol.H_ACCOUNT: account_id or config.account_id,
        protocol.H_DEVICE: device.device_id,
        protocol.H_TIMESTAMP: stamp,
        protocol.H_NONCE: nonce,
        protocol.H_SIGNATURE: crypto.sign(
            config.device_key, protocol.signed_string(method, path_qs, stamp, nonce, body)
        ),
    }


def test_the_server_never_holds_a_readable_byte_of_a_synced_note(tmp_path: Path) -> None:
    secret = "zebra-" + os.urandom(6).hex() + "-quokka"
    with sync_server(tmp_path / "server") as server:
        a, b = account([tmp_path / "a", tmp_path / "b"], server.url)
        try:
            note = a.notes.add(f"My secret is {secret}", title=f"title {secret}")
            a.memory.add_fact(f"The code word is {secret}")
            a.sync.now()
            b.sync.now()
            assert b.notes.get(note.id).body == f"My secret is {secret}"
            for blob_seq, blob in server.store.read(a.sync.status().account_id, 0, 1000):
                assert secret.encode() not in blob, blob_seq
            stored = _server_bytes(tmp_path / "server")
            assert secret.encode() not in stored and secret.encode("utf-16-le") not in stored
            assert note.id.encode() not in stored  # not even which row changed
        finally:
            a.close()
            b.close()


def test_a_flipped_byte_in_a_stored_blob_is_rejected_reported_and_never_applied(tmp_path: Path) -> None:
    with sync_server(tmp_path / "server") as server:
        a, b = account([tmp_path / "a", tmp_path / "b"], server.url)
        try:
            good = a.notes.add("kept as it was")
            a.sync.now()
            bad = a.notes.add("altered on the server")
            a.sync.now()
            db = sqlite3.connect(tmp_path / "server" / "sync.db")
            seq, blob = db.execute("SELECT seq, blob FROM log ORDER BY seq DESC LIMIT 1").fetchone()
            flipped = bytearray(blob)
            flipped[-5] ^= 0x01
            db.execute("UPDATE log SET blob = ? WHERE seq = ?", (bytes(flipped), seq))
            db.commit()
            db.close()
            report = b.sync.now()
            assert report.rejected == 1
            ids = {n.id for n in b.notes.list()}
            assert good.id in ids and bad.id not in ids
            status = b.sync.status()
            assert [r["seq"] for r in status.rejected] == [seq]
            assert "failed authentication" in status.rejected[0]["error"]
        finally:
            a.close()
            b.close()


def test_wrong_signature_replay_revoked_device_and_another_accounts_log_are_refused(tmp_path: Path) -> None:
    with sync_server(tmp_path / "server") as server:
        a, b = account([tmp_path / "a", tmp_path / "b"], server.url)
        other = new_device(tmp_path / "other")
        other.sync.setup(server.url)
        try:
            a.notes.add("only for account A")
            a.sync.now()
            path = protocol.PREFIX + protocol.LOG + "?after=0&limit=10"
            with httpx.Client(base_url=server.url) as http:
                headers = _signed(a, "GET", path)
                assert http.get(path, headers=headers).status_code == 200
                replay = http.get(path, headers=headers)
                assert replay.status_code == 401 and "replayed" in replay.json()["error"]

                forged = _signed(a, "GET", path)
                forged[protocol.H_SIGNATURE] = _signed(other, "GET", path, account_id="x")[
                    protocol.H_SIGNATURE
                ]
                assert http.get(path, headers=forged).status_code == 401

                moved = _signed(a, "GET", protocol.PREFIX + protocol.LOG + "?after=0&limit=11")
                assert http.get(path, headers=moved).status_code == 401  # a signature for another query

                stale = _signed(a, "GET", path)
                stale[protocol.H_TIMESTAMP] = str(
                    int(stale[protocol.H_TIMESTAMP]) - protocol.MAX_SKEW_MS - 1000
                )
                assert http.get(path, headers=stale).status_code == 401

                a_account = a.sync.status().account_id
                cross = _signed(other, "GET", path, account_id=a_account)
                refused = http.get(path, headers=cross)
                assert refused.status_code == 403  # B's device asking for A's log
                own = http.get(path, headers=_signed(other, "GET", path)).json()
                assert own["items"] == []  # and its own log holds nothing of A's

            a.sync.revoke(b.device_id)
            with pytest.raises(SyncRefused) as refused_b:
                b.sync.now()
            assert refused_b.value.status == 403
            assert [d.revoked_at is not None for d in a.sync.devices() if d.device_id == b.device_id] == [
                True
            ]
        finally:
            for device in (a, b, other):
                device.close()


def test_size_limit_rate_limit_and_backoff(tmp_path: Path) -> None:
    with sync_server(tmp_path / "server", max_body=64 * 1024, rate_per_s=5.0, burst=4) as server:
        device = new_device(tmp_path / "a")
        try:
            device.sync.setup(server.url)
            device.memory.attach(device.notes.add("a memo").id, "big.bin", os.urandom(200 * 1024))
            with pytest.raises(SyncRefused) as too_big:
                device.sync.now()
            assert too_big.value.status == 413
            assert device.sync.status().pending > 0  # nothing was marked as sent

            with httpx.Client(base_url=server.url) as http:
                statuses = [http.get(f"{protocol.PREFIX}/pair/ZZZZ").status_code for _ in range(30)]
            assert 429 in statuses
        finally:
            device.close()
    with sync_server(tmp_path / "server2", rate_per_s=5.0, burst=3) as server:
        device = new_device(tmp_path / "b")
        try:
            device.sync.setup(server.url)
            device.sync.push_page = 1
            for i in range(12):
                device.notes.add(f"note {i}")
            report = device.sync.now()
            assert report.pushed == 12 and report.retries > 0  # backed off on 429 and finished
        finally:
            device.close()


def test_pairing_code_is_single_use_expires_and_needs_its_secret(tmp_path: Path) -> None:
    with sync_server(tmp_path / "server") as server:
        a = new_device(tmp_path / "a")
        b = new_device(tmp_path / "b")
        c = new_device(tmp_path / "c")
        try:
            a.sync.setup(server.url)
            offer = a.sync.pair()
            wrong = offer.code[:5] + ("A" if offer.code[5] != "A" else "B") + offer.code[6:]
            import threading

            outcome: list[BaseException] = []
            waiter = threading.Thread(
                target=lambda: outcome.append(_raises(lambda: a.sync.pair_finish(offer.code, timeout_s=10)))
            )
            waiter.start()
            with pytest.raises(PairingError):
                b.sync.join(wrong, server=server.url, timeout_s=3)
            waiter.join(15)
            assert isinstance(outcome[0], PairingError)  # the answer did not prove the code: nothing sent
            assert [d.device_id for d in a.sync.devices()] == [a.device_id]
            with pytest.raises(PairingError):  # and the code is spent
                b.sync.join(offer.code, server=server.url, timeout_s=3)

            late = a.sync.pair()
            db = sqlite3.connect(tmp_path / "server" / "sync.db")
            db.execute("UPDATE pairings SET expires_at = 0")  # ten minutes later
            db.commit()
            db.close()
            with pytest.raises(PairingError):
                c.sync.join(late.code, server=server.url, timeout_s=3)
            with pytest.raises(PairingError):
                c.sync.join("not-a-code", server=server.url)
        finally:
            for device in (a, b, c):
                device.close()


def _raises(call) -> BaseException | None:
    try:
        call()
    except BaseException as exc:
        return exc
    return None


def test_metrics_logs_and_account_deletion(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="lifeos.server")
    with sync_server(tmp_path / "server") as server:
        a, b = account([tmp_path / "a", tmp_path / "b"], server.url)
        try:
            for i in range(20):
                a.notes.add(f"note number {i}")
            a.sync.now()
            b.sync.now()
            blobs = [blob for _, blob in server.store.read(a.sync.status().account_id, 0, 1000)]
            metrics = httpx.get(server.url + "/metrics").text
            assert 'lifeos_requests_total{route="push",status="200"}' in metrics
            stored = int(
                next(
                    line.split()[1]
                    for line in metrics.splitlines()
                    if line.startswith("lifeos_stored_blobs ")
                )
            )
            assert stored == len(blobs) == 20
            logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "lifeos.server")
            assert logged and all(json.loads(line)["route"] for line in logged.splitlines())
            for blob in blobs:
                assert base64.b64encode(blob).decode()[:40] not in logged

            a.sync.delete_account()
            assert not a.sync.status().configured
            stored_bytes = _server_bytes(tmp_path / "server")
            assert all(blob[-32:] not in stored_bytes for blob in blobs)  # really gone from the file
            with pytest.raises(SyncRefused):
                b.sync.now()
            assert server.store.stats() == {"blobs": 0, "blob_bytes": 0, "accounts": 0}
        finally:
            a.close()
            b.close()
