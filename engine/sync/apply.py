"""Applying a change pulled from the server: the merge rules of seed §14, as pure decisions plus writes.

Every device applies the account's log in the server's order, so the same rules give the same
result everywhere:

- `lww` (daily notes, facts and the rest): the version with the newer hybrid clock is current;
- `server_order` (entities): the version the server logged last is current. A local edit not yet
  pushed will be logged after everything this device is pulling now, so it stays current;
- `upload_only` (tacit knowledge): never applied here.

A version that loses, or that is replaced by another device's version that did not start from it
(a conflict, told by the change's base), is kept in `sync_history`: nothing is dropped. A delete is
an explicit purge (the right to deletion), so it removes the row and its kept versions too.

Rows arrive in another device's causal order, but a pull page can end between a parent row and the
row pointing at it; foreign keys are checked by `doctor` on the whole, not per page (see
`Applier.apply_page`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import sqlcipher3

from engine.store.capture import APPLYING_KEY, HLC_KEY, SYNCED
from engine.store.connection import Connection
from engine.sync.crypto import Header
from engine.sync.outbox import decode_value, key_values, key_where, read_row


@dataclass
class ApplyCounts:
    applied: int = 0
    kept_as_history: int = 0
    skipped: int = 0  # own echoes, duplicates, upload-only, purged rows
    unknown_tables: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Current:
    hlc: str
    device_id: str
    server_seq: int | None
    exists: bool
    dirty: bool


def remote_wins(rule: str, header: Header, server_seq: int, current: Current | None) -> bool:
    """Whether a remote version replaces the current one (pure, see the module docstring)."""
    if current is None:
        return True
    if rule == "once":
        return not current.exists
    if rule == "server_order":
        if current.dirty:
            return False
        return current.server_seq is None or current.server_seq < server_seq
    return header.hlc[:19] > current.hlc[:19] or (
        header.hlc[:19] == current.hlc[:19] and header.device_id > current.device_id
    )


def _current(conn: Connection, table: str, row_id: str) -> Current | None:
    found = conn.execute(
        "SELECT hlc, device_id, server_seq FROM sync_rows WHERE table_name = ? AND row_id = ?",
        (table, row_id),
    ).fetchone()
    if found is None:
        return None
    exists = (
        conn.execute(f"SELECT 1 FROM {table} WHERE {key_where(table)}", key_values(table, row_id)).fetchone()
        is not None
    )
    dirty = (
        conn.execute(
            "SELECT 1 FROM changes WHERE table_name = ? AND row_id = ? AND pushed_at IS NULL LIMIT 1",
            (table, row_id),
        ).fetchone()
        is not None
    )
    return Current(str(found[0]), str(found[1]), found[2], exists, dirty)


def _keep(conn: Connection, table: str, row_id: str, hlc: str, device_id: str, row: Any, now: str) -> None:
    """Keep a losing version, and send it on like an edit: the capture trigger records this one
    insert (apply mode is lifted around it), so devices that never held the version get it too."""
    if conn.execute(
        "SELECT 1 FROM sync_history WHERE table_name = ? AND row_id = ? AND hlc = ?", (table, row_id, hlc)
    ).fetchone():
        return
    conn.execute("DELETE FROM meta WHERE key = ?", (APPLYING_KEY,))
    try:
        conn.execute(
            "INSERT INTO sync_history (table_name, row_id, hlc, device_id, payload, kept_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (table, row_id, hlc, device_id, json.dumps(row, sort_keys=True), now),
        )
    finally:
        begin_applying(conn)


def _purged(conn: Connection, table: str, row_id: str) -> bool:
    """A row this device has had and deleted (a purge): its kept versions must not come back."""
    if table not in SYNCED:
        return False
    known = conn.execute(
        "SELECT 1 FROM sync_rows WHERE table_name = ? AND row_id = ?", (table, row_id)
    ).fetchone()
    if known is None:
        return False
    return (
        conn.execute(f"SELECT 1 FROM {table} WHERE {key_where(table)}", key_values(table, row_id)).fetchone()
        is None
    )


def _unique_column_sets(conn: Connection, table: str) -> list[list[str]]:
    sets = []
    for index in conn.execute(f"PRAGMA index_list({table})").fetchall():
        if index[2]:  # unique
            cols = [str(r[2]) for r in conn.execute(f"PRAGMA index_info({index[1]})").fetchall()]
            if cols and cols != list(SYNCED[table].key) and "seq" not in cols:
                sets.append(cols)
    return sets


def _upsert(conn: Connection, table: str, row: dict[str, Any], now: str) -> None:
    """Insert or update by the row's key. Another row holding one of its other unique values (two
    devices made the same edge) is resolved the same way everywhere: the smaller key stays."""
    keys = SYNCED[table].key
    cols = list(row)
    values = [decode_value(row[c]) for c in cols]
    updates = (
        ", ".join(f"{c} = excluded.{c}" for c in cols if c not in keys) or f"{keys[0]} = excluded.{keys[0]}"
    )
    sql = (
        f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)}) "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
    )
    try:
        conn.execute(sql, values)
        return
    except sqlcipher3.IntegrityError as exc:
        if "UNIQUE" not in str(exc):
            raise
    own_key = tuple(row[k] for k in keys)
    for cols_set in _unique_column_sets(conn, table):
        if any(c not in row for c in cols_set):
            continue
        where = " AND ".join(f"{c} = ?" for c in cols_set)
        other = conn.execute(
            f"SELECT {', '.join(keys)} FROM {table} WHERE {where}", [decode_value(row[c]) for c in cols_set]
        ).fetchone()
        if other is None or tuple(other) == own_key:
            continue
        other_id = str(other[0]) if len(keys) == 1 else json.dumps(list(other))
        own_id = str(own_key[0]) if len(keys) == 1 else json.dumps(list(own_key))
        if other_id < own_id:
            _keep(conn, table, own_id, "unique:" + other_id, "", row, now)
            return
        _keep(conn, table, other_id, "unique:" + own_id, "", read_row(conn, table, other_id), now)
        conn.execute(f"DELETE FROM {table} WHERE {key_where(table)}", key_values(table, other_id))
    conn.execute(sql, values)


def apply_change(
    conn: Connection,
    header: Header,
    row: dict[str, Any] | None,
    server_seq: int,
    own_device: str,
    now: str,
    counts: ApplyCounts,
) -> None:
    table, row_id = header.table, header.row_id
    if header.device_id == own_device:
        conn.execute(
            "UPDATE sync_rows SET server_seq = ? WHERE table_name = ? AND row_id = ? AND hlc = ?",
            (server_seq, table, row_id, header.hlc),
        )
        counts.skipped += 1
        return
    spec = SYNCED.get(table)
    if spec is None:
        counts.unknown_tables.add(table)
        counts.skipped += 1
        return
    if spec.rule == "upload_only":
        counts.skipped += 1
        return
    if table == "sync_history" and row is not None and _purged(conn, row["table_name"], row["row_id"]):
        counts.skipped += 1
        return
    current = _current(conn, table, row_id)
    if current is not None and current.hlc == header.hlc:
        counts.skipped += 1
        return
    if not remote_wins(spec.rule, header, server_seq, current):
        if spec.rule == "once":
            counts.skipped += 1  # the same kept version, recorded by two devices
        elif row is not None and (current is None or current.exists):
            _keep(conn, table, row_id, header.hlc, header.device_id, row, now)
            counts.kept_as_history += 1
        else:
            counts.skipped += 1  # older than a purge: the purge stands
        return
    if header.op == "delete" or row is None:
        conn.execute(f"DELETE FROM {table} WHERE {key_where(table)}", key_values(table, row_id))
        conn.execute("DELETE FROM sync_history WHERE table_name = ? AND row_id = ?", (table, row_id))
    else:
        conflict = current is not None and current.exists and header.base != current.hlc
        if conflict and current is not None and current.device_id != header.device_id:
            _keep(conn, table, row_id, current.hlc, current.device_id, read_row(conn, table, row_id), now)
            counts.kept_as_history += 1
        _upsert(conn, table, row, now)
    conn.execute(
        "INSERT INTO sync_rows (table_name, row_id, hlc, device_id, server_seq) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (table_name, row_id) DO UPDATE SET hlc = excluded.hlc, "
        "device_id = excluded.device_id, server_seq = excluded.server_seq",
        (table, row_id, header.hlc, header.device_id, server_seq),
    )
    counts.applied += 1


def begin_applying(conn: Connection) -> None:
    """Inside the apply transaction: the capture triggers stand aside (a remote change is not a new edit)."""
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, '1') ON CONFLICT (key) DO NOTHING", (APPLYING_KEY,)
    )


def end_applying(conn: Connection, newest_hlc: str | None) -> None:
    """Leave apply mode and move this device's clock past every applied change (the HLC receive rule)."""
    conn.execute("DELETE FROM meta WHERE key = ?", (APPLYING_KEY,))
    if newest_hlc is None:
        return
    last = conn.execute("SELECT value FROM meta WHERE key = ?", (HLC_KEY,)).fetchone()
    if last is None or str(last[0])[:19] < newest_hlc[:19]:
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (HLC_KEY, newest_hlc),
        )
