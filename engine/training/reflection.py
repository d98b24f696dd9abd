"""The weekly reflection: what the coach advised last week (as said in the chat) against what was
actually run, and the plan for the coming week. Pure functions over the advice and the daily loads.

Advice is recognised by the coach's own load advice (the sentences `engine.chat.training_tools`
speaks for each ACWR zone): take a rest day, hold the load, build by about 10 %, keep going. Each
is judged by what it asked for — a rest day within the next two days; this week's load within 10 %
of last week's; a rise of up to 20 %; a ratio inside the sweet spot — so the note says plainly
where the advice was followed and where it was not, with the numbers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from engine.training import science

ADVICE: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("rest", re.compile(r"take a rest day|rest day or an easy", re.IGNORECASE)),
    ("hold", re.compile(r"hold the load", re.IGNORECASE)),
    ("build", re.compile(r"add about 10 ?%", re.IGNORECASE)),
    ("keep", re.compile(r"keep going as you are", re.IGNORECASE)),
)


@dataclass(frozen=True)
class Advice:
    day: date
    kind: str  # rest, hold, build, keep


@dataclass(frozen=True)
class Reflection:
    week_start: date
    week_end: date
    note: str
    plan: str
    followed: list[str] = field(default_factory=list)
    not_followed: list[str] = field(default_factory=list)


def advice_in(messages: Sequence[tuple[date, str]]) -> list[Advice]:
    """The load advice in the coach's messages, once per kind and day."""
    found: dict[tuple[date, str], Advice] = {}
    for day, text in messages:
        for kind, pattern in ADVICE:
            if pattern.search(text):
                found[(day, kind)] = Advice(day, kind)
    return sorted(found.values(), key=lambda a: (a.day, a.kind))


def _pct(new: float, old: float) -> str:
    return f"{(new / old - 1) * 100:+.0f} %" if old > 0 else "from nothing"


def reflect(
    advice: Sequence[Advice],
    loads: dict[date, float],
    week_end: date,
    ratio: float | None,
) -> Reflection | None:
    """Last week (the seven days to `week_end`) against the advice given in it; None when there was
    neither advice nor training to reflect on."""
    start = week_end - timedelta(days=6)
    week = [start + timedelta(days=i) for i in range(7)]
    this_load = sum(loads.get(d, 0.0) for d in week)
    prev_load = sum(loads.get(d - timedelta(days=7), 0.0) for d in week)
    given = [a for a in advice if start <= a.day <= week_end]
    if not given and this_load == 0:
        return None
    followed: list[str] = []
    missed: list[str] = []
    for a in given:
        when = a.day.isoformat()
        if a.kind == "rest":
            after = [a.day + timedelta(days=1), a.day + timedelta(days=2)]
            rested = [d for d in after if loads.get(d, 0.0) == 0.0 and d <= week_end]
            if rested:
                followed.append(f"the rest day advised on {when}: rested on {rested[0].isoformat()}")
            else:
                both = ", ".join(f"{loads.get(d, 0.0):.0f}" for d in after)
                missed.append(
                    f"the rest day advised on {when}: trained on both following days (loads {both})"
                )
        elif a.kind == "hold":
            ok = prev_load > 0 and this_load <= prev_load * 1.1
            text = f"holding the load (advised {when}): {this_load:.0f} against {prev_load:.0f} ({_pct(this_load, prev_load)})"
            (followed if ok else missed).append(text)
        elif a.kind == "build":
            ok = prev_load > 0 and prev_load < this_load <= prev_load * 1.2
            text = f"building by about 10 % (advised {when}): {this_load:.0f} against {prev_load:.0f} ({_pct(this_load, prev_load)})"
            (followed if ok else missed).append(text)
        else:
            ok = ratio is not None and science.SWEET_SPOT[0] <= ratio <= science.SWEET_SPOT[1]
            shown = f"{ratio:.2f}" if ratio is not None else "unknown"
            (followed if ok else missed).append(
                f"keeping the ratio in the sweet spot (advised {when}): now {shown}"
            )
    runs = sum(1 for d in week if loads.get(d, 0.0) > 0)
    plan = plan_for(ratio, this_load, week_end)
    lines = [f"Weekly reflection, {start.isoformat()} to {week_end.isoformat()}."]
    if followed:
        lines.append("Followed: " + "; ".join(followed) + ".")
    if missed:
        lines.append("Not followed: " + "; ".join(missed) + ".")
    if not given:
        lines.append("No load advice was given this week.")
    shown_ratio = f"{ratio:.2f}" if ratio is not None else "not yet known"
    lines.append(
        f"What changed: {runs} training day{'s' if runs != 1 else ''}, weekly load {this_load:.0f} "
        f"against {prev_load:.0f} the week before ({_pct(this_load, prev_load)}); ACWR now {shown_ratio}."
    )
    lines.append(plan)
    return Reflection(start, week_end, "\n".join(lines), plan, followed, missed)


def plan_for(ratio: float | None, week_load: float, week_end: date) -> str:
    """The coach's stated plan for the coming week, from where the ratio stands now."""
    monday = week_end + timedelta(days=1)
    head = f"Plan for the week of {monday.isoformat()}:"
    if ratio is None:
        return f"{head} keep recording every run; the ratio needs a few weeks of history."
    if ratio > science.DANGER:
        return f"{head} easy running only and at least one rest day, until the ratio is back under 1.3."
    if ratio > science.SWEET_SPOT[1]:
        return f"{head} hold the weekly load near {week_load:.0f}, with one quality session at most."
    if ratio < science.SWEET_SPOT[0]:
        return f"{head} rebuild gradually, about 10 % more (a weekly load near {week_load * 1.1:.0f})."
    return (
        f"{head} build by up to 10 % (a weekly load near {week_load * 1.1:.0f}), one quality session "
        "and one long run."
    )
