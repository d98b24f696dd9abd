"""Calendar days written the way the person's locale writes them: one helper for every date a page shows.

Flet 1.0.5 tells the app the browser's locale only when it *changes* (``Page.on_locale_change``),
never at start, so the locale comes from this machine: ``LC_ALL``, ``LC_TIME`` or ``LANG``, as every
other program the person runs here reads it. The app serves one person on their own computer, so the
system's locale is theirs. No locale data ships with the app (``babel`` is not a dependency and a
slim system has no compiled locales), so what follows the locale is what matters most to be read
right: the order of day, month and year. Month names stay in English, as the rest of the app's words.

- US English (``en_US``, and the few other regions writing month first): ``Mar 13, 2026``.
- Regions that write the year first (China, Japan, Korea, Hungary, Lithuania, Sweden…): ``2026-03-13``.
- Everyone else, and an unset or ``C`` locale: ``13 Mar 2026`` (day first, month in letters: never
  ambiguous, whatever the reader is used to).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

MONTH_FIRST_REGIONS = frozenset({"US", "PH", "FM", "MH", "PW", "AS", "GU", "MP", "PR", "UM", "VI"})
YEAR_FIRST_REGIONS = frozenset({"CN", "JP", "KR", "KP", "TW", "HU", "LT", "MN", "SE", "IR", "BT"})
YEAR_FIRST_LANGUAGES = frozenset({"zh", "ja", "ko", "hu", "lt", "mn", "sv"})


@dataclass(frozen=True)
class DateStyle:
    """How one locale orders a calendar day: ``"dmy"``, ``"mdy"`` or ``"ymd"``."""

    order: str
    tag: str  # the locale it came from, "en_US"; "" when none is set


def style_for(tag: str | None) -> DateStyle:
    """The order of day, month and year for a POSIX or BCP 47 locale tag (``en_US.UTF-8``, ``sv-SE``)."""
    clean = (tag or "").split(".")[0].split("@")[0].replace("-", "_")
    if clean in ("", "C", "POSIX"):
        return DateStyle("dmy", "")
    language, _, region = clean.partition("_")
    region = region.upper()
    if region in MONTH_FIRST_REGIONS:
        return DateStyle("mdy", clean)
    if region in YEAR_FIRST_REGIONS or (not region and language.lower() in YEAR_FIRST_LANGUAGES):
        return DateStyle("ymd", clean)
    return DateStyle("dmy", clean)


@lru_cache(maxsize=1)
def system_style() -> DateStyle:
    """This machine's date style, read once: the locale does not change under a running app."""
    for name in ("LC_ALL", "LC_TIME", "LANG"):
        value = os.environ.get(name, "")
        if value:
            return style_for(value)
    return style_for(None)


def format_day(day: date, style: DateStyle | None = None) -> str:
    """A calendar day for people to read: ``13 Mar 2026``, ``Mar 13, 2026`` or ``2026-03-13``."""
    order = (style or system_style()).order
    if order == "mdy":
        return f"{day:%b} {day.day}, {day.year}"
    if order == "ymd":
        return day.isoformat()
    return f"{day.day} {day:%b %Y}"


def format_stamp(stamp: str, style: DateStyle | None = None) -> str:
    """A stored ``YYYY-MM-DD…`` stamp as :func:`format_day`; anything unparseable is shown as stored."""
    try:
        return format_day(date.fromisoformat(stamp[:10]), style)
    except ValueError:
        return stamp
