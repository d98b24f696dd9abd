"""The sync outbox's clock: every row change is appended to `changes` with a hybrid logical clock.

Recording changes from the first release means a profile created today can sync later without a
full rescan. The HLC (physical milliseconds, a logical counter, the device id) orders changes across
devices even when their wall clocks disagree a little (DESIGN.md §8). Changes are recorded by
triggers (engine/store/capture.py), which run the same clock in SQL; this is the Python side of it,
used when the clock is moved past a remote change and when old rows are backfilled.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.store import meta

HLC_META_KEY = "hlc.last"
MAX_COUNTER = 99_999


def next_hlc(last: str | None, now_ms: int, device_id: str) -> str:
    """Advance the clock: never backwards, and strictly after `last` on this device."""
    last_ms, last_counter = 0, 0
    if last:
        ms_text, counter_text, _ = last.split(":", 2)
        last_ms, last_counter = int(ms_text), int(counter_text)
    if now_ms > last_ms:
        ms, counter = now_ms, 0
    elif last_counter >= MAX_COUNTER:  # five digits keep the clock sortable as text
        ms, counter = last_ms + 1, 0
    else:
        ms, counter = last_ms, last_counter + 1
    return f"{ms:013d}:{counter:05d}:{device_id}"


def record_change(conn: Any, table: str, row_id: str, op: str, device_id: str, now: datetime) -> str:
    """Superseded by the capture triggers, which record every write to a synced table already; kept
    while a write site still calls it. The second record is harmless: a push sends one change per row
    (engine/sync/outbox.py), the newest."""
    hlc = next_hlc(meta.get(conn, HLC_META_KEY), int(now.timestamp() * 1000), device_id)
    meta.put(conn, HLC_META_KEY, hlc)
    conn.execute(
        "INSERT INTO changes (table_name, row_id, op, hlc, device_id) VALUES (?, ?, ?, ?, ?)",
        (table, row_id, op, hlc, device_id),
    )
    return hlc
