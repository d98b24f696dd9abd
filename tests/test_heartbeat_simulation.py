"""Heartbeat scenarios with an injected clock: a simulated month, catch-up, silence, no double runs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import PASSPHRASE

from engine.api import Engine
from engine.errors import UsageError
from engine.types import iso_utc

TZ = timezone(timedelta(hours=1))
START = datetime(2026, 3, 1, 6, 0, tzinfo=TZ)  # a Sunday


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def _add_coach(engine: Engine, coach_id: str, name: str) -> None:
    """Seed an installed coach row (coach packs are installed by the coaches subsystem)."""
    with engine._session.db.atomic() as conn:
        conn.execute(
            "INSERT INTO coaches (id, name, version, domain, manifest, installed_at) VALUES (?, ?, '1.0', 'Wisdom', '{}', ?)",
            (coach_id, name, iso_utc(engine.clock())),
        )


@pytest.fixture
def month(tmp_path: Path):
    clock = Clock(START)
    engine = Engine.create(tmp_path / "p", PASSPHRASE, clock=clock, use_embedder=False)
    engine.memory.create_entity("project", "Marathon", deadline="2026-03-10")
    engine.memory.create_entity("project", "Tax return", deadline="2026-03-20")
    engine.memory.create_entity("project", "Old launch", deadline="2026-03-05")
    engine.memory.archive_entity("Old launch")
    for area in ("Health", "Money", "Family"):
        engine.memory.create_entity("area", area)
    _add_coach(engine, "stoic", "Stoic Mentor")
    _add_coach(engine, "fitness", "Run Coach")
    engine.heartbeat.set_checkin_frequency("stoic", "weekly")
    engine.heartbeat.set_checkin_frequency("fitness", "biweekly")
    engine.heartbeat.set_active_hours("7-9,19-22")
    yield engine, clock
    engine.close()


def test_thirty_day_simulation_exact_check_ins(month) -> None:
    engine, clock = month
    touches = {
        datetime(2026, 3, 6, 12, 0, tzinfo=TZ): "Health",
        datetime(2026, 3, 13, 12, 0, tzinfo=TZ): "Family",
        datetime(2026, 3, 21, 12, 0, tzinfo=TZ): "Health",
    }
    silent_runs = 0
    while clock.now < START + timedelta(days=30):
        if clock.now in touches:
            engine.memory.add_fact(
                f"Small step for {touches[clock.now]} on {clock.now.date()}", touches[clock.now]
            )
        before = len(engine.heartbeat.inbox(include_done=True)), engine.notes.count()
        report = engine.heartbeat.run(roles=["checkins"], notify_os=False)
        after = len(engine.heartbeat.inbox(include_done=True)), engine.notes.count()
        if not report.delivered:
            assert after == before  # silence: no notification, no note
            silent_runs += 1
        clock.now += timedelta(minutes=30)

    got = sorted(
        (
            datetime.fromisoformat(i.created_at.replace("Z", "+00:00"))
            .astimezone(TZ)
            .strftime("%m-%d %H:%M"),
            i.title,
        )
        for i in engine.heartbeat.inbox(include_done=True)
    )
    expected = sorted(
        [
            ("03-01 07:00", "Check-in with Stoic Mentor"),  # ISO week 9
            ("03-01 07:00", "Check-in with Run Coach"),  # bi-weekly period of weeks 9-10
            ("03-02 07:00", "Check-in with Stoic Mentor"),  # week 10 starts Monday
            ("03-08 07:00", "How is Money going?"),  # created 03-01 06:00, idle > 7 days
            ("03-08 07:00", "How is Family going?"),
            ("03-09 07:00", "Check-in with Stoic Mentor"),
            ("03-09 07:00", "Check-in with Run Coach"),  # weeks 11-12
            ("03-09 07:00", "Marathon is due tomorrow"),  # 48 h before the end of 03-10
            ("03-13 19:00", "How is Health going?"),  # touched 03-06 12:00
            ("03-16 07:00", "Check-in with Stoic Mentor"),
            ("03-19 07:00", "Tax return is due tomorrow"),
            ("03-20 19:00", "How is Family going?"),  # touched 03-13 12:00
            ("03-23 07:00", "Check-in with Stoic Mentor"),
            ("03-23 07:00", "Check-in with Run Coach"),  # weeks 13-14
            ("03-28 19:00", "How is Health going?"),  # touched 03-21 12:00
            ("03-30 07:00", "Check-in with Stoic Mentor"),
        ]
    )
    assert got == expected
    assert silent_runs == 30 * 48 - len({t for t, _ in expected})
    assert all("Old launch" not in title for _, title in got)
    # Each delivery is logged in the daily notes with its reason, and carries an action.
    logged = [n for n in engine.notes.list(limit=500) if n.source == "heartbeat"]
    assert len(logged) == len(expected) and all("Why: " in n.body for n in logged)
    deadline = next(i for i in engine.heartbeat.inbox(include_done=True) if i.title.startswith("Marathon"))
    assert deadline.action["type"] == "open_chat" and "2026-03-10" in deadline.reason


def test_inbox_actions(month) -> None:
    engine, clock = month
    clock.now = datetime(2026, 3, 9, 7, 0, tzinfo=TZ)
    engine.heartbeat.run(roles=["checkins"], notify_os=False)
    items = engine.heartbeat.inbox()
    marathon = next(i for i in items if i.title.startswith("Marathon"))
    engine.heartbeat.snooze(marathon.id, clock.now + timedelta(hours=3))
    assert marathon.id not in {i.id for i in engine.heartbeat.inbox()}
    clock.now += timedelta(hours=3)
    assert marathon.id in {i.id for i in engine.heartbeat.inbox()}
    engine.heartbeat.mark_done(marathon.id)
    assert marathon.id not in {i.id for i in engine.heartbeat.inbox()}
    assert marathon.id in {i.id for i in engine.heartbeat.inbox(include_done=True)}
    with pytest.raises(UsageError):
        engine.heartbeat.snooze(marathon.id, clock.now - timedelta(hours=1))


def _skipped(reason: str) -> bool:
    """A role the run did not take (as opposed to one that ran and found nothing to do)."""
    return reason.startswith(("not due", "running in another process"))


def test_missed_runs_catch_up_once(month) -> None:
    engine, clock = month
    engine.heartbeat.run(notify_os=False, force=True)
    first = {s.role: s.last_run for s in engine.heartbeat.status()}
    clock.now += timedelta(days=5, minutes=7)  # 20 missed extraction slots, 240 missed check-in slots
    report = engine.heartbeat.run(notify_os=False)
    taken = [r.role for r in report.results if not _skipped(r.reason)]
    # The weekly synthesis is not due until Sunday; the Monday reflection fell inside the five days.
    assert taken == ["extract", "checkins", "index", "reflection"]
    again = engine.heartbeat.run(notify_os=False)
    assert all(not r.ran and r.reason.startswith("not due until") for r in again.results)
    status = {s.role: s for s in engine.heartbeat.status()}
    assert status["synthesis"].last_run == first["synthesis"]
    for role in taken:
        assert status[role].last_run == iso_utc(clock.now)
        assert datetime.fromisoformat(status[role].next_run.replace("Z", "+00:00")) > clock.now
    # 9 days later the Sunday synthesis is overdue too: it also runs exactly once.
    clock.now += timedelta(days=9)
    assert sum(r.role == "synthesis" and r.ran for r in engine.heartbeat.run(notify_os=False).results) == 1
    assert not any(r.ran for r in engine.heartbeat.run(notify_os=False).results)


def test_idle_profile_makes_no_model_call_and_no_note(tmp_path: Path) -> None:
    clock = Clock(START.replace(hour=12))
    with Engine.create(tmp_path / "idle", PASSPHRASE, clock=clock) as engine:
        report = engine.heartbeat.run(force=True, notify_os=False)
        assert all(not r.ran and r.model_calls == 0 and not r.delivered for r in report.results)
        assert engine._session._models is None  # no model was even set up
        assert engine.notes.count() == 0 and engine.heartbeat.inbox(include_done=True) == []


def test_extraction_role_learns_from_new_daily_notes(tmp_path: Path) -> None:
    clock = Clock(START.replace(hour=12))
    with Engine.create(tmp_path / "x", PASSPHRASE, clock=clock, use_embedder=False) as engine:
        engine.notes.add("Long run with @Sarah today for #marathon-2026. I feel ready.")
        report = engine.heartbeat.run(roles=["extract"], force=True, notify_os=False)
        [result] = report.results
        assert result.ran and result.detail["notes"] == 1 and result.model_calls == 1
        assert {e.name for e in engine.memory.list_entities()} == {"Sarah", "Marathon 2026"}
        again = engine.heartbeat.run(roles=["extract"], force=True, notify_os=False)
        assert not again.results[0].ran and again.results[0].reason == "no new daily notes"


def test_settings_validation(month) -> None:
    engine, _ = month
    for bad in ("7", "25-3", "a-b"):
        with pytest.raises(UsageError):
            engine.heartbeat.set_active_hours(bad)
    with pytest.raises(UsageError):
        engine.heartbeat.set_checkin_frequency("stoic", "hourly")
    with pytest.raises(UsageError):
        engine.heartbeat.run(roles=["nope"])
    with pytest.raises(UsageError):
        engine.heartbeat.set_schedule("checkins", "every minute")
    engine.heartbeat.set_quiet_hours(None)
    assert engine.heartbeat.quiet_hours() is None
