"""The sync server on PostgreSQL: a real PostgreSQL server on 127.0.0.1 (initdb + pg_ctl in a
temporary folder), the same client and server code as on SQLite.

Skips naming the Debian package when PostgreSQL is absent, except under CI=true, where it fails:
`make test` installs it (build/ensure-system-packages.sh).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.errors import SyncRefused
from testkit.sync_devices import account
from testkit.sync_server import PostgresServer, postgres, postgres_binaries, sync_server


@pytest.fixture(scope="module")
def pg() -> Iterator[PostgresServer]:
    if postgres_binaries() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is not installed (Debian package: postgresql); make test installs it")
        pytest.skip("PostgreSQL is not installed (Debian package: postgresql)")
    with postgres() as server:
        yield server


def test_sync_on_postgresql_keeps_nothing_readable_and_deletes_for_real(
    tmp_path: Path, pg: PostgresServer
) -> None:
    secret = "pangolin-" + os.urandom(6).hex()
    with sync_server(tmp_path / "unused", database_url=pg.url) as server:
        a, b = account([tmp_path / "a", tmp_path / "b"], server.url)
        try:
            note = a.notes.add(f"The secret is {secret}")
            a.sync.now()
            b.sync.now()
            assert b.notes.get(note.id).body == f"The secret is {secret}"
            assert secret.encode() not in pg.dump()
            assert secret.encode() not in pg.files()
            assert note.id.encode() not in pg.dump()

            account_id = a.sync.status().account_id
            a.sync.delete_account()
            with pytest.raises(SyncRefused):
                b.sync.now()
            assert server.store.stats() == {"blobs": 0, "blob_bytes": 0, "accounts": 0}
            assert account_id.encode() not in pg.dump()
        finally:
            a.close()
            b.close()


def test_concurrent_pushes_to_one_account_are_read_in_order_without_gaps(
    tmp_path: Path, pg: PostgresServer
) -> None:
    """Appends commit in the order of their positions, so a device reading while others write never
    moves its cursor past a change that commits later."""
    with sync_server(tmp_path / "unused", database_url=pg.url) as server:
        devices = account([tmp_path / f"d{i}" for i in range(4)], server.url)
        try:
            writers, reader = devices[:3], devices[3]
            for index, device in enumerate(writers):
                device.sync.push_page = 3
                for i in range(30):
                    device.notes.add(f"device {index} note {i}")
            errors: list[BaseException] = []

            def push(device) -> None:
                try:
                    device.sync.now()
                except BaseException as exc:
                    errors.append(exc)

            threads = [threading.Thread(target=push, args=(d,)) for d in writers]
            for thread in threads:
                thread.start()
            while any(t.is_alive() for t in threads):
                reader.sync.now()  # reads while the others append
            for thread in threads:
                thread.join(timeout=60)
            assert errors == []
            reader.sync.now()
            bodies = {n.body for n in reader.notes.list(limit=1000)}
            assert {f"device {d} note {i}" for d in range(3) for i in range(30)} <= bodies
        finally:
            for device in devices:
                device.close()


def test_replay_and_another_accounts_log_are_refused_on_postgresql(
    tmp_path: Path, pg: PostgresServer
) -> None:
    import httpx

    from engine.sync import protocol
    from testkit.sync_devices import new_device
    from tests.test_sync_security import _signed

    with sync_server(tmp_path / "unused", database_url=pg.url) as server:
        a = new_device(tmp_path / "a")
        other = new_device(tmp_path / "other")
        try:
            a.sync.setup(server.url)
            other.sync.setup(server.url)
            a.notes.add("only for A")
            a.sync.now()
            path = protocol.PREFIX + protocol.LOG + "?after=0&limit=10"
            with httpx.Client(base_url=server.url) as http:
                headers = _signed(a, "GET", path)
                assert len(http.get(path, headers=headers).json()["items"]) == 1
                assert http.get(path, headers=headers).status_code == 401  # replayed
                cross = _signed(other, "GET", path, account_id=a.sync.status().account_id)
                assert http.get(path, headers=cross).status_code == 403
        finally:
            a.close()
            other.close()
