"""Health checks for a profile: what `lifeos doctor` reports.

Each check returns a plain dict so the CLI can print it as text or JSON and the UI can show it.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import sqlcipher3

from engine.errors import DataError
from engine.store import keys
from engine.store.connection import Connection, is_plain_sqlite_readable
from engine.store.migrations import LATEST_VERSION, current_version
from engine.store.profile import ProfilePaths


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


def check_database(conn: Connection, path: Path) -> dict[str, Any]:
    integrity = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    fts_ok = _probe(conn, "CREATE VIRTUAL TABLE temp.doctor_fts USING fts5(x)", "temp.doctor_fts")
    vec_ok = _probe(conn, "CREATE VIRTUAL TABLE temp.doctor_vec USING vec0(e float[2])", "temp.doctor_vec")
    fts_ok = fts_ok and _probe_query(conn, "SELECT count(*) FROM notes_fts WHERE notes_fts MATCH 'x'")
    return {
        "integrity": "ok" if integrity == ["ok"] else "; ".join(integrity[:5]),
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
