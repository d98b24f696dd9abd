"""Pure functions that turn engine notes into what the Daily notes screens show (the timeline and
the page of one day).

Kept apart from the components so the wording of dates and snippets can be read and tested
without a browser.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from engine.types import Note


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


# -- one day ---------------------------------------------------------------------------------------

DAY_KINDS = ("daily", "capture")
"""What a day's page lists: what the coachee wrote that day (daily notes, voice memos, quick captures).
Chat transcripts and imported notes are kept as notes too, but they are not the coachee's journal."""

KIND_TAGS = {"capture": "Quick capture"}
"""A small tag beside the time for notes that did not come from the daily composer."""
SOURCE_TAGS = {"voice": "Voice memo"}
"""Tags that say more than the kind: a voice memo is a capture that was spoken."""


def is_voice_memo(note: Note) -> bool:
    """A spoken note: its recording is kept with it and can be played back."""
    return note.source == "voice"


def note_tag(note: Note) -> str | None:
    return SOURCE_TAGS.get(note.source or "") or KIND_TAGS.get(note.kind)


_DAY_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9998, 12, 31)
"""Days a page can show: stepping a year either way from them stays within what ``date`` can hold."""


def parse_day(text: str) -> date | None:
    """A ``YYYY-MM-DD`` day (as in ``/notes/day/2026-11-21``), or None for anything else.

    Stricter than ``date.fromisoformat``, which also takes ``20261121`` and week dates: a URL names a
    day one way only, so a typo is reported instead of opening some other day. Years outside
    ``FIRST_DAY``..``LAST_DAY`` are refused too (stepping from ``0001-01-01`` would overflow).
    """
    if not _DAY_TEXT.fullmatch(text):
        return None
    try:
        d = date.fromisoformat(text)
    except ValueError:
        return None
    return d if FIRST_DAY <= d <= LAST_DAY else None


def full_date(d: date) -> str:
    """``Saturday 21 November 2026``."""
    return f"{d:%A} {d.day} {d:%B %Y}"


def day_title(d: date, today: date) -> str:
    """The heading of a day's page: "Today", "Yesterday", else the full date."""
    if d == today:
        return "Today"
    if d == today - timedelta(days=1):
        return "Yesterday"
    return full_date(d)


def count_text(count: int) -> str:
    """``No notes``, ``1 note``, ``3 notes``."""
    if count == 0:
        return "No notes"
    return f"{count} note{'s' if count != 1 else ''}"


def day_subtitle(d: date, today: date, count: int | None) -> str:
    """The line under a day's title: the full date where the title is relative, and the count once known."""
    parts = [full_date(d)] if day_title(d, today) != full_date(d) else []
    if count is not None:
        parts.append(count_text(count))
    return " · ".join(parts)


def empty_day_text(d: date, today: date) -> str:
    """What a day without notes says, depending on whether it is past, today or still ahead."""
    if d == today:
        return "Nothing written today yet. A sentence is enough: add it below."
    if d > today:
        return "This day is still ahead; nothing can be written on it yet."
    return f"Nothing written on {full_date(d)}."


def day_path(d: date | str) -> str:
    """The URL of a day's page."""
    return f"/notes/day/{d.isoformat() if isinstance(d, date) else d}"


def in_time_order(notes: Iterable[Note], kinds: tuple[str, ...] = DAY_KINDS) -> tuple[Note, ...]:
    """The day's notes of ``kinds``, oldest first (the engine lists newest first, ties by insertion)."""
    return tuple(reversed([n for n in notes if n.kind in kinds]))


def note_parts(note: Note) -> tuple[str | None, str]:
    """(title, text) of a note shown in full: the title only where it says something the text does not
    already start with (a derived title is the first line, so it is left out)."""
    body = note.body.strip()
    first = next((line.strip().lstrip("#").strip() for line in body.splitlines() if line.strip()), "")
    title = note.title.strip()
    if not title or first.startswith(title.rstrip("…").strip()):
        return None, body
    return title, body


def nearest_day_with_notes(
    has_notes: Callable[[date], bool], start: date, step: int, bound: date
) -> date | None:
    """The first day after ``start`` (going ``step`` days at a time, ``bound`` included) with notes."""
    if step == 0:
        raise ValueError("step must not be 0")
    d = start + timedelta(days=step)
    while (d <= bound) if step > 0 else (d >= bound):
        if has_notes(d):
            return d
        d += timedelta(days=step)
    return None


def picked_day(moment: datetime | date) -> date:
    """The calendar day a date picker answered, whatever zone the browser put its midnight in.

    The picker sends the chosen day's midnight in the browser's zone (the wire carries UTC), which
    on this machine can read as 19:00 of the day before. The nearest midnight is the day meant, for
    any zone within twelve hours of this one.
    """
    if not isinstance(moment, datetime):
        return moment
    local = moment.astimezone() if moment.tzinfo is not None else moment
    return (local + timedelta(hours=12)).date()
