"""The running coach's tools (`get_acwr`, `get_training_load`, `get_activities`,
`get_goal_confidence`), how a bad argument is corrected once, and the offline answer built on them.

Every reasoner gets these tools. A model may pass a wrong argument ("days": "two weeks", a range
it made up); the tool then retries once with the argument corrected to the nearest valid one and
says what it changed, so the model (and the coachee) can see it; a second failure is reported as
the tool's result. The offline `grounded` reasoner calls the same tools when asked about training
and speaks their numbers (`answer`), so "how is my training going?" is answered from the data, not
from a book.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from engine.chat.reasoners import ReplyRequest, ToolCall
from engine.errors import LifeOSError

if TYPE_CHECKING:
    from engine.training.part import Training

NAMES = ("get_acwr", "get_training_load", "get_activities", "get_goal_confidence")
MAX_DAYS = 365
MAX_ACTIVITIES = 30

SPECS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "get_acwr",
            "description": "Today's acute (7-day) and chronic (28-day) training load and their ratio, "
            "rolling-average and EWMA. Above 1.5 the injury risk rises; 0.8-1.3 is the sweet spot.",
            "parameters": {"type": "object", "properties": {}},
        },
    },
    {
        "type": "function",
        "function": {
            "name": "get_training_load",
            "description": "Daily training load (Banister TRIMP) for the last N days, with each day's ACWR.",
            "parameters": {
                "type": "object",
                "properties": {"days": {"type": "integer", "minimum": 1, "maximum": MAX_DAYS}},
                "required": ["days"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "get_activities",
            "description": "The coachee's activities in a date range: 'last 7 days', 'this week', "
            "'last week', 'this month', or 'YYYY-MM-DD..YYYY-MM-DD'.",
            "parameters": {
                "type": "object",
                "properties": {"range": {"type": "string"}},
                "required": ["range"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "get_goal_confidence",
            "description": "The 0-100 confidence that the coachee's goal race time will be met, "
            "with the reasons that move it and its weekly history.",
            "parameters": {"type": "object", "properties": {}},
        },
    },
]


def run(training: Training | None, today: date, name: str, arguments: dict[str, Any]) -> str:
    """Run a training tool; on a bad argument retry once with it corrected, then report."""
    if training is None:
        return json.dumps({"error": "training is not available in this profile"})
    try:
        return json.dumps(_call(training, today, name, arguments), ensure_ascii=False)
    except (KeyError, ValueError, TypeError, LifeOSError) as first:
        fixed = correct(name, arguments)
        if fixed is None or fixed == arguments:
            return json.dumps({"error": f"{name}: {first}", "retried": False})
        try:
            result = _call(training, today, name, fixed)
        except (KeyError, ValueError, TypeError, LifeOSError) as second:
            return json.dumps(
                {"error": f"{name}: {second}", "first_error": str(first), "retried_with": fixed}
            )
        result["corrected"] = {"from": arguments, "to": fixed, "because": str(first)}
        return json.dumps(result, ensure_ascii=False)


_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "eight": 8,
    "ten": 10,
    "twelve": 12,
}


def correct(name: str, arguments: dict[str, Any]) -> dict[str, Any] | None:
    """The nearest valid arguments, or None when there is nothing to go on: a number of days read
    from words ("two weeks" → 14) and clamped to 1–365; a range whose dates are swapped, or whose
    day count is out of bounds, put right."""
    if name == "get_training_load":
        raw = str(arguments.get("days", "")).lower()
        found = re.search(r"\d+", raw)
        count = int(found.group()) if found else next((n for w, n in _NUMBER_WORDS.items() if w in raw), None)
        if count is None:
            return None
        if "week" in raw:
            count *= 7
        elif "month" in raw:
            count *= 30
        return {"days": max(1, min(MAX_DAYS, count))}
    if name == "get_activities":
        raw = str(arguments.get("range", "")).strip().lower()
        dates = re.findall(r"\d{4}-\d{2}-\d{2}", raw)
        if len(dates) == 2:
            first, last = sorted(dates)
            return {"range": f"{first}..{last}"}
        found = re.search(r"\d+", raw)
        if found and "day" in raw:
            return {"range": f"last {max(1, min(MAX_DAYS, int(found.group())))} days"}
        if "week" in raw:
            return {"range": "last week" if "last" in raw or "previous" in raw else "this week"}
        return None
    return None


def _call(training: Training, today: date, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    if name == "get_acwr":
        status = training.load_status(as_of=today)
        return {
            "date": status.day,
            "rolling": _acwr(status.rolling),
            "ewma": _acwr(status.ewma),
            "days_of_history": status.history_days,
            "activities_last_28_days": status.activities,
            "estimated_loads": status.estimated,
        }
    if name == "get_training_load":
        days = arguments["days"]
        if isinstance(days, bool) or not isinstance(days, int | float) or int(days) != days:
            raise ValueError(f"days must be a whole number, not {days!r}")
        if not 1 <= int(days) <= MAX_DAYS:
            raise ValueError(f"days must be between 1 and {MAX_DAYS}, not {days}")
        loads = training.daily_loads(int(days), as_of=today)
        known = [d.load for d in loads if d.load is not None]
        return {
            "days": [
                {"day": d.day, "load": _r(d.load), "acwr": _r(d.ratio, 2), "ewma_acwr": _r(d.ewma_ratio, 2)}
                for d in loads
            ],
            "total": round(sum(known), 1),
            "mean_per_day": round(sum(known) / len(known), 1) if known else None,
        }
    if name == "get_activities":
        first, last = parse_range(str(arguments["range"]), today)
        found = training.activities(since=first.isoformat(), until=last.isoformat(), limit=MAX_ACTIVITIES)
        return {
            "from": first.isoformat(),
            "to": last.isoformat(),
            "activities": [
                {
                    "id": a.id,
                    "day": a.day,
                    "sport": a.sport,
                    "name": a.name,
                    "km": round(a.distance_m / 1000, 2),
                    "minutes": round(a.duration_s / 60, 1),
                    "avg_hr": _r(a.avg_hr),
                    "load": round(a.trimp, 1),
                    "load_is": "from heart rate" if not a.estimated else f"estimated from {a.trimp_method}",
                }
                for a in found
            ],
            "total_km": round(sum(a.distance_m for a in found) / 1000, 2),
        }
    if name == "get_goal_confidence":
        status = training.goal_confidence(as_of=today)
        if status is None:
            return {"goal": None, "note": "no goal race set (lifeos training goal)"}
        c = status.confidence
        return {
            "goal": {
                "name": status.goal.name,
                "distance_km": round(status.goal.distance_m / 1000, 3),
                "target": _time(status.goal.target_s),
                "race_day": status.goal.race_day.isoformat(),
            },
            "score": c.score,
            "predicted": _time(c.predicted_s) if c.predicted_s else None,
            "vdot": _r(c.vdot),
            "reasons": [{"points": round(r.points, 1), "why": r.text} for r in c.reasons],
            "history": [{"day": d, "score": s} for d, s in status.history],
        }
    raise KeyError(f"unknown tool {name!r}")


def parse_range(text: str, today: date) -> tuple[date, date]:
    """'last 7 days', 'this week', 'last week', 'this month', 'YYYY-MM-DD..YYYY-MM-DD'."""
    low = text.strip().lower()
    found = re.fullmatch(r"(?:last|past)\s+(\d+)\s+days?", low)
    if found:
        n = int(found.group(1))
        if not 1 <= n <= MAX_DAYS:
            raise ValueError(f"range {text!r}: between 1 and {MAX_DAYS} days")
        return today - timedelta(days=n - 1), today
    monday = today - timedelta(days=today.weekday())
    if low == "this week":
        return monday, today
    if low == "last week":
        return monday - timedelta(days=7), monday - timedelta(days=1)
    if low == "this month":
        return today.replace(day=1), today
    found = re.fullmatch(r"(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})", low)
    if found:
        first, last = date.fromisoformat(found.group(1)), date.fromisoformat(found.group(2))
        if first > last:
            raise ValueError(f"range {text!r} ends before it starts")
        return first, last
    raise ValueError(f"range {text!r}: use 'last 7 days', 'this week', 'last week', 'this month' or A..B")


def _acwr(value: Any) -> dict[str, Any]:
    return {
        "acute": round(value.acute, 1),
        "chronic": round(value.chronic, 1),
        "ratio": _r(value.ratio, 2),
        "zone": value.zone,
    }


def _r(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _time(seconds: float) -> str:
    s = round(seconds)
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


# -- the offline reasoner's use of them ---------------------------------------------------------

_ABOUT_TRAINING = re.compile(
    r"\b(training|train|running|runs|my run|mileage|acwr|workload ratio|marathon|race|pace|"
    r"5k|10k|half|long run|tempo|intervals?|goal time|injur\w*|overtrain\w*|rest day)\b",
    re.IGNORECASE,
)
# For another coach than the running coach, only a plain question about the coachee's own training.
_OWN_TRAINING = re.compile(
    r"\b(my (training|runs|running|mileage|race|marathon)|training load|acwr|workload ratio)\b", re.IGNORECASE
)
RUNNING_COACH = "dyno"
OFFLINE_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("get_acwr", {}),
    ("get_activities", {"range": "last 7 days"}),
    ("get_goal_confidence", {}),
]


def about_training(message: str, coach_id: str = RUNNING_COACH) -> bool:
    pattern = _ABOUT_TRAINING if coach_id == RUNNING_COACH else _OWN_TRAINING
    return bool(pattern.search(message))


def offline_calls(request: ReplyRequest) -> list[ToolCall]:
    """The tool calls the grounded reasoner makes first for a training question (none once their
    results are in the conversation)."""
    ctx = request.context
    if not about_training(ctx.message, ctx.coach_id) or tool_results(request.messages):
        return []
    return [ToolCall(f"offline-{name}", name, args) for name, args in OFFLINE_CALLS]


def tool_results(messages: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """{tool name: parsed result} of the training tools answered in this turn."""
    names: dict[str, str] = {}
    out: dict[str, dict[str, Any]] = {}
    for m in messages:
        for call in m.get("tool_calls") or []:
            names[call["id"]] = call["function"]["name"]
        if m.get("role") == "tool" and names.get(m.get("tool_call_id", "")) in NAMES:
            try:
                out[names[m["tool_call_id"]]] = json.loads(m["content"])
            except (ValueError, TypeError):
                continue
    return out


ZONE_ADVICE: dict[str, str] = {
    "danger": "That is a spike: take a rest day or an easy 30 minutes next, and keep this week's "
    "load below last week's until the ratio is back under 1.3.",
    "high": "You are above the sweet spot: hold the load where it is this week rather than adding more.",
    "sweet spot": "That is the sweet spot, where fitness builds without a jump in injury risk: keep going as you are.",
    "low": "There is room to build: add about 10 % to next week, mostly as easy running.",
}


def answer(results: dict[str, dict[str, Any]], say_time: Callable[[float], str] = _time) -> str:
    """The numbers, in a coach's words: load and ratio, the week's running, the goal."""
    parts: list[str] = []
    acwr = results.get("get_acwr") or {}
    rolling, ewma = acwr.get("rolling") or {}, acwr.get("ewma") or {}
    week = results.get("get_activities") or {}
    goal = results.get("get_goal_confidence") or {}
    if not acwr.get("days_of_history"):
        return (
            "I can't see any activities in your profile yet, so I can't judge your training from data. "
            "Import your runs (lifeos activity import, or the Training screen) and ask me again."
        )
    if rolling.get("ratio") is not None:
        ewma_text = f" (EWMA {ewma['ratio']:.2f})" if ewma.get("ratio") is not None else ""
        parts.append(
            f"Over the last 7 days your training load averaged {rolling['acute']:.0f} a day against "
            f"{rolling['chronic']:.0f} a day over 28 days: an acute:chronic ratio of "
            f"{rolling['ratio']:.2f}{ewma_text}. {ZONE_ADVICE.get(rolling.get('zone', ''), '')}".strip()
        )
    else:
        parts.append(
            f"You have {acwr['days_of_history']} days of training recorded; I need about a week more "
            "before the acute:chronic ratio means anything."
        )
    runs = [a for a in week.get("activities", []) if a.get("sport") == "run"]
    if week:
        if runs:
            parts.append(
                f"In the last 7 days you ran {len(runs)} time{'s' if len(runs) != 1 else ''} for "
                f"{sum(a['km'] for a in runs):.1f} km."
            )
        else:
            parts.append("You haven't logged a run in the last 7 days.")
    if goal.get("score") is not None:
        g = goal["goal"]
        top = goal.get("reasons", [])[:2]
        why = "; ".join(f"{r['why']} ({r['points']:+.0f})" for r in top)
        parts.append(
            f"Your confidence for {g['name']} in {g['target']} on {g['race_day']} is {goal['score']}/100"
            + (f": {why}." if why else ".")
        )
    return "\n\n".join(parts)
