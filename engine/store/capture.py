"""Which tables sync, and the triggers that record every change to them in the outbox.

Write sites used to call the outbox by hand and some forgot (the tacit-knowledge document, fact
access counts, suggestions, notifications), so a sync built on them would have lost edits silently.
A trigger cannot forget: every insert, update and delete of a synced table appends a row to
`changes` with a hybrid logical clock, the device id and the version the edit started from.

`SYNCED` is the one registry. A table added later syncs by adding one line here (its migration
creates the table; `ensure_triggers`, run whenever a profile opens, adds the missing triggers).
`LOCAL_ONLY` names the tables that deliberately never leave the device, so a test can prove that
every table of the schema was decided on.

The clock runs in SQL so that it works for any writer, the app's own code or a raw statement: the
physical part is SQLite's millisecond wall clock, the counter breaks ties, and `hlc.last` in `meta`
keeps it from ever going backwards (applying a remote change moves it forward, see
engine/sync/apply.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.store.connection import Connection

HLC_KEY = "hlc.last"
APPLYING_KEY = "sync.applying"  # present in `meta` while remote changes are applied: not recorded again


@dataclass(frozen=True)
class Synced:
    """A synced table: its key columns (the row id the outbox names) and its merge rule.

    Rules (seed §14): `lww` — the newer hybrid-clock version wins, the other is kept as history;
    `server_order` — the version the server logged last wins, the other is kept as history;
    `upload_only` — pushed (a backup) but never applied on another device;
    `once` — rows that never change once written (kept versions): the first copy stands.
    """

    key: tuple[str, ...]
    rule: str = "lww"


SYNCED: dict[str, Synced] = {
    "notes": Synced(("id",)),
    "entities": Synced(("id",), "server_order"),
    "facts": Synced(("id",)),
    "fact_entities": Synced(("fact_id", "entity_id")),
    "edges": Synced(("id",)),
    "messages": Synced(("id",)),
    "notifications": Synced(("id",)),
    "suggestions": Synced(("id",)),
    "attachments": Synced(("id",)),
    "note_tags": Synced(("note_id", "tag")),
    "activities": Synced(("id",)),
    "documents": Synced(("name",), "upload_only"),  # tacit knowledge: this device's own patterns
    # Versions kept after a conflict travel too: a device that edited past a version (so never kept
    # it) still ends with the version another device kept, and every device holds the same history.
    "sync_history": Synced(("table_name", "row_id", "hlc"), "once"),
}

# Never synced, and why: coach packs come from the catalog (download only); the rest is per device.
LOCAL_ONLY: frozenset[str] = frozenset(
    {
        "meta",  # device id, clocks, sync keys and cursors, settings of this device
        "coaches",  # download only: installed from the catalog on each device
        "chunks",
        "chunks_vectors",
        "jobs",  # each device schedules its own heartbeat
        "changes",  # the outbox itself
        "purge_log",  # what this device purged (a purge itself syncs as a delete)
        "import_sources",  # what this device imported from where (the imported notes themselves sync)
        "schema_migrations",
        "sync_rows",
        # a coach creator's drafts stay on the machine that holds the books (engine/studio)
        "studio_drafts",
        "studio_sources",
        "studio_pages",
        "studio_chunks",
        "studio_turns",
    }
)


def key_expr(table: str, alias: str) -> str:
    """The row id as SQL over `new`/`old`: the key itself, or a JSON array for composite keys."""
    cols = SYNCED[table].key
    if len(cols) == 1:
        return f"{alias}.{cols[0]}"
    return "json_array(" + ", ".join(f"{alias}.{c}" for c in cols) + ")"


_NOW_MS = "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)"
_LAST = f"(SELECT value FROM meta WHERE key = '{HLC_KEY}')"
_DEVICE = "COALESCE((SELECT value FROM meta WHERE key = 'device_id'), 'local')"
_LAST_MS = f"CAST(substr({_LAST}, 1, 13) AS INTEGER)"
_LAST_COUNTER = f"CAST(substr({_LAST}, 15, 5) AS INTEGER)"
# The counter keeps five digits (the clock sorts as text): past 99,999 changes in one millisecond
# (one statement touching that many rows) the clock borrows the next millisecond.
_NEXT_HLC = (
    f"CASE WHEN {_LAST} IS NULL OR {_NOW_MS} > {_LAST_MS} "
    f"THEN printf('%013d:%05d:%s', {_NOW_MS}, 0, {_DEVICE}) "
    f"WHEN {_LAST_COUNTER} >= 99999 THEN printf('%013d:%05d:%s', {_LAST_MS} + 1, 0, {_DEVICE}) "
    f"ELSE printf('%013d:%05d:%s', {_LAST_MS}, {_LAST_COUNTER} + 1, {_DEVICE}) END"
)


def trigger_sql(table: str) -> list[str]:
    """The three capture triggers of one synced table."""
    statements = []
    for event, alias, op in (
        ("INSERT", "new", "insert"),
        ("UPDATE", "new", "update"),
        ("DELETE", "old", "delete"),
    ):
        row = key_expr(table, alias)
        # a row deleted here (a purge) takes its kept versions with it: the right to deletion
        forget = (
            f"\n    DELETE FROM sync_history WHERE table_name = '{table}' AND row_id = {row};"
            if op == "delete" and table != "sync_history"
            else ""
        )
        statements.append(
            f"""CREATE TRIGGER IF NOT EXISTS sync_{table}_{op} AFTER {event} ON {table}
WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = '{APPLYING_KEY}')
BEGIN
    INSERT INTO meta (key, value) VALUES ('{HLC_KEY}', {_NEXT_HLC})
        ON CONFLICT (key) DO UPDATE SET value = excluded.value;
    INSERT INTO changes (table_name, row_id, op, hlc, device_id, base_hlc)
        VALUES ('{table}', {row}, '{op}', {_LAST}, {_DEVICE},
                (SELECT hlc FROM sync_rows WHERE table_name = '{table}' AND row_id = {row}));
    INSERT INTO sync_rows (table_name, row_id, hlc, device_id) VALUES ('{table}', {row}, {_LAST}, {_DEVICE})
        ON CONFLICT (table_name, row_id) DO UPDATE SET hlc = excluded.hlc, device_id = excluded.device_id;{forget}
END"""
        )
    return statements


def missing_triggers(conn: Connection) -> list[str]:
    existing = {
        str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall()
    }
    tables = {
        str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    }
    return [
        t
        for t in SYNCED
        if t in tables and any(f"sync_{t}_{op}" not in existing for op in ("insert", "update", "delete"))
    ]


def install_triggers(conn: Connection, tables: list[str]) -> None:
    """Create the capture triggers of `tables` inside the caller's transaction."""
    for table in tables:
        for statement in trigger_sql(table):
            conn.execute(statement)


# Migration 6: the outbox learns each change's base version; per-row versions and kept history.
SYNC_SCHEMA = """
ALTER TABLE changes ADD COLUMN base_hlc TEXT;
CREATE INDEX changes_row ON changes (table_name, row_id, seq);

-- The version each synced row is at now (its hybrid clock and writer), and the server position of
-- that version once logged: the merge rules compare a remote change against it.
CREATE TABLE sync_rows (
    table_name TEXT NOT NULL,
    row_id     TEXT NOT NULL,
    hlc        TEXT NOT NULL,
    device_id  TEXT NOT NULL,
    server_seq INTEGER,
    PRIMARY KEY (table_name, row_id)
) WITHOUT ROWID;

-- Versions that lost a conflict: nothing a device wrote is dropped (seed §14).
CREATE TABLE sync_history (
    table_name TEXT NOT NULL,
    row_id     TEXT NOT NULL,
    hlc        TEXT NOT NULL,
    device_id  TEXT NOT NULL,
    payload    TEXT NOT NULL,
    kept_at    TEXT NOT NULL,
    PRIMARY KEY (table_name, row_id, hlc)
) WITHOUT ROWID;
"""


def backfill(conn: Connection, now_ms: int) -> int:
    """Record every existing row once, so a profile made before triggers syncs whole (its first sync)."""
    from engine.store.outbox import next_hlc

    device = conn.execute("SELECT value FROM meta WHERE key = 'device_id'").fetchone()
    device_id = str(device[0]) if device else "local"
    last_row = conn.execute("SELECT value FROM meta WHERE key = ?", (HLC_KEY,)).fetchone()
    last = str(last_row[0]) if last_row else None
    count = 0
    for table in SYNCED:
        exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,))
        if exists.fetchone() is None:
            continue
        row_expr = key_expr(table, table)
        for (row_id,) in conn.execute(f"SELECT {row_expr} FROM {table}").fetchall():
            last = next_hlc(last, now_ms, device_id)
            conn.execute(
                "INSERT INTO changes (table_name, row_id, op, hlc, device_id) VALUES (?, ?, 'insert', ?, ?)",
                (table, row_id, last, device_id),
            )
            conn.execute(
                "INSERT INTO sync_rows (table_name, row_id, hlc, device_id) VALUES (?, ?, ?, ?)",
                (table, row_id, last, device_id),
            )
            count += 1
    if last is not None:
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (HLC_KEY, last),
        )
    return count
