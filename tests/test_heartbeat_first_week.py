"""A new coachee's first week with the heartbeat: it says why it stayed quiet, only chosen coaches
check in, "Open chat" puts the check-in's question into the conversation, and removing a coach
keeps what the coachee wrote.

Real encrypted profiles in tmp_path, the bundled Stoic pack installed for real, an injected clock.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import PASSPHRASE

from engine.api import Engine
from engine.errors import NotFound
from engine.heartbeat import jobs

TZ = timezone(timedelta(hours=2))


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def _checkins(engine: Engine) -> tuple[bool, str, list[str]]:
    [result] = engine.heartbeat.run(roles=["checkins"], force=True, notify_os=False).results
    return result.ran, result.reason, result.delivered


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 3, 4, 12, 0, tzinfo=TZ))  # a Wednesday


@pytest.fixture
def profile(tmp_path: Path, clock: Clock):
    with Engine.create(tmp_path / "p", PASSPHRASE, clock=clock, use_embedder=False) as engine:
        yield engine


def test_a_new_profile_has_default_hours_it_did_not_choose(profile: Engine) -> None:
    assert [(w.start, w.end) for w in profile.heartbeat.checkin_hours()] == [(8, 21)]
    assert not profile.heartbeat.active_hours_chosen()
    profile.heartbeat.set_active_hours("7-9,19-22")
    assert profile.heartbeat.active_hours_chosen()
    profile.heartbeat.set_active_hours(None)
    assert not profile.heartbeat.active_hours_chosen()


def test_a_quiet_run_names_its_reason(profile: Engine, clock: Clock) -> None:
    clock.now = clock.now.replace(hour=22, minute=15)
    ran, reason, sent = _checkins(profile)
    assert (ran, sent) == (False, [])
    assert reason == "quiet hours 22–7 (it is 22:15)"

    profile.heartbeat.set_quiet_hours(None)
    clock.now = clock.now.replace(hour=21, minute=30)
    assert _checkins(profile)[1] == "outside your active hours 8–21 (it is 21:30)"

    profile.heartbeat.set_active_hours("7-9,19-21")
    clock.now = clock.now.replace(hour=12, minute=0)
    assert _checkins(profile)[1] == "outside your active hours 7–9 and 19–21 (it is 12:00)"

    profile.heartbeat.set_active_hours(None)
    assert _checkins(profile)[1] == "nothing due"


def test_only_a_chosen_coach_checks_in_and_its_question_lands_in_the_chat(
    profile: Engine, clock: Clock
) -> None:
    profile.coaches.preview("wealth")
    ran, reason, sent = _checkins(profile)
    assert (ran, reason, sent) == (False, "nothing due", [])  # a preview is not a choice yet

    profile.coaches.install("stoic")
    ran, _, sent = _checkins(profile)
    assert ran and sent == ["Check-in with Stoic Mentor"]
    [item] = profile.heartbeat.inbox()
    assert item.body == "Stoic Mentor asks: what would you like to work on first?"
    assert item.read_at is None
    assert _checkins(profile)[1] == "nothing new: what is due was sent already"

    assert profile.heartbeat.open_check_in(item.id) == "stoic"
    assert profile.heartbeat.open_check_in(item.id) == "stoic"  # opened twice, asked once
    said = [(m.role, m.content) for m in profile.chat.conversation("stoic")]
    assert said == [("assistant", "What would you like to work on first?")]
    [opened] = profile.heartbeat.inbox()
    assert opened.read_at is not None

    # Once the coachee has written to the coach, next week's question follows up instead.
    profile.chat.send("stoic", "I worry about what others think of my work.")
    clock.now += timedelta(days=7)
    assert _checkins(profile)[2] == ["Check-in with Stoic Mentor"]
    newest = profile.heartbeat.inbox()[0]
    assert newest.body.startswith("Stoic Mentor asks: what went well since we last spoke")
    with pytest.raises(NotFound):
        profile.heartbeat.open_check_in("no-such-item")


def test_a_check_in_of_a_removed_coach_opens_no_conversation(profile: Engine) -> None:
    profile.coaches.install("stoic")
    _checkins(profile)
    [item] = profile.heartbeat.inbox()
    profile.coaches.remove("stoic")
    assert profile.heartbeat.open_check_in(item.id) is None
    assert profile.chat.conversation("stoic") == []
    assert profile.heartbeat.inbox()[0].read_at is not None
    assert _checkins(profile)[1] == "nothing due"  # a removed coach no longer checks in


def test_removing_a_coach_keeps_notes_and_conversations(profile: Engine) -> None:
    profile.coaches.install("stoic")
    reply = profile.chat.send("stoic", "How do I stop worrying about things I cannot change?")
    profile.notes.add("Read a page of Epictetus before bed.")
    notes_before = profile.notes.count()

    assert profile.coaches.remove("stoic") > 0
    assert [c.id for c in profile.coaches.list()] == []
    said = profile.chat.conversation("stoic")
    assert [m.role for m in said] == ["user", "assistant"] and said[1].content == reply.text
    assert profile.notes.count() == notes_before

    # Installing it again brings the same conversation back.
    profile.coaches.install("stoic")
    assert [m.content for m in profile.chat.conversation("stoic")] == [m.content for m in said]


def test_a_run_that_meets_the_apps_own_background_heartbeat_says_so(profile: Engine) -> None:
    """ "Run heartbeat now" while the app's background heartbeat holds a role: the reason is about
    the app, not a process number the coachee has never heard of."""
    db = profile._session.db  # the lock row as the app's background run holds it
    with db.atomic() as conn:
        jobs.ensure(conn, profile._session.clock())
        assert jobs.take(conn, "checkins", f"{os.getpid()}-background", profile._session.clock(), force=True)
    assert _checkins(profile)[1] == "already running in the background"
