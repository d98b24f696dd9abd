"""Dates people write in notes, found and resolved to calendar days against an injectable `today`.

Deterministic on purpose: the heartbeat's deadline check-ins and "what did I plan for Tuesday" depend
on these, and a statistical model that resolves 'next Tuesday' differently on a re-run would move a
deadline. The rules, stated once:

- `2026-03-01` is that day. `3/4/2026`-style numeric dates are ignored: day/month order is ambiguous.
- `today`, `tonight`, `tomorrow`, `yesterday`, `the day after tomorrow`.
- A weekday alone or with `this`/`on`: its next occurrence, today included ('Tuesday' on a Tuesday is
  today). `next Tuesday`: the Tuesday of next week (weeks start on Monday). `last Tuesday`: the most
  recent Tuesday before today.
- `next week` / `next month` / `next year`: the Monday of next week, the 1st of next month, 1 January.
- `in 3 days`, `in two weeks`, `in a month` (numbers up to twelve may be words).
- `March 3`, `3 March`, `March 3rd, 2027`, `the 3rd of March`, `Mar 3`: with a year, that day;
  without, the occurrence nearest to today (last year, this year or next year).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

WEEKDAYS = {name: i for i, name in enumerate(calendar.day_name)} | {
    name: i for i, name in enumerate(calendar.day_abbr)
}
MONTHS = {name: i for i, name in enumerate(calendar.month_name) if name} | {
    name: i for i, name in enumerate(calendar.month_abbr) if name
}
MONTHS["Sept"] = 9
NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip

_WEEKDAY = "|".join(sorted((re.escape(w) for w in WEEKDAYS), key=len, reverse=True))
_MONTH = "|".join(sorted((re.escape(m) for m in MONTHS), key=len, reverse=True))
_NUMBER = r"\d{1,3}|" + "|".join(NUMBER_WORDS)
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_DAY2 = r"(?P<day2>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(?P<year>\d{4}))?"
_YEAR2 = r"(?:,?\s+(?P<year2>\d{4}))?"

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("iso", re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})\b")),
    (
        "relative_day",
        re.compile(r"\b(?P<word>the day after tomorrow|today|tonight|tomorrow|yesterday)\b", re.I),
    ),
    ("in_n", re.compile(rf"\bin (?P<n>{_NUMBER}) (?P<unit>days?|weeks?|months?)\b", re.I)),
    ("next_period", re.compile(r"\bnext (?P<unit>week|month|year)\b", re.I)),
    (
        "month_day",
        re.compile(
            rf"\b(?:(?P<month>{_MONTH})\.?\s+{_DAY}{_YEAR}|(?:the\s+)?{_DAY2}\s+(?:of\s+)?(?P<month2>{_MONTH})\.?{_YEAR2})\b"
        ),
    ),
    ("weekday", re.compile(rf"\b(?:(?P<which>next|this|last|on)\s+)?(?P<weekday>{_WEEKDAY})\b\.?", re.I)),
]


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    text: str
    value: date


def find_dates(text: str, today: date) -> list[DateMention]:
    """Every date mention in `text` that the rules above resolve, left to right, without overlaps."""
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < e and s < end for s, e in taken):
                continue
            value = _resolve(kind, match, today)
            if value is None:
                continue
            stripped = match.group(0).rstrip(".")
            found.append(DateMention(start, start + len(stripped), stripped, value))
            taken.append((start, end))
    return sorted(found, key=lambda m: m.start)


def resolve_date(phrase: str, today: date) -> date | None:
    """The day a whole phrase names ('next Tuesday', 'March 3'), or None if it is not one we resolve."""
    phrase = phrase.strip()
    for mention in find_dates(phrase, today):
        if mention.start == 0 and mention.end >= len(phrase.rstrip(". ")):
            return mention.value
    return None


def _resolve(kind: str, m: re.Match[str], today: date) -> date | None:
    if kind == "iso":
        return _safe_date(int(m["y"]), int(m["m"]), int(m["d"]))
    if kind == "relative_day":
        word = m["word"].lower()
        offset = {"today": 0, "tonight": 0, "tomorrow": 1, "yesterday": -1, "the day after tomorrow": 2}[word]
        return today + timedelta(days=offset)
    if kind == "in_n":
        raw = m["n"].lower()
        n = int(raw) if raw.isdigit() else NUMBER_WORDS[raw]
        unit = m["unit"].lower().rstrip("s")
        if unit == "day":
            return today + timedelta(days=n)
        if unit == "week":
            return today + timedelta(weeks=n)
        return _add_months(today, n)
    if kind == "next_period":
        unit = m["unit"].lower()
        if unit == "week":
            return today + timedelta(days=7 - today.weekday())
        if unit == "month":
            return _add_months(today.replace(day=1), 1)
        return date(today.year + 1, 1, 1)
    if kind == "month_day":
        month = MONTHS[(m["month"] or m["month2"]).capitalize()]
        day = int(m["day"] or m["day2"])
        year = m["year"] or m["year2"]
        if year:
            return _safe_date(int(year), month, day)
        candidates = [
            d for y in (today.year - 1, today.year, today.year + 1) if (d := _safe_date(y, month, day))
        ]
        return min(candidates, key=lambda d: abs((d - today).days)) if candidates else None
    if kind == "weekday":
        name = m["weekday"].capitalize()
        weekday = WEEKDAYS.get(name)
        if weekday is None:
            return None
        which = (m["which"] or "").lower()
        if which == "next":
            monday_next_week = today + timedelta(days=7 - today.weekday())
            return monday_next_week + timedelta(days=weekday)
        if which == "last":
            back = (today.weekday() - weekday) % 7 or 7
            return today - timedelta(days=back)
        if which in ("", "on") and name in calendar.day_abbr and not m["weekday"][:1].isupper():
            return None  # a bare lower-case 'sat' or 'sun' is a word, not a day
        return today + timedelta(days=(weekday - today.weekday()) % 7)
    return None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
