"""Pure functions that turn engine notes into what the Daily notes screen shows.

Kept apart from the component so the wording of dates and snippets can be read and tested
without a browser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from engine.api import Note


@dataclass(frozen=True)
class DayGroup:
    """Notes of one day, newest first, under a human heading ("Today", "Mon 17 Nov 2026")."""

    day: str
    heading: str
    notes: tuple[Note, ...]


def day_heading(day: str, today: date) -> str:
    """``YYYY-MM-DD`` as a heading relative to ``today``; an unparseable day is shown as stored."""
    try:
        d = date.fromisoformat(day)
    except ValueError:
        return day
    if d == today:
        return "Today"
    if d == today - timedelta(days=1):
        return "Yesterday"
    return f"{d:%a} {d.day} {d:%b %Y}"


def local_time(created_at: str) -> str:
    """``HH:MM`` in this machine's time zone from the engine's ISO-8601 UTC timestamp.

    The server runs on the coachee's own device, so its local time is the coachee's.
    """
    try:
        moment = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    except ValueError:
        return ""
    return moment.astimezone().strftime("%H:%M")


def group_by_day(notes: list[Note] | tuple[Note, ...], today: date) -> tuple[DayGroup, ...]:
    """Consecutive runs of the same day; the engine already returns notes newest first."""
    groups: list[DayGroup] = []
    for note in notes:
        if groups and groups[-1].day == note.day:
            last = groups[-1]
            groups[-1] = DayGroup(last.day, last.heading, (*last.notes, note))
        else:
            groups.append(DayGroup(note.day, day_heading(note.day, today), (note,)))
    return tuple(groups)


def preview(note: Note, max_chars: int = 160) -> str:
    """The body after the title line, flattened to one line: what a list row shows under the title."""
    lines = [line.strip() for line in note.body.splitlines() if line.strip()]
    if lines and lines[0].lstrip("#").strip() == note.title.rstrip("…").strip():
        lines = lines[1:]
    text = " ".join(lines)
    return text if len(text) <= max_chars else text[: max_chars - 1].rstrip() + "…"


_MATCH = re.compile(r"\[([^\[\]]*)\]")


def snippet_parts(snippet: str) -> list[tuple[str, bool]]:
    """Split an engine search snippet into (text, is_match) parts; matches come as ``[term]``."""
    parts: list[tuple[str, bool]] = []
    pos = 0
    for m in _MATCH.finditer(snippet):
        if m.start() > pos:
            parts.append((snippet[pos : m.start()], False))
        parts.append((m[1], True))
        pos = m.end()
    if pos < len(snippet):
        parts.append((snippet[pos:], False))
    return parts
