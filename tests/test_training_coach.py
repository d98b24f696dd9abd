"""The running coach at work: a load spike becomes one rest-day check-in per spike inside active
hours, with its numbers; the training tools answer with corrected arguments or a clear error; and
the offline coach (Dyno, grounded) answers "how is my training going?" from the tools' numbers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from engine.api import Engine
from engine.chat.reasoners import Reasoner, ReplyRequest, TextDelta, ToolCall
from testkit.training import ExportItem, SyntheticRun, strava_export
from tests.conftest import PASSPHRASE

TZ = timezone(timedelta(hours=2))
DAY0 = datetime(2026, 9, 1, 7, 0, tzinfo=TZ)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _history(tmp_path: Path, days: list[tuple[int, float, float]], name: str) -> Path:
    """Activities entered by hand in a Strava export (no files): (day, minutes, perceived exertion)."""
    items = [
        ExportItem(
            f"{name}-{day}", SyntheticRun(DAY0 + timedelta(days=day), minutes, 360, hr=None), None, rpe
        )
        for day, minutes, rpe in days
    ]
    return strava_export(tmp_path / f"{name}.zip", items)


def _easy(first: int, last: int) -> list[tuple[int, float, float]]:
    return [(d, 40.0, 4.0) for d in range(first, last + 1) if d % 2 == 0]


def _spike(first: int, last: int, rpe: float = 7.0) -> list[tuple[int, float, float]]:
    return [(d, 80.0, rpe) for d in range(first, last + 1)]


@pytest.fixture
def clock() -> Clock:
    return Clock(DAY0 + timedelta(days=34, hours=3))  # day 34, 10:00


@pytest.fixture
def engine(tmp_path: Path, clock: Clock) -> Iterator[Engine]:
    with Engine.create(tmp_path / "p", PASSPHRASE, clock=clock, use_embedder=False) as eng:
        eng.training.import_activities(_history(tmp_path, _easy(0, 27) + _spike(28, 34), "block1"))
        yield eng


def _rest_days(engine: Engine) -> list[Any]:
    return [i for i in engine.heartbeat.inbox(include_done=True) if i.kind == "training_load"]


def test_a_load_spike_brings_one_rest_day_check_in_per_spike_inside_active_hours(
    engine: Engine, clock: Clock, tmp_path: Path
) -> None:
    spike = engine.training.load_spike()
    assert spike is not None and spike.ratio > 1.5
    # At 23:30 the coachee is not spoken to (quiet hours), spike or not.
    clock.now = DAY0 + timedelta(days=34, hours=16, minutes=30)
    engine.heartbeat.run(roles=["checkins"], force=True, notify_os=False)
    assert _rest_days(engine) == []
    # At 10:00 the check-in arrives, with the numbers that triggered it in its "why".
    clock.now = DAY0 + timedelta(days=34, hours=3)
    report = engine.heartbeat.run(roles=["checkins"], force=True, notify_os=False)
    assert "Time for a rest day?" in report.delivered
    [item] = _rest_days(engine)
    assert f"{spike.ratio:.2f} (above 1.5) since {spike.since}" in item.reason
    assert f"7-day load {spike.acute:.0f} a day against a 28-day load of {spike.chronic:.0f}" in item.reason
    assert item.action == {"type": "open_chat", "coach_id": None}
    # The spike goes on the next day: no second check-in for the same spike.
    clock.now = DAY0 + timedelta(days=35, hours=3)
    assert engine.training.load_spike() is not None
    engine.heartbeat.run(roles=["checkins"], force=True, notify_os=False)
    assert len(_rest_days(engine)) == 1
    # Four easy weeks bring the ratio down; a new spike is a new check-in.
    engine.training.import_activities(_history(tmp_path, _easy(36, 62) + _spike(63, 69, 8.0), "block2"))
    clock.now = DAY0 + timedelta(days=50, hours=3)
    assert engine.training.load_spike() is None
    clock.now = DAY0 + timedelta(days=69, hours=3)
    second = engine.training.load_spike()
    assert second is not None and second.since != spike.since
    engine.heartbeat.run(roles=["checkins"], force=True, notify_os=False)
    assert len(_rest_days(engine)) == 2


class ScriptedModel(Reasoner):
    """A stand-in for a cloud model that calls a training tool with the arguments it is given, then
    answers with what the tool returned (the wire format is tested in test_chat_openai)."""

    name = "scripted"

    def __init__(self, tool: str, arguments: dict[str, Any]) -> None:
        self.tool = tool
        self.arguments = arguments

    def reply(self, request: ReplyRequest) -> Iterator[TextDelta | ToolCall]:
        results = [m for m in request.messages if m.get("role") == "tool"]
        if not results:
            yield ToolCall("call-1", self.tool, self.arguments)
            return
        yield TextDelta("Tool said: " + results[-1]["content"])


def test_a_tool_error_is_retried_once_with_corrected_arguments_then_reported(engine: Engine) -> None:
    engine.coaches.install("dyno")
    assert any(s["function"]["name"] == "get_acwr" for s in _offered(engine))
    fixed = engine.chat.send(
        "dyno", "my load?", reasoner=ScriptedModel("get_training_load", {"days": "two weeks"})
    )
    [call] = fixed.tool_calls
    assert call["result"]["corrected"]["to"] == {"days": 14} and len(call["result"]["days"]) == 14
    assert "two weeks" in call["result"]["corrected"]["because"]
    swapped = engine.chat.send(
        "dyno", "runs?", reasoner=ScriptedModel("get_activities", {"range": "2026-10-05..2026-10-01"})
    )
    result = swapped.tool_calls[0]["result"]
    assert result["corrected"]["to"] == {"range": "2026-10-01..2026-10-05"} and len(result["activities"]) == 5
    hopeless = engine.chat.send(
        "dyno", "load?", reasoner=ScriptedModel("get_training_load", {"days": "lots"})
    )
    assert hopeless.tool_calls[0]["result"] == {
        "error": "get_training_load: days must be a whole number, not 'lots'",
        "retried": False,
    }
    assert "days must be a whole number" in hopeless.text


def _offered(engine: Engine) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []

    class Spy(ScriptedModel):
        def reply(self, request: ReplyRequest) -> Iterator[TextDelta | ToolCall]:
            seen.extend(request.tools)
            yield TextDelta("ok")

    engine.chat.send("dyno", "hello", reasoner=Spy("", {}), record=False)
    return seen


def test_the_offline_coach_answers_how_training_is_going_with_the_numbers(engine: Engine) -> None:
    engine.coaches.install("dyno")
    engine.training.set_goal("half", "1:50:00", (DAY0 + timedelta(days=120)).date().isoformat())
    status = engine.training.load_status()
    goal = engine.training.goal_confidence()
    assert goal is not None
    reply = engine.chat.send("dyno", "How is my training going?")
    assert reply.reasoner == "grounded"
    assert [c["name"] for c in reply.tool_calls] == ["get_acwr", "get_activities", "get_goal_confidence"]
    text = reply.text
    assert f"acute:chronic ratio of {status.rolling.ratio:.2f}" in text
    assert f"(EWMA {status.ewma.ratio:.2f})" in text
    assert f"{status.rolling.acute:.0f} a day against {status.rolling.chronic:.0f} a day" in text
    assert "take a rest day" in text  # the spike's advice
    assert "In the last 7 days you ran 7 times for" in text
    assert f"is {goal.confidence.score}/100" in text
    # What the coach said is in the conversation, so the weekly reflection can read it later.
    stored = engine.chat.conversation("dyno")[-1]
    assert stored.role == "assistant" and stored.meta["tools"] == [c["name"] for c in reply.tool_calls]
    # Another coach is not turned into a training report by a stray word ("race" in a rat race).
    engine.coaches.install("stoic")
    other = engine.chat.send("stoic", "I feel stuck in the rat race at work")
    assert other.tool_calls == [] and "acute:chronic" not in other.text
    asked = engine.chat.send("stoic", "How is my training going?")
    assert "acute:chronic ratio" in asked.text


def test_tool_results_are_compact_json(engine: Engine) -> None:
    engine.coaches.install("dyno")
    reply = engine.chat.send("dyno", "how is my running going this week?")
    sizes = [len(json.dumps(c["result"])) for c in reply.tool_calls]
    assert sizes and max(sizes) < 6000


def test_weekly_reflection_compares_advice_with_the_runs_and_supersedes_the_plan(
    engine: Engine, clock: Clock, tmp_path: Path
) -> None:
    engine.coaches.install("dyno")
    engine.heartbeat.set_active_hours("0-24")
    told = engine.chat.send("dyno", "How is my training going?")  # day 34: the spike's advice
    assert "take a rest day" in told.text
    # The coachee rests on day 35, then runs easy on days 36-40.
    engine.training.import_activities(_history(tmp_path, [(d, 40.0, 4.0) for d in range(36, 41)], "after"))
    clock.now = DAY0 + timedelta(days=41)  # day 41, 07:00: the week of days 34-40 is over
    report = engine.heartbeat.run(roles=["reflection"], force=True, notify_os=False)
    [result] = report.results
    assert result.ran and result.detail == {"followed": 1, "not_followed": 0}
    day = lambda n: (DAY0 + timedelta(days=n)).date().isoformat()  # noqa: E731
    [note] = [n for n in engine.notes.list(limit=50) if n.title.startswith("Weekly reflection")]
    assert f"Followed: the rest day advised on {day(34)}: rested on {day(35)}." in note.body
    assert "What changed: 6 training days" in note.body and "Plan for the week of" in note.body
    [(plan, _tier)] = engine.memory.entity_page("Running").active
    assert plan.content.startswith(f"Plan for the week of {day(41)}:")
    # Run again the same week: nothing new. A week later the plan is superseded, not replaced.
    assert not engine.heartbeat.run(roles=["reflection"], force=True, notify_os=False).results[0].ran
    engine.chat.send("dyno", "and now, how is my running?")
    engine.training.import_activities(_history(tmp_path, [(d, 60.0, 5.0) for d in range(41, 48)], "more"))
    clock.now = DAY0 + timedelta(days=48)
    assert engine.heartbeat.run(roles=["reflection"], force=True, notify_os=False).results[0].ran
    page = engine.memory.entity_page("Running")
    [(current, _tier)] = page.active
    assert current.content.startswith(f"Plan for the week of {day(48)}:")
    assert [f.id for f in page.history] == [plan.id] and page.history[0].superseded_by == current.id
