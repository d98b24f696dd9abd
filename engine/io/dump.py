"""Every table of the profile as JSON Lines, and back: the part of an export that loses nothing.

Tables are found in `sqlite_master`, not listed here, so a table another part adds later (training
activities, sync state) is exported and restored without this module knowing it. Left out are
SQLite's own tables, the schema's record (`schema_migrations`: the new profile has its own, made by
the same migrations), virtual tables (FTS5, vec0) and their shadow tables: those are indexes over
the base tables, rebuilt on restore (FTS5 `rebuild`; vectors by the index refresh), and a dump of
their pages would only tie the export to one version of an extension.

A value is JSON as it is, except bytes (`{"$b64": …}`) and floats that JSON cannot hold.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable, Iterator
from typing import Any

from engine.errors import ImportRejected
from engine.store.connection import Connection

SKIPPED_TABLES = frozenset({"schema_migrations"})
DEVICE_BOUND = "key IN ('device_id', 'hlc.last') OR key LIKE 'sync.%'"
"""`meta` keys that belong to this device, not to the coachee's data: its id, its clock, and its sync
identity (the account's key ring and this device's private signing key). An export carrying them
would hold those secrets in the clear (an unencrypted ZIP), and a profile restored from it would
clone this device on the sync server; the restored profile keeps its own and pairs again."""
SECRETS = "key = 'studio.publisher_key'"
"""`meta` keys that are the coachee's own secrets (a coach creator's private signing key). They go
into an encrypted export, where they are as safe as the rest, and never into a plain ZIP: anyone
holding that file could sign packs in the creator's name. The studio backs the key up on its own."""
BATCH = 2000


def _virtual_tables(conn: Connection) -> list[str]:
    return [
        str(r[0])
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'"
        )
    ]


def data_tables(conn: Connection) -> list[str]:
    """Base tables holding the profile's data, in creation order."""
    virtual = _virtual_tables(conn)
    out: list[str] = []
    for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' "
        "ORDER BY rowid"
    ):
        name = str(name)
        if name.startswith("sqlite_") or name in SKIPPED_TABLES:
            continue
        if any(name.startswith(v + "_") for v in virtual):
            continue  # a shadow table of an FTS5 or vec0 index
        out.append(name)
    return out


def fts_tables(conn: Connection) -> list[str]:
    return [
        str(r[0])
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%USING fts5%'"
        )
    ]


def columns(conn: Connection, table: str) -> list[str]:
    return [str(r[1]) for r in conn.execute(f"PRAGMA table_info({quote(table)})")]


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def encode(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$b64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, float) and not math.isfinite(value):
        return {"$float": repr(value)}
    return value


def decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "$b64" in value:
            return base64.b64decode(value["$b64"])
        if "$float" in value:
            return float(value["$float"])
        raise ValueError("an object where a column value was expected")
    return value


def rows(conn: Connection, table: str, *, secrets: bool = False) -> Iterator[str]:
    """The table's rows as JSON lines (column → value), in storage order; ``secrets``: whether the
    coachee's own secrets may go along (only into an encrypted export)."""
    names = columns(conn, table)
    order = "ORDER BY rowid" if _has_rowid(conn, table) else ""
    left_out = DEVICE_BOUND if secrets else f"{DEVICE_BOUND} OR {SECRETS}"
    device_bound = f" WHERE NOT ({left_out})" if table == "meta" else ""
    cursor = conn.execute(
        f"SELECT {', '.join(quote(c) for c in names)} FROM {quote(table)}{device_bound} {order}"
    )
    while batch := cursor.fetchmany(BATCH):
        for row in batch:
            yield json.dumps(
                {c: encode(v) for c, v in zip(names, row, strict=True)}, ensure_ascii=False, sort_keys=True
            )


def _has_rowid(conn: Connection, table: str) -> bool:
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    return "WITHOUT ROWID" not in str(sql).upper()


def load(
    conn: Connection,
    tables: dict[str, Callable[[], Iterator[tuple[str, str]]]],
    *,
    check: Callable[[], None] | None = None,
) -> dict[str, int]:
    """Replace every data table's rows with the dumped ones, inside the caller's transaction.

    `tables` maps a table to its lines as (where, JSON text). Triggers are dropped for the load and
    made again after, so that restoring writes exactly the dumped rows (no sync outbox entries, no
    index rows of their own); the FTS5 twins are then rebuilt from the base tables. A column the
    dump lacks takes its default (an export from an older schema); a column the profile lacks is
    refused, since its data would be lost.
    """
    conn.execute("PRAGMA defer_foreign_keys = ON")  # rows arrive table by table; checked at commit
    triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
    for name, _ in triggers:
        conn.execute(f"DROP TRIGGER {quote(str(name))}")
    present = data_tables(conn)
    counts: dict[str, int] = {}
    for table in present:
        kept = f" WHERE NOT ({DEVICE_BOUND})" if table == "meta" else ""  # this device's own identity
        conn.execute(f"DELETE FROM {quote(table)}{kept}")
    for table, lines in tables.items():
        if table not in present:
            raise ImportRejected(f"data/{table}.jsonl", "is a table this version of the app does not have")
        known = set(columns(conn, table))
        n = 0
        for where, line in lines():
            try:
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise ValueError("not an object")
                values = {str(k): decode(v) for k, v in record.items()}
            except (ValueError, TypeError) as exc:
                raise ImportRejected(where, f"holds a row that is not valid JSON ({exc})") from None
            extra = set(values) - known
            if extra:
                raise ImportRejected(where, f"has columns this profile lacks: {', '.join(sorted(extra))}")
            cols = list(values)
            try:
                conn.execute(
                    f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in cols)}) "
                    f"VALUES ({', '.join('?' * len(cols))})",
                    [values[c] for c in cols],
                )
            except Exception as exc:  # sqlite errors: constraint, type
                raise ImportRejected(where, f"has a row the database refuses ({exc})") from None
            n += 1
            if check is not None and n % BATCH == 0:
                check()
        counts[table] = n
    for _, sql in triggers:
        conn.execute(str(sql))
    for fts in fts_tables(conn):
        conn.execute(f"INSERT INTO {quote(fts)} ({quote(fts)}) VALUES ('rebuild')")
    return counts
