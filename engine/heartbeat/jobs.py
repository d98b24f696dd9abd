"""Role schedules stored in the DB, with their last and next run, and a lock per role.

A missed run catches up once: a role is due when its `next_run` has passed, and after it runs the
next one is computed from *now*, not from the missed slots. Two heartbeat processes never run one role
twice: a process takes a role by an UPDATE that only succeeds while the role is due and unlocked, in
an IMMEDIATE transaction (SQLite serialises those), and the lock expires if its process dies.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from engine.clock import iso_utc
from engine.heartbeat.cron import Cron
from engine.store.connection import Connection

ROLES: dict[str, tuple[str, str]] = {
    # name: (default schedule, what it does)
    "synthesis": ("0 3 * * 0", "A · weekly synthesis: decay, summaries, archive proposals"),
    "extract": ("0 */6 * * *", "B · fact extraction from new daily notes"),
    "checkins": ("*/30 * * * *", "C · proactive check-ins (deadlines, stale areas, coach rhythm)"),
    "index": ("30 */6 * * *", "D · index refresh: re-embed changes, optimise FTS5, prune edges"),
    "reflection": (
        "0 6 * * 1",
        "E · weekly reflection: the running coach's advice against the runs, next plan",
    ),
}
LOCK_TTL = timedelta(minutes=10)


@dataclass(frozen=True)
class JobStatus:
    role: str
    description: str
    schedule: str
    last_run: str | None
    next_run: str
    locked_by: str | None
    state: dict[str, Any]


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def ensure(conn: Connection, now: datetime) -> None:
    """Create missing role rows, due at once: a new profile's first heartbeat looks at everything."""
    for role, (schedule, _) in ROLES.items():
        conn.execute(
            "INSERT OR IGNORE INTO jobs (name, schedule, next_run) VALUES (?, ?, ?)",
            (role, schedule, iso_utc(now)),
        )


def set_schedule(conn: Connection, role: str, schedule: str, now: datetime) -> None:
    cron = Cron.parse(schedule)
    conn.execute(
        "UPDATE jobs SET schedule = ?, next_run = ? WHERE name = ?",
        (schedule, iso_utc(cron.next_after(now)), role),
    )


def take(conn: Connection, role: str, owner: str, now: datetime, *, force: bool = False) -> bool:
    """Lock `role` for `owner` if it is due (or forced) and not locked by a live process.

    A lock whose process is gone (killed, crashed) is stale at once, not after `LOCK_TTL`: owners
    are "<pid>-<random>" and the pid is asked whether it still runs on this machine."""
    stamp = iso_utc(now)
    row = conn.execute("SELECT lock_owner FROM jobs WHERE name = ?", (role,)).fetchone()
    if row and row[0] and not owner_alive(str(row[0])):
        conn.execute(
            "UPDATE jobs SET lock_owner = NULL, lock_until = NULL WHERE name = ? AND lock_owner = ?",
            (role, row[0]),
        )
    due = "" if force else " AND next_run <= ?"
    cursor = conn.execute(
        "UPDATE jobs SET lock_owner = ?, lock_until = ? WHERE name = ? "
        f"AND (lock_until IS NULL OR lock_until < ?){due}",
        (owner, iso_utc(now + LOCK_TTL), role, stamp, *(() if force else (stamp,))),
    )
    return cursor.rowcount == 1


def owner_alive(owner: str) -> bool:
    """Whether the process that took a lock still runs (an owner of another form is trusted)."""
    pid_text = owner.split("-", 1)[0]
    if not pid_text.isdigit():
        return True
    pid = int(pid_text)
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # it exists, under another user
    return True


def finish(
    conn: Connection, role: str, owner: str, now: datetime, state: dict[str, Any] | None = None
) -> None:
    schedule = conn.execute("SELECT schedule FROM jobs WHERE name = ?", (role,)).fetchone()[0]
    conn.execute(
        "UPDATE jobs SET last_run = ?, next_run = ?, lock_owner = NULL, lock_until = NULL, "
        "state = coalesce(?, state) WHERE name = ? AND lock_owner = ?",
        (
            iso_utc(now),
            iso_utc(Cron.parse(schedule).next_after(now)),
            json.dumps(state) if state is not None else None,
            role,
            owner,
        ),
    )


def release(conn: Connection, role: str, owner: str) -> None:
    """Give a role back after a failure, without marking it run (it stays due)."""
    conn.execute(
        "UPDATE jobs SET lock_owner = NULL, lock_until = NULL WHERE name = ? AND lock_owner = ?",
        (role, owner),
    )


def state_of(conn: Connection, role: str) -> dict[str, Any]:
    row = conn.execute("SELECT state FROM jobs WHERE name = ?", (role,)).fetchone()
    return json.loads(row[0]) if row and row[0] else {}


def last_run(conn: Connection, role: str) -> datetime | None:
    row = conn.execute("SELECT last_run FROM jobs WHERE name = ?", (role,)).fetchone()
    return _parse(row[0]) if row and row[0] else None


def status(conn: Connection, now: datetime) -> list[JobStatus]:
    rows = conn.execute(
        "SELECT name, schedule, last_run, next_run, lock_owner, lock_until, state FROM jobs"
    ).fetchall()
    by_name = {r[0]: r for r in rows}
    out = []
    for role, (_, description) in ROLES.items():
        _, schedule, last, nxt, owner, until, state = by_name[role]
        live_lock = owner if until and _parse(until) > now else None
        out.append(JobStatus(role, description, schedule, last, nxt, live_lock, json.loads(state or "{}")))
    return out
