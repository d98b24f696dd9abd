"""Tacit knowledge: one Markdown document of the coachee's patterns, learned rather than asked.

Active hours come from when the coachee actually writes (note times, in their local zone): the hours
holding most of the writing, merged into windows. The heartbeat only checks in inside them. Stated
preferences are the active facts of category "preference".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

MIN_NOTES_FOR_HOURS = 5
COVERAGE = 0.8  # the windows hold at least this share of the writing


@dataclass(frozen=True)
class HourWindow:
    start: int  # hour of day, inclusive
    end: int  # hour of day, exclusive (24 = midnight)

    def __str__(self) -> str:
        return f"{self.start:02d}:00–{self.end:02d}:00"

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment.hour < self.end


def active_hours(moments: Iterable[datetime]) -> list[HourWindow]:
    """The smallest set of hours covering `COVERAGE` of the writing, as contiguous windows."""
    counts = Counter(m.hour for m in moments)
    total = sum(counts.values())
    if total < MIN_NOTES_FOR_HOURS:
        return []
    chosen: set[int] = set()
    covered = 0
    for hour, n in sorted(counts.items(), key=lambda p: (-p[1], p[0])):
        if covered >= COVERAGE * total:
            break
        chosen.add(hour)
        covered += n
    windows: list[HourWindow] = []
    for hour in sorted(chosen):
        if windows and windows[-1].end == hour:
            windows[-1] = HourWindow(windows[-1].start, hour + 1)
        else:
            windows.append(HourWindow(hour, hour + 1))
    return windows


def render(windows: list[HourWindow], preferences: list[str], note_count: int, now: datetime) -> str:
    lines = ["# How I work", "", f"_Learned from {note_count} notes; updated {now.date().isoformat()}._", ""]
    lines += ["## Active hours", ""]
    if windows:
        lines += [f"- {w}" for w in windows]
    else:
        lines.append(f"- Not known yet (needs at least {MIN_NOTES_FOR_HOURS} notes).")
    lines += ["", "## Preferences", ""]
    lines += [f"- {p}" for p in preferences] or ["- None stated yet."]
    return "\n".join(lines) + "\n"


def parse_windows(markdown: str) -> list[HourWindow]:
    """Read the active hours back from the document (a person may have edited them)."""
    windows: list[HourWindow] = []
    in_section = False
    for line in markdown.splitlines():
        if line.startswith("## "):
            in_section = line.strip() == "## Active hours"
            continue
        if in_section and line.startswith("- ") and "–" in line:
            try:
                start, end = line[2:].split("–", 1)
                s, e = int(start.split(":")[0]), int(end.split(":")[0])
                windows.append(HourWindow(s, e if e > s else 24))
            except ValueError:
                continue
    return windows
