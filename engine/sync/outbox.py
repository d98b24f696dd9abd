"""Reading the outbox for a push, and marking what the server acknowledged.

Several edits of one row before a push travel as one change: the row as it is now, the newest
hybrid clock, and the base of the first edit (the version the device started from), which is what
the merge rules need to tell a plain successor from a conflict. Rows go in the order of their first
unpushed change, so a parent row travels before the rows that point at it.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from engine.store.capture import SYNCED
from engine.store.connection import Connection


@dataclass(frozen=True)
class Pending:
    """One row's unpushed edits, ready to seal."""

    table: str
    row_id: str
    op: str  # insert/update, or delete when the row is gone
    hlc: str
    base: str | None
    device_id: str
    last_seq: int
    row: dict[str, Any] | None


def key_values(table: str, row_id: str) -> tuple[Any, ...]:
    cols = SYNCED[table].key
    return (row_id,) if len(cols) == 1 else tuple(json.loads(row_id))


def key_where(table: str) -> str:
    return " AND ".join(f"{c} = ?" for c in SYNCED[table].key)


def encode_value(value: Any) -> Any:
    return {"$b64": base64.b64encode(value).decode()} if isinstance(value, bytes) else value


def decode_value(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"$b64"}:
        return base64.b64decode(value["$b64"])
    return value


def read_row(conn: Connection, table: str, row_id: str) -> dict[str, Any] | None:
    """The row as a JSON-ready dict, without `seq` (a local rowid that differs on every device)."""
    cursor = conn.execute(f"SELECT * FROM {table} WHERE {key_where(table)}", key_values(table, row_id))
    found = cursor.fetchone()
    if found is None:
        return None
    names = [d[0] for d in cursor.description]
    return {n: encode_value(v) for n, v in zip(names, found, strict=True) if n != "seq"}


def pending(conn: Connection, limit: int) -> list[Pending]:
    groups = conn.execute(
        "SELECT table_name, row_id, min(seq), max(seq) FROM changes WHERE pushed_at IS NULL "
        "GROUP BY table_name, row_id ORDER BY min(seq) LIMIT ?",
        (limit,),
    ).fetchall()
    out: list[Pending] = []
    for table, row_id, first, last in groups:
        if table not in SYNCED:
            continue
        base = conn.execute("SELECT base_hlc FROM changes WHERE seq = ?", (first,)).fetchone()[0]
        op, hlc, device_id = conn.execute(
            "SELECT op, hlc, device_id FROM changes WHERE seq = ?", (last,)
        ).fetchone()
        row = read_row(conn, table, row_id)
        op = "delete" if row is None else ("update" if op == "delete" else op)
        out.append(Pending(table, row_id, op, hlc, base, device_id, int(last), row))
    return out


def count_pending(conn: Connection) -> int:
    row = conn.execute(
        "SELECT count(*) FROM (SELECT 1 FROM changes WHERE pushed_at IS NULL GROUP BY table_name, row_id)"
    ).fetchone()
    return int(row[0])


def skip_unsynced(conn: Connection, now: str) -> None:
    """Changes of tables that no longer sync (renamed away from the registry) are marked done."""
    tables = ", ".join("?" for _ in SYNCED)
    conn.execute(
        f"UPDATE changes SET pushed_at = ? WHERE pushed_at IS NULL AND table_name NOT IN ({tables})",
        (now, *SYNCED),
    )


def mark_pushed(conn: Connection, item: Pending, server_seq: int, now: str) -> None:
    """The server logged `item` at `server_seq`: its edits are done, and the row's version is placed."""
    conn.execute(
        "UPDATE changes SET pushed_at = ? WHERE table_name = ? AND row_id = ? AND seq <= ? "
        "AND pushed_at IS NULL",
        (now, item.table, item.row_id, item.last_seq),
    )
    conn.execute(
        "UPDATE sync_rows SET server_seq = ? WHERE table_name = ? AND row_id = ? AND hlc = ?",
        (server_seq, item.table, item.row_id, item.hlc),
    )
