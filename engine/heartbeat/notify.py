"""Delivering a check-in: always into the in-app inbox and the daily notes, and to the OS when it can.

The inbox row's `dedupe_key` is UNIQUE, so a check-in is delivered once even if two heartbeat
processes race. OS notifications go through plyer, but only where a notification service exists (on
Linux `notify-send` and a session bus); any failure there is swallowed: the inbox has it anyway.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.clock import iso_utc, new_id
from engine.errors import NotFound, UsageError
from engine.store.connection import Connection


@dataclass(frozen=True)
class CheckIn:
    """A proactive message: why it is sent (`reason`), and what the coachee can do with it."""

    kind: str  # deadline, stale_area, coach, archive
    title: str
    body: str
    reason: str
    dedupe_key: str
    action: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InboxItem:
    id: str
    kind: str
    title: str
    body: str
    reason: str
    action: dict[str, Any]
    created_at: str
    read_at: str | None
    snoozed_until: str | None
    done_at: str | None


_COLUMNS = "id, kind, title, body, reason, action, created_at, read_at, snoozed_until, done_at"


def deliver(conn: Connection, check_in: CheckIn, *, now: datetime) -> bool:
    """Store the check-in unless it was already delivered (the caller logs it in today's notes)."""
    cursor = conn.execute(
        "INSERT OR IGNORE INTO notifications (id, kind, title, body, reason, action, dedupe_key, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            new_id(now),
            check_in.kind,
            check_in.title,
            check_in.body,
            check_in.reason,
            json.dumps(check_in.action),
            check_in.dedupe_key,
            iso_utc(now),
        ),
    )
    return cursor.rowcount == 1


def _row(row: tuple) -> InboxItem:
    id_, kind, title, body, reason, action, created, read, snoozed, done = row
    return InboxItem(id_, kind, title, body, reason, json.loads(action), created, read, snoozed, done)


def inbox(conn: Connection, now: datetime, *, include_done: bool = False) -> list[InboxItem]:
    """Open items, newest first; snoozed ones come back when their time is up."""
    clauses = [] if include_done else ["done_at IS NULL", "(snoozed_until IS NULL OR snoozed_until <= ?)"]
    params = [] if include_done else [iso_utc(now)]
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM notifications {where} ORDER BY created_at DESC, seq DESC", params
    )
    return [_row(r) for r in rows.fetchall()]


def update(
    conn: Connection, item_id: str, *, now: datetime, action: str, until: datetime | None = None
) -> None:
    if action == "snooze":
        if until is None or until <= now:
            raise UsageError("snooze needs a time in the future")
        sql, params = "UPDATE notifications SET snoozed_until = ? WHERE id = ?", (iso_utc(until), item_id)
    elif action == "done":
        sql, params = "UPDATE notifications SET done_at = ? WHERE id = ?", (iso_utc(now), item_id)
    elif action == "read":
        sql, params = (
            "UPDATE notifications SET read_at = coalesce(read_at, ?) WHERE id = ?",
            (iso_utc(now), item_id),
        )
    else:
        raise UsageError(f"unknown inbox action {action!r}")
    if conn.execute(sql, params).rowcount != 1:
        raise NotFound(f"no inbox item with id {item_id}")


def os_notifications_available() -> bool:
    """Whether the OS has a notification service plyer can reach right now."""
    system = platform.system()
    if system == "Linux":
        return bool(shutil.which("notify-send")) and bool(os.environ.get("DBUS_SESSION_BUS_ADDRESS"))
    return system in ("Darwin", "Windows")


def os_notify(title: str, body: str) -> bool:
    """Best effort: True when the OS accepted the notification."""
    if not os_notifications_available():
        return False
    try:
        from plyer import notification

        notification.notify(title=title, message=body, app_name="LifeOS Coach", timeout=10)
        return True
    except Exception:  # plyer raises NotImplementedError, dbus and OS errors alike
        return False
