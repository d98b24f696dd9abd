"""The open, unlocked database: one connection, one lock, nested transactions.

One connection is shared by the threads of one process (the Flet UI calls from worker threads), so
every use goes through `lock`. `atomic()` nests with savepoints, as sqlite-utils does, so a caller can
group several engine writes into one commit.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from engine.errors import DataError
from engine.store.connection import Connection, open_encrypted
from engine.store.migrations import current_version, migrate

PRIVATE_FILE_MODE = 0o600


class Database:
    """``create=False`` (every open but the profile's first) refuses a database that is missing, empty
    or holds no LifeOS schema: SQLCipher would otherwise make a fresh empty database under the old key
    and the coachee's notes would silently be gone (a truncated file looks exactly like that)."""

    def __init__(self, path: Path, key: bytes, *, create: bool = False) -> None:
        self.path = path
        if create:
            _create_private(path)
        else:
            _check_present(path)
            _make_private(path)
        self.conn: Connection = open_encrypted(path, key)
        self._key: bytes | None = key
        self.lock = threading.RLock()
        self._depth = 0
        try:
            if not create and current_version(self.conn) == 0:
                raise DataError(
                    f"database {path} holds no LifeOS data (it was emptied or replaced): the profile is "
                    "damaged; restore lifeos.db from a backup or an export"
                )
            self.applied_migrations = migrate(self.conn)
        except BaseException:
            self.conn.close()
            raise

    @contextmanager
    def atomic(self) -> Iterator[Connection]:
        """A transaction (outermost) or a savepoint (nested); rolled back on any exception."""
        with self.lock:
            outer = self._depth == 0
            name = f"sp{self._depth}"
            self.conn.execute("BEGIN IMMEDIATE" if outer else f"SAVEPOINT {name}")
            self._depth += 1
            try:
                yield self.conn
            except BaseException:
                self._depth -= 1
                if outer:
                    self.conn.execute("ROLLBACK")
                else:
                    self.conn.execute(f"ROLLBACK TO {name}")
                    self.conn.execute(f"RELEASE {name}")
                raise
            self._depth -= 1
            self.conn.execute("COMMIT" if outer else f"RELEASE {name}")

    def query(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[Any]:
        with self.lock:
            return self.conn.execute(sql, params).fetchall()

    def query_one(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> Any:
        with self.lock:
            return self.conn.execute(sql, params).fetchone()

    def reopen(self) -> Connection:
        """A second connection to the same file (``doctor`` probes damaged tables one by one)."""
        if self._key is None:
            raise DataError("the database is closed")
        return open_encrypted(self.path, self._key, cache_mib=1)

    def close(self) -> None:
        with self.lock:
            self._key = None
            self.conn.close()


def _create_private(path: Path) -> None:
    """Make the new database file readable by this user only before SQLite writes a byte to it.

    SQLite gives its -wal and -shm files the database file's mode, so they are private too.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    os.close(fd)


def _check_present(path: Path) -> None:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise DataError(
            f"database {path} is missing: the profile is damaged; restore lifeos.db from a backup"
        ) from None
    if size == 0:
        raise DataError(
            f"database {path} is empty (0 bytes): the profile is damaged; restore lifeos.db from a "
            "backup or an export"
        )


def _make_private(path: Path) -> None:
    """Profiles made before files were created 0600 are tightened on their next open."""
    if os.name != "posix":
        return
    for member in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if member.stat().st_mode & 0o077:
                os.chmod(member, PRIVATE_FILE_MODE)
        except FileNotFoundError:
            continue
