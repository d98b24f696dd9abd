"""What the server keeps: accounts, device public keys, the append-only per-account log of opaque
blobs, replay nonces, rotated-key envelopes and pairings in flight. SQLite (one file, zero set-up)
or PostgreSQL (`DATABASE_URL`), behind one small class whose SQL is written once for both.

Order matters more than anything else here: a device reads the log from a cursor, so a blob must
never become visible after one with a higher position, or a device that already read past it would
miss it forever. SQLite has one writer at a time; on PostgreSQL an append first takes a
transaction-scoped advisory lock on its account, so appends to one account commit in the order of
their positions (different accounts do not wait for each other).

Deleting an account deletes its rows for real: SQLite runs with `secure_delete` (freed pages are
overwritten with zeros) and checkpoints its WAL afterwards; PostgreSQL vacuums the tables.
"""

from __future__ import annotations

import os
import queue
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    id         TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS devices (
    account_id TEXT NOT NULL,
    device_id  TEXT NOT NULL,
    public_key TEXT NOT NULL,
    added_at   BIGINT NOT NULL,
    revoked_at BIGINT,
    PRIMARY KEY (account_id, device_id)
);
CREATE TABLE IF NOT EXISTS log (
    seq        {serial},
    account_id TEXT NOT NULL,
    item_id    TEXT NOT NULL,
    device_id  TEXT NOT NULL,
    blob       {blob} NOT NULL,
    size       INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (account_id, item_id)
);
CREATE INDEX IF NOT EXISTS log_account_seq ON log (account_id, seq);
CREATE TABLE IF NOT EXISTS nonces (
    account_id TEXT NOT NULL,
    device_id  TEXT NOT NULL,
    nonce      TEXT NOT NULL,
    seen_at    BIGINT NOT NULL,
    PRIMARY KEY (account_id, device_id, nonce)
);
CREATE INDEX IF NOT EXISTS nonces_seen ON nonces (seen_at);
CREATE TABLE IF NOT EXISTS key_envelopes (
    seq        {serial},
    account_id TEXT NOT NULL,
    key_id     TEXT NOT NULL,
    device_id  TEXT NOT NULL,
    envelope   {blob} NOT NULL,
    UNIQUE (account_id, key_id, device_id)
);
CREATE TABLE IF NOT EXISTS pairings (
    pair_id    TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    public     TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    answer     TEXT,
    box        TEXT
);
"""


class Conflict(Exception):
    """A unique value already taken (a replayed nonce, a pairing id in use, an answered pairing)."""


@dataclass(frozen=True)
class Device:
    account_id: str
    device_id: str
    public_key: str
    added_at: int
    revoked_at: int | None


def now_ms() -> int:
    return int(time.time() * 1000)


class Store:
    """The server's storage. `url` is a PostgreSQL URL or a path to an SQLite file."""

    def __init__(self, url: str, *, pool_size: int = 8) -> None:
        self.url = url
        self.postgres = url.startswith(("postgres://", "postgresql://"))
        self._pool: queue.Queue[Any] = queue.Queue()
        self._write_lock = threading.Lock()  # SQLite: one writer
        if self.postgres:
            import psycopg

            self._errors: tuple[type[BaseException], ...] = (psycopg.errors.UniqueViolation,)
            for _ in range(pool_size):
                self._pool.put(psycopg.connect(url, autocommit=True))
            schema = SCHEMA.format(serial="BIGSERIAL PRIMARY KEY", blob="BYTEA")
        else:
            Path(url).parent.mkdir(parents=True, exist_ok=True)
            self._errors = (sqlite3.IntegrityError,)
            for _ in range(pool_size):
                conn = sqlite3.connect(url, isolation_level=None, check_same_thread=False, timeout=30)
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute("PRAGMA secure_delete = ON")
                conn.execute("PRAGMA busy_timeout = 30000")
                self._pool.put(conn)
            schema = SCHEMA.format(serial="INTEGER PRIMARY KEY AUTOINCREMENT", blob="BLOB")
            if os.name == "posix":
                os.chmod(url, 0o600)
        with self._tx() as cur:
            for statement in schema.split(";"):
                if statement.strip():
                    cur.execute(statement)

    def close(self) -> None:
        while not self._pool.empty():
            self._pool.get_nowait().close()

    # -- plumbing ---------------------------------------------------------------------------------

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.postgres else sql

    @contextmanager
    def _conn(self) -> Iterator[Any]:
        conn = self._pool.get(timeout=60)
        try:
            yield conn
        finally:
            self._pool.put(conn)

    @contextmanager
    def _tx(self, account_lock: str | None = None) -> Iterator[_Cursor]:
        with self._conn() as conn:
            if self.postgres:
                with conn.transaction():
                    cur = _Cursor(conn.cursor(), self)
                    if account_lock is not None:
                        cur.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (account_lock,))
                    yield cur
            else:
                with self._write_lock:
                    conn.execute("BEGIN IMMEDIATE")
                    try:
                        yield _Cursor(conn.cursor(), self)
                    except BaseException:
                        conn.execute("ROLLBACK")
                        raise
                    conn.execute("COMMIT")

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._conn() as conn:
            cur = conn.cursor()
            cur.execute(self._sql(sql), params)
            return [tuple(r) for r in cur.fetchall()]

    # -- accounts and devices ---------------------------------------------------------------------

    def create_account(self, account_id: str, device_id: str, public_key: str) -> None:
        stamp = now_ms()
        with self._tx() as cur:
            cur.execute("INSERT INTO accounts (id, created_at) VALUES (?, ?)", (account_id, stamp))
            cur.execute(
                "INSERT INTO devices (account_id, device_id, public_key, added_at) VALUES (?, ?, ?, ?)",
                (account_id, device_id, public_key, stamp),
            )

    def device(self, account_id: str, device_id: str) -> Device | None:
        rows = self._read(
            "SELECT account_id, device_id, public_key, added_at, revoked_at FROM devices "
            "WHERE account_id = ? AND device_id = ?",
            (account_id, device_id),
        )
        return Device(*rows[0]) if rows else None

    def devices(self, account_id: str) -> list[Device]:
        rows = self._read(
            "SELECT account_id, device_id, public_key, added_at, revoked_at FROM devices "
            "WHERE account_id = ? ORDER BY added_at, device_id",
            (account_id,),
        )
        return [Device(*r) for r in rows]

    def add_device(self, account_id: str, device_id: str, public_key: str) -> None:
        with self._tx() as cur:
            try:
                cur.execute(
                    "INSERT INTO devices (account_id, device_id, public_key, added_at) VALUES (?, ?, ?, ?)",
                    (account_id, device_id, public_key, now_ms()),
                )
            except self._errors as exc:
                raise Conflict(f"device {device_id} is already in this account") from exc

    def revoke_device(self, account_id: str, device_id: str) -> bool:
        with self._tx() as cur:
            cur.execute(
                "UPDATE devices SET revoked_at = ? WHERE account_id = ? AND device_id = ? AND revoked_at IS NULL",
                (now_ms(), account_id, device_id),
            )
            return cur.rowcount > 0

    def delete_account(self, account_id: str) -> None:
        with self._tx() as cur:
            for table in ("log", "devices", "nonces", "key_envelopes", "pairings"):
                cur.execute(f"DELETE FROM {table} WHERE account_id = ?", (account_id,))
            cur.execute("DELETE FROM accounts WHERE id = ?", (account_id,))
        with self._conn() as conn:
            if self.postgres:
                for table in ("log", "devices", "nonces", "key_envelopes", "pairings", "accounts"):
                    conn.execute(f"VACUUM {table}")
            else:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # -- replay protection ------------------------------------------------------------------------

    def use_nonce(self, account_id: str, device_id: str, nonce: str, max_age_ms: int) -> None:
        """Record a nonce; raise Conflict when it was seen already (a replayed request)."""
        stamp = now_ms()
        with self._tx() as cur:
            try:
                cur.execute(
                    "INSERT INTO nonces (account_id, device_id, nonce, seen_at) VALUES (?, ?, ?, ?)",
                    (account_id, device_id, nonce, stamp),
                )
            except self._errors as exc:
                raise Conflict("nonce already used") from exc
            if int.from_bytes(os.urandom(1), "big") < 4:  # now and then, forget nonces too old to matter
                cur.execute("DELETE FROM nonces WHERE seen_at < ?", (stamp - 2 * max_age_ms,))

    # -- the log ----------------------------------------------------------------------------------

    def append(self, account_id: str, device_id: str, items: list[tuple[str, bytes]]) -> list[int]:
        """Append blobs; a re-sent item (same id) keeps its first position. Returns each item's seq."""
        stamp = now_ms()
        seqs: list[int] = []
        with self._tx(account_lock=account_id) as cur:
            for item_id, blob in items:
                cur.execute("SELECT seq FROM log WHERE account_id = ? AND item_id = ?", (account_id, item_id))
                found = cur.fetchone()
                if found is not None:
                    seqs.append(int(found[0]))
                    continue
                cur.execute(
                    "INSERT INTO log (account_id, item_id, device_id, blob, size, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?) RETURNING seq",
                    (account_id, item_id, device_id, blob, len(blob), stamp),
                )
                seqs.append(int(cur.fetchone()[0]))
        return seqs

    def read(self, account_id: str, after: int, limit: int) -> list[tuple[int, bytes]]:
        rows = self._read(
            "SELECT seq, blob FROM log WHERE account_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            (account_id, after, limit),
        )
        return [(int(s), bytes(b)) for s, b in rows]

    def head(self, account_id: str) -> int:
        rows = self._read("SELECT max(seq) FROM log WHERE account_id = ?", (account_id,))
        return int(rows[0][0] or 0)

    def rewrap(self, account_id: str, items: list[tuple[int, bytes]]) -> int:
        changed = 0
        with self._tx(account_lock=account_id) as cur:
            for seq, blob in items:
                cur.execute(
                    "UPDATE log SET blob = ?, size = ? WHERE account_id = ? AND seq = ?",
                    (blob, len(blob), account_id, seq),
                )
                changed += cur.rowcount
        return changed

    def stats(self) -> dict[str, int]:
        rows = self._read("SELECT count(*), coalesce(sum(size), 0) FROM log")
        accounts = self._read("SELECT count(*) FROM accounts")
        return {"blobs": int(rows[0][0]), "blob_bytes": int(rows[0][1]), "accounts": int(accounts[0][0])}

    # -- rotated keys -----------------------------------------------------------------------------

    def put_envelopes(self, account_id: str, key_id: str, envelopes: dict[str, bytes]) -> None:
        with self._tx() as cur:
            for device_id, envelope in envelopes.items():
                cur.execute(
                    "INSERT INTO key_envelopes (account_id, key_id, device_id, envelope) VALUES (?, ?, ?, ?)",
                    (account_id, key_id, device_id, envelope),
                )

    def envelopes(self, account_id: str, device_id: str) -> list[tuple[str, bytes]]:
        rows = self._read(
            "SELECT key_id, envelope FROM key_envelopes WHERE account_id = ? AND device_id = ? ORDER BY seq",
            (account_id, device_id),
        )
        return [(str(k), bytes(e)) for k, e in rows]

    # -- pairing ----------------------------------------------------------------------------------

    def offer_pairing(self, pair_id: str, account_id: str, public: str, ttl_s: int) -> int:
        expires = now_ms() + ttl_s * 1000
        with self._tx() as cur:
            cur.execute("DELETE FROM pairings WHERE expires_at < ?", (now_ms(),))
            try:
                cur.execute(
                    "INSERT INTO pairings (pair_id, account_id, public, expires_at) VALUES (?, ?, ?, ?)",
                    (pair_id, account_id, public, expires),
                )
            except self._errors as exc:
                raise Conflict("pairing id in use") from exc
        return expires

    def pairing(self, pair_id: str) -> dict[str, Any] | None:
        rows = self._read(
            "SELECT pair_id, account_id, public, expires_at, answer, box FROM pairings "
            "WHERE pair_id = ? AND expires_at >= ?",
            (pair_id, now_ms()),
        )
        if not rows:
            return None
        keys = ("pair_id", "account_id", "public", "expires_at", "answer", "box")
        return dict(zip(keys, rows[0], strict=True))

    def answer_pairing(self, pair_id: str, answer: str) -> None:
        with self._tx() as cur:
            cur.execute(
                "UPDATE pairings SET answer = ? WHERE pair_id = ? AND answer IS NULL AND expires_at >= ?",
                (answer, pair_id, now_ms()),
            )
            if cur.rowcount == 0:
                raise Conflict("this pairing code was already answered or has expired")

    def seal_pairing(self, pair_id: str, box: str) -> None:
        with self._tx() as cur:
            cur.execute("UPDATE pairings SET box = ? WHERE pair_id = ?", (box, pair_id))

    def end_pairing(self, pair_id: str) -> None:
        with self._tx() as cur:
            cur.execute("DELETE FROM pairings WHERE pair_id = ?", (pair_id,))


class _Cursor:
    """A DB-API cursor that takes `?` placeholders on both databases."""

    def __init__(self, cursor: Any, store: Store) -> None:
        self._cursor = cursor
        self._store = store

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        self._cursor.execute(self._store._sql(sql), params)

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    @property
    def rowcount(self) -> int:
        return int(self._cursor.rowcount)
