"""The `meta` table: the one owner of the profile's key/value settings.

Settings, clocks and markers (the device id, the HLC, vector spaces, reasoner choice, heartbeat
hours) all live in `meta`. Every read and write goes through these functions so that there is one
upsert, and so that a later change (syncing some keys, say) has one place to hook into.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from engine.clock import new_id

if TYPE_CHECKING:
    from engine.store.connection import Connection
    from engine.store.database import Database

DEVICE_ID = "device_id"


def get(conn: Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def put(conn: Connection, key: str, value: str) -> None:
    """Insert or replace, inside the caller's transaction."""
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def put_new(conn: Connection, key: str, value: str) -> bool:
    """Insert unless the key exists; True when it was inserted."""
    return (
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", (key, value)
        ).rowcount
        > 0
    )


def delete(conn: Connection, key: str) -> None:
    conn.execute("DELETE FROM meta WHERE key = ?", (key,))


def keys_with_prefix(conn: Connection, prefix: str) -> list[str]:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return [
        str(r[0]) for r in conn.execute("SELECT key FROM meta WHERE key LIKE ? ESCAPE '\\'", (escaped + "%",))
    ]


def get_json(conn: Connection, key: str, default: Any = None) -> Any:
    text = get(conn, key)
    return default if text is None else json.loads(text)


def put_json(conn: Connection, key: str, value: Any) -> None:
    put(conn, key, json.dumps(value, sort_keys=True))


def ensure_device_id(db: Database) -> str:
    """This device's id, made once per profile (the outbox and sync name changes by it)."""
    with db.lock:
        existing = get(db.conn, DEVICE_ID)
    if existing:
        return existing
    with db.atomic() as conn:
        existing = get(conn, DEVICE_ID)
        if existing:
            return existing
        device_id = new_id().replace("-", "")[:16] + os.urandom(4).hex()
        put(conn, DEVICE_ID, device_id)
        return device_id
