"""Health checks for a profile: what `lifeos doctor` reports.

Each check returns a plain dict so the CLI can print it as text or JSON and the UI can show it.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlcipher3

from engine.errors import DataError
from engine.store import keys
from engine.store.connection import Connection, is_plain_sqlite_readable
from engine.store.migrations import LATEST_VERSION, current_version
from engine.store.profile import ProfilePaths

MAX_REPORTED = 5


def check_keyfile(paths: ProfilePaths) -> dict[str, Any]:
    try:
        kf = keys.read_keyfile(paths.keyfile)
    except (OSError, DataError) as exc:
        return {"ok": False, "error": str(exc)}
    mode = paths.keyfile.stat().st_mode & 0o777
    return {
        "ok": True,
        "version": kf.version,
        "kdf": "argon2id",
        "time_cost": kf.kdf.time_cost,
        "memory_kib": kf.kdf.memory_kib,
        "parallelism": kf.kdf.parallelism,
        "wrap": "AES-256-GCM",
        "private": os.name != "posix" or mode & 0o077 == 0,
    }


def check_database(conn: Connection, path: Path, reopen: Callable[[], Connection]) -> dict[str, Any]:
    """``reopen`` gives a fresh connection: after SQLCipher meets one page that fails its HMAC, the
    connection keeps failing every later read, so each damaged table is found on its own connection."""
    integrity = _integrity(conn, reopen)
    fts_ok = _probe(conn, "CREATE VIRTUAL TABLE temp.doctor_fts USING fts5(x)", "temp.doctor_fts")
    vec_ok = _probe(conn, "CREATE VIRTUAL TABLE temp.doctor_vec USING vec0(e float[2])", "temp.doctor_vec")
    fts_ok = fts_ok and _probe_query(conn, "SELECT count(*) FROM notes_fts WHERE notes_fts MATCH 'x'")
    return {
        "integrity": "ok" if integrity == ["ok"] else "; ".join(integrity[:MAX_REPORTED]),
        "schema_version": current_version(conn),
        "schema_latest": LATEST_VERSION,
        "sqlcipher": conn.execute("PRAGMA cipher_version").fetchone()[0],
        "sqlite": sqlcipher3.sqlite_version,
        "sqlite_vec": conn.execute("SELECT vec_version()").fetchone()[0],
        "fts5": fts_ok,
        "vec0": vec_ok,
        "journal_mode": conn.execute("PRAGMA journal_mode").fetchone()[0],
        "encrypted": not is_plain_sqlite_readable(path),
        "size_bytes": path.stat().st_size,
        "stdlib_sqlite": sqlite3.sqlite_version,
    }


def _integrity(conn: Connection, reopen: Callable[[], Connection]) -> list[str]:
    """``["ok"]``, or what is wrong: pages whose HMAC fails (flipped bytes, a torn write) and the
    tables they belong to, then SQLite's own structural findings."""
    damaged_pages = [str(r[0]) for r in conn.execute("PRAGMA cipher_integrity_check").fetchall()]
    if damaged_pages:
        tables = damaged_tables(conn, reopen)
        named = (
            f"damaged tables: {', '.join(tables)}"
            if tables
            else "no table uses the damaged pages (they were free space); a VACUUM rewrites them"
        )
        return [*damaged_pages[:MAX_REPORTED], named]
    try:
        return [str(r[0]) for r in conn.execute("PRAGMA integrity_check").fetchall()]
    except sqlcipher3.DatabaseError as exc:
        return [f"integrity check failed: {exc}"]


def damaged_tables(conn: Connection, reopen: Callable[[], Connection]) -> list[str]:
    """The tables that cannot be read to the end, each probed on a fresh connection."""
    names = [
        str(r[0])
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND rootpage > 0 ORDER BY name"
        ).fetchall()
    ]
    damaged: list[str] = []
    for name in names:
        probe = reopen()
        try:
            quoted = name.replace('"', '""')
            # quick_check of one table walks every page of it and of its indexes.
            rows = probe.execute(f'PRAGMA quick_check("{quoted}")').fetchall()
            if [r[0] for r in rows] != ["ok"]:
                damaged.append(name)
        except sqlcipher3.DatabaseError:
            damaged.append(name)
        finally:
            probe.close()
    return damaged


def _probe(conn: Connection, create: str, name: str) -> bool:
    try:
        conn.execute(create)
        conn.execute(f"DROP TABLE {name}")
        return True
    except sqlcipher3.Error:
        return False


def _probe_query(conn: Connection, sql: str) -> bool:
    try:
        conn.execute(sql).fetchone()
        return True
    except sqlcipher3.Error:
        return False
