"""Time and identifiers.

All engine logic that depends on "now" takes a `Clock` so that tests can drive days and weeks of
behaviour (decay, heartbeat) without sleeping. Ids are UUIDv7: time-ordered, so they sort by creation
across devices, and random enough to be created offline without coordination (needed for sync).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The real time, aware, in the machine's local zone (daily notes are kept by local day)."""
    return datetime.now().astimezone()


def iso_utc(moment: datetime) -> str:
    """ISO-8601 in UTC with milliseconds: sortable as text and unambiguous across devices."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def local_day(moment: datetime) -> str:
    """The coachee's calendar day for a moment, in the moment's own zone."""
    return moment.date().isoformat()


def new_id(moment: datetime | None = None) -> str:
    """A UUIDv7 string (RFC 9562): 48-bit Unix milliseconds, then 74 random bits."""
    millis = int((moment.timestamp() if moment else time.time()) * 1000) & ((1 << 48) - 1)
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis << 80) | rand
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    return str(uuid.UUID(int=value))
