"""Which proactive check-ins are due now: pure functions over a snapshot of the profile.

Rules (DESIGN.md §6, role C):
- a project with a deadline within 48 hours (not completed or archived), once per deadline;
- an area untouched for more than 7 days, once per quiet spell (a touch starts a new spell);
- each coach at its rhythm — daily, weekly or bi-weekly — once per period;
- only inside the coachee's active hours, never inside quiet hours (``silence_reason`` says which
  kept a run quiet).
Nothing here sends anything; the caller delivers with a dedupe key, so a repeat is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from engine.heartbeat.notify import CheckIn
from engine.memory.tacit import HourWindow

DEADLINE_HORIZON = timedelta(hours=48)
STALE_AFTER = timedelta(days=7)
FREQUENCIES = ("daily", "weekly", "biweekly")
DEFAULT_ACTIVE = [HourWindow(8, 21)]
DEFAULT_QUIET = HourWindow(22, 7)  # wraps midnight


@dataclass(frozen=True)
class ProjectInfo:
    id: str
    name: str
    deadline: date | None
    status: str


@dataclass(frozen=True)
class AreaInfo:
    id: str
    name: str
    last_activity: datetime
    status: str


@dataclass(frozen=True)
class CoachInfo:
    id: str
    name: str
    frequency: str | None
    talked: bool = True  # whether the coachee has written to this coach yet


FIRST_QUESTION = "What would you like to work on first?"
FOLLOW_UP_QUESTION = "What went well since we last spoke, and what is on your mind now?"


def in_window(moment: datetime, window: HourWindow) -> bool:
    if window.start <= window.end:
        return window.start <= moment.hour < window.end
    return moment.hour >= window.start or moment.hour < window.end  # wraps midnight


def may_speak(moment: datetime, active: list[HourWindow], quiet: HourWindow | None) -> bool:
    return silence_reason(moment, active, quiet) is None


def hours_text(windows: list[HourWindow]) -> str:
    """[8-21] → '8–21'; [7-9, 19-22] → '7–9 and 19–22': hours as a person says them."""
    spans = [f"{w.start}–{w.end}" for w in windows]
    return " and ".join(spans) if len(spans) < 3 else ", ".join(spans[:-1]) + " and " + spans[-1]


def silence_reason(moment: datetime, active: list[HourWindow], quiet: HourWindow | None) -> str | None:
    """Why no check-in may arrive at ``moment``, in words, or None when the hours allow one.

    "No new check-ins" alone reads like a broken heartbeat at 22:15; naming the hours that kept it
    quiet tells the coachee it works and where to change it."""
    if quiet is not None and in_window(moment, quiet):
        return f"quiet hours {hours_text([quiet])}"
    windows = active or DEFAULT_ACTIVE
    if not any(in_window(moment, w) for w in windows):
        return f"outside your active hours {hours_text(windows)}"
    return None


def period_key(frequency: str, day: date) -> str:
    iso_year, iso_week, _ = day.isocalendar()
    if frequency == "daily":
        return day.isoformat()
    if frequency == "weekly":
        return f"{iso_year}-W{iso_week:02d}"
    if frequency == "biweekly":
        return f"{iso_year}-B{(iso_week - 1) // 2:02d}"
    raise ValueError(f"unknown frequency {frequency!r}")


def due_check_ins(
    now: datetime,
    projects: list[ProjectInfo],
    areas: list[AreaInfo],
    coaches: list[CoachInfo],
    *,
    active: list[HourWindow],
    quiet: HourWindow | None,
    default_coach_id: str | None = None,
) -> list[CheckIn]:
    if not may_speak(now, active, quiet):
        return []
    out: list[CheckIn] = []
    for p in projects:
        if p.deadline is None or p.status != "active":
            continue
        due_at = datetime.combine(p.deadline, datetime.max.time(), tzinfo=now.tzinfo)
        left = due_at - now
        if timedelta(0) <= left <= DEADLINE_HORIZON:
            days = (p.deadline - now.date()).days
            when = "today" if days == 0 else "tomorrow" if days == 1 else f"on {p.deadline.isoformat()}"
            question = f"What is the one thing that would move {p.name} forward before the deadline?"
            out.append(
                CheckIn(
                    "deadline",
                    f"{p.name} is due {when}",
                    question,
                    f"the deadline of {p.name} ({p.deadline.isoformat()}) is within 48 hours",
                    f"deadline:{p.id}:{p.deadline.isoformat()}",
                    {
                        "type": "open_chat",
                        "coach_id": default_coach_id,
                        "entity_id": p.id,
                        "question": question,
                    },
                )
            )
    for a in areas:
        if a.status != "active":
            continue
        idle = now - a.last_activity
        if idle > STALE_AFTER:
            out.append(
                CheckIn(
                    "stale_area",
                    f"How is {a.name} going?",
                    f"You haven't noted anything about {a.name} for {idle.days} days. A two-line update?",
                    f"{a.name} has been untouched for {idle.days} days (more than 7)",
                    f"stale:{a.id}:{a.last_activity.date().isoformat()}",
                    {"type": "capture", "entity_id": a.id},
                )
            )
    for c in coaches:
        if c.frequency not in FREQUENCIES:
            continue
        question = FOLLOW_UP_QUESTION if c.talked else FIRST_QUESTION
        out.append(
            CheckIn(
                "coach",
                f"Check-in with {c.name}",
                f"{c.name} asks: {question[0].lower()}{question[1:]}",
                f"your {c.frequency.replace('biweekly', 'bi-weekly')} check-in with {c.name}",
                f"coach:{c.id}:{period_key(c.frequency, now.date())}",
                {"type": "open_chat", "coach_id": c.id, "question": question},
            )
        )
    return out
