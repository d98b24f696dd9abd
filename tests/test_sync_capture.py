"""Every change to every synced table reaches the outbox, whoever writes it (the capture triggers).

Unit tests of engine/store/capture.py on a real encrypted profile: the registry is the one place a
table is decided on, so a table added to the schema without a decision fails here.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from engine.api import Engine
from engine.store import capture
from engine.store.connection import open_encrypted
from engine.store.migrations import MIGRATIONS, migrate

VIRTUAL_SUFFIXES = ("_fts", "_vec", "_fts_data", "_fts_idx", "_fts_docsize", "_fts_config", "_fts_content")


def _tables(conn) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {
        r[0]
        for r in rows
        if not r[0].startswith("sqlite_") and "_vec_" not in r[0] and not r[0].endswith(VIRTUAL_SUFFIXES)
    }


def test_every_table_of_the_schema_is_synced_or_declared_local(engine: Engine) -> None:
    conn = engine._session.db.conn
    tables = _tables(conn)
    undecided = tables - set(capture.SYNCED) - capture.LOCAL_ONLY
    assert undecided == set(), (
        f"add these tables to SYNCED or LOCAL_ONLY in engine/store/capture.py: {undecided}"
    )
    assert set(capture.SYNCED) <= tables
    assert capture.missing_triggers(conn) == []


def _sample_value(column: dict) -> object:
    kind = (column["type"] or "").upper()
    if "INT" in kind:
        return 1
    if "REAL" in kind:
        return 1.5
    if "BLOB" in kind:
        return os.urandom(8)
    return "x-" + os.urandom(4).hex()


def test_insert_update_and_delete_of_every_synced_table_reach_the_outbox(engine: Engine) -> None:
    db = engine._session.db
    conn = db.conn
    conn.execute("PRAGMA foreign_keys = OFF")  # rows made up column by column, parents need not exist
    try:
        for table, spec in capture.SYNCED.items():
            columns = [
                {"name": r[1], "type": r[2], "notnull": r[3], "pk": r[5]}
                for r in conn.execute(f"PRAGMA table_info({table})").fetchall()
                if r[1] != "seq"
            ]
            values = {c["name"]: _sample_value(c) for c in columns}
            # CHECK constraints: use a value each table accepts
            for name, allowed in (
                ("kind", "daily"),
                ("type", "project"),
                ("role", "user"),
                ("status", "active"),
            ):
                if name in values and table in ("notes", "entities", "messages", "facts", "suggestions"):
                    values[name] = (
                        {"suggestions": "open"}.get(table, allowed) if name == "status" else allowed
                    )
            if table == "suggestions":
                values["kind"] = "supersede"
            before = conn.execute("SELECT coalesce(max(seq), 0) FROM changes").fetchone()[0]
            key = [values[k] for k in spec.key]
            where = " AND ".join(f"{k} = ?" for k in spec.key)
            editable = next(
                (
                    c_["name"]
                    for c_ in columns
                    if c_["name"] not in spec.key
                    and "TEXT" in (c_["type"] or "").upper()
                    and c_["name"] not in ("kind", "type", "role", "status")
                ),
                None,
            )
            with db.atomic() as c:
                cols = ", ".join(values)
                marks = ", ".join("?" for _ in values)
                c.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})", list(values.values()))
                if editable is None:  # only key columns (note_tags): an update that changes nothing
                    c.execute(f"UPDATE {table} SET {spec.key[0]} = {spec.key[0]} WHERE {where}", key)
                else:
                    c.execute(f"UPDATE {table} SET {editable} = ? WHERE {where}", ["edited", *key])
                c.execute(f"DELETE FROM {table} WHERE {where}", key)
            rows = conn.execute(
                "SELECT table_name, row_id, op, hlc, base_hlc FROM changes WHERE seq > ? ORDER BY seq",
                (before,),
            ).fetchall()
            row_id = key[0] if len(key) == 1 else json.dumps(key, separators=(",", ":"))
            assert [(r[0], r[2]) for r in rows] == [
                (table, "insert"),
                (table, "update"),
                (table, "delete"),
            ], table
            assert {r[1] for r in rows} == {row_id}, table
            hlcs = [r[3] for r in rows]
            assert hlcs == sorted(hlcs) and len(set(hlcs)) == 3, table
            # each edit names the version it started from
            assert [r[4] for r in rows] == [None, hlcs[0], hlcs[1]], table
    finally:
        conn.execute("PRAGMA foreign_keys = ON")


def test_the_writes_that_used_to_be_missed_are_captured(engine: Engine) -> None:
    """Tacit knowledge and fact access counts were not in the hand-written outbox."""
    engine.notes.add("Went for a run before work")
    fact = engine.memory.add_fact("I run on Tuesdays").fact
    db = engine._session.db
    before = db.query_one("SELECT max(seq) FROM changes")[0]
    engine.memory.mark_used([fact.id])
    engine.memory.tacit_knowledge()
    rows = db.query("SELECT table_name, row_id, op FROM changes WHERE seq > ? ORDER BY seq", (before,))
    assert ("facts", fact.id, "update") in rows
    assert ("documents", "tacit_knowledge", "insert") in rows


def test_migration_6_records_existing_rows_once_for_a_first_sync(tmp_path: Path) -> None:
    conn = open_encrypted(tmp_path / "old.db", os.urandom(32))
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)")
    for number, name, step in MIGRATIONS:
        if number >= 6:
            break
        step(conn)
        conn.execute("INSERT INTO schema_migrations VALUES (?, ?, 'then')", (number, name))
    conn.execute("INSERT INTO meta VALUES ('device_id', 'dev1')")
    for i in range(5):
        conn.execute(
            "INSERT INTO notes (id, body, day, created_at, updated_at) VALUES (?, ?, '2026-01-01', 't', 't')",
            (f"n{i}", f"body {i}"),
        )
    assert 6 in migrate(conn)
    rows = conn.execute(
        "SELECT row_id, op, device_id FROM changes WHERE table_name = 'notes' ORDER BY seq"
    ).fetchall()
    assert [r[0] for r in rows[-5:]] == [f"n{i}" for i in range(5)]
    assert {(r[1], r[2]) for r in rows[-5:]} == {("insert", "dev1")}
    versions = conn.execute("SELECT count(*) FROM sync_rows WHERE table_name = 'notes'").fetchone()[0]
    assert versions == 5
    conn.close()


def test_one_statement_touching_more_rows_than_the_counter_holds_keeps_the_clock_sorted(
    engine: Engine,
) -> None:
    db = engine._session.db
    with db.atomic() as conn:
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('hlc.last', '9000000000000:99990:dev') "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
        )
        conn.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30) "
            "INSERT INTO notes (id, body, day, created_at, updated_at) "
            "SELECT 'bulk-' || i, 'b', '2026-01-01', 't', 't' FROM n"
        )
    hlcs = [r[0] for r in db.query("SELECT hlc FROM changes WHERE row_id LIKE 'bulk-%' ORDER BY seq")]
    assert len(hlcs) == 30 and hlcs == sorted(hlcs) and len(set(hlcs)) == 30
    assert all(len(h.split(":")[1]) == 5 for h in hlcs)
    assert hlcs[-1].startswith("9000000000001:")  # borrowed the next millisecond


def test_the_python_clock_follows_the_same_rules() -> None:
    from engine.store.outbox import next_hlc

    assert next_hlc(None, 5, "d") == "0000000000005:00000:d"
    assert next_hlc("0000000000005:00007:x", 3, "d") == "0000000000005:00008:d"  # never backwards
    assert next_hlc("0000000000005:99999:x", 5, "d") == "0000000000006:00000:d"
    assert next_hlc("0000000000005:00007:x", 9, "d") == "0000000000009:00000:d"
