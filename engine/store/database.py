"""The open, unlocked database: one connection, one lock, nested transactions.

One connection is shared by the threads of one process (the Flet UI calls from worker threads), so
every use goes through `lock`. `atomic()` nests with savepoints, as sqlite-utils does, so a caller can
group several engine writes into one commit.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from engine.store.connection import Connection, open_encrypted
from engine.store.migrations import migrate


class Database:
    def __init__(self, path: Path, key: bytes) -> None:
        self.path = path
        self.conn: Connection = open_encrypted(path, key)
        self.lock = threading.RLock()
        self._depth = 0
        self.applied_migrations = migrate(self.conn)

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

    def close(self) -> None:
        with self.lock:
            self.conn.close()
