"""Numbered, forward-only schema migrations, each applied in one transaction.

In the style of simonw/llm: `m001_…` functions, recorded in `schema_migrations` and run on open.
A database newer than the code is refused rather than guessed at.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from engine.errors import DataError
from engine.store.connection import Connection
from engine.store.schema import (
    ATTACHMENTS_SCHEMA,
    IMPORTS_SCHEMA,
    INITIAL_SCHEMA,
    KNOWLEDGE_VECTORS_SCHEMA,
    MEMORY_SCHEMA,
    STUDIO_SCHEMA,
    TRAINING_SCHEMA,
)

Migration = Callable[[Connection], None]


def m001_initial(conn: Connection) -> None:
    """The main tables of DESIGN.md §2, their FTS5 twins (kept in sync by triggers) and vec0 twins."""
    run_script(conn, INITIAL_SCHEMA)


def split_statements(script: str) -> Iterator[str]:
    """Split SQL into statements, keeping trigger bodies whole.

    `executescript` would COMMIT the migration's open transaction first; executing statement by
    statement keeps the whole migration atomic.
    """
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statement = pending.strip()
            pending = ""
            if statement.rstrip(";").strip():
                yield statement
    if pending.strip():
        raise ValueError(f"incomplete SQL statement in migration: {pending.strip()[:60]}")


def run_script(conn: Connection, script: str) -> None:
    for statement in split_statements(script):
        conn.execute(statement)


def m002_memory(conn: Connection) -> None:
    """Memory upkeep: suggestions the user decides on, a purge log, documents, fact dates."""
    run_script(conn, MEMORY_SCHEMA)


def m003_knowledge_vectors(conn: Connection) -> None:
    """Knowledge vectors (passages and windows) from the `chunks_vec` vec0 twin into a plain table
    keyed by (seq, part), existing rows included, with a generation stamp for in-memory copies."""
    run_script(conn, KNOWLEDGE_VECTORS_SCHEMA)


def m004_attachments(conn: Connection) -> None:
    """Attachments (a voice memo's original audio, encrypted with the rest) and an index that finds a
    coach's passage by its ref."""
    run_script(conn, ATTACHMENTS_SCHEMA)


def m005_training(conn: Connection) -> None:
    """Activities (GPX, TCX, FIT, Strava) with their 5-second streams and training load."""
    run_script(conn, TRAINING_SCHEMA)


def m007_imports(conn: Connection) -> None:
    """Where imported notes came from (so a re-import adds nothing twice) and their tags."""
    run_script(conn, IMPORTS_SCHEMA)


def m008_studio(conn: Connection) -> None:
    """The coach studio's drafts: sources, extracted pages, chunks and preview turns (engine/studio)."""
    run_script(conn, STUDIO_SCHEMA)


def m006_sync_capture(conn: Connection) -> None:
    """Sync: changes captured by triggers on every synced table (engine/store/capture.py), per-row
    versions, kept history; rows written before this migration are recorded once for a first sync."""
    from engine.store import capture

    run_script(conn, capture.SYNC_SCHEMA)
    capture.install_triggers(conn, capture.missing_triggers(conn))
    capture.backfill(conn, int(datetime.now(UTC).timestamp() * 1000))


MIGRATIONS: list[tuple[int, str, Migration]] = [
    (1, "initial", m001_initial),
    (2, "memory", m002_memory),
    (3, "knowledge_vectors", m003_knowledge_vectors),
    (4, "attachments", m004_attachments),
    (5, "training", m005_training),
    (6, "sync_capture", m006_sync_capture),
    (7, "imports", m007_imports),
    (8, "studio", m008_studio),
]

LATEST_VERSION = MIGRATIONS[-1][0]


def current_version(conn: Connection) -> int:
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    ).fetchone()
    if not exists:
        return 0
    row = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0)


def migrate(conn: Connection) -> list[int]:
    """Apply every pending migration; return the versions applied (empty when already current)."""
    version = current_version(conn)
    if version > LATEST_VERSION:
        raise DataError(
            f"this profile's database is at schema {version}, newer than this app ({LATEST_VERSION}); "
            "update LifeOS Coach"
        )
    applied: list[int] = []
    for number, name, migration in MIGRATIONS:
        if number <= version:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            migration(conn)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (number, name, datetime.now(UTC).isoformat(timespec="seconds")),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        applied.append(number)
    return applied
