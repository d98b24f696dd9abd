"""Facts changed by hand (retired, replaced) and deadlines written in words, through engine/api.py.

The entity page lets a person retire a fact and set a deadline; these check the engine's side of it:
a retired fact leaves what stands now but is kept with the moment it stopped holding, and a deadline
typed as "next friday" is stored as that calendar day, never as the words.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import PASSPHRASE

from engine.api import Engine
from engine.errors import UsageError

FRIDAY_BEFORE = datetime(2026, 3, 4, 9, 0, tzinfo=timezone(timedelta(hours=1)))  # a Wednesday


class Clock:
    def __init__(self) -> None:
        self.now = FRIDAY_BEFORE

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def mem(tmp_path: Path, clock: Clock) -> Iterator[Engine]:
    with Engine.create(tmp_path / "p", PASSPHRASE, clock=clock, use_embedder=False) as engine:
        yield engine


def test_a_retired_fact_leaves_what_stands_now_and_stays_in_the_history(mem: Engine, clock: Clock) -> None:
    mem.memory.create_entity("area", "Coaching")
    kept = mem.memory.add_fact("I coach the under-12 team on Saturdays", "Coaching").fact
    dropped = mem.memory.add_fact("I referee the league final in May", "Coaching").fact
    before = clock.now
    clock.now += timedelta(days=2)
    retired = mem.memory.retire_fact(dropped.id)

    assert (retired.status, retired.superseded_by) == ("superseded", None)
    page = mem.memory.entity_page("Coaching")
    assert [f.id for f, _tier in page.active] == [kept.id]
    assert [f.id for f in page.history] == [dropped.id]
    assert page.retired_at == {dropped.id: mem.memory.fact_retired_at(dropped.id)}
    assert page.retired_at[dropped.id].startswith("2026-03-06")
    assert "referee" not in page.summary_md
    # What was believed before the retirement still includes it; after, it does not.
    assert dropped.id in {f.id for f in mem.memory.facts_as_of(before + timedelta(hours=1), "Coaching")}
    assert dropped.id not in {f.id for f in mem.memory.facts_as_of(clock.now, "Coaching")}
    assert [f.id for f in mem.memory.fact_history(dropped.id)] == [dropped.id]


def test_a_retired_fact_cannot_be_changed_or_retired_again(mem: Engine) -> None:
    mem.memory.create_entity("person", "Sam")
    fact = mem.memory.add_fact("Sam lives in Ghent", "Sam").fact
    mem.memory.retire_fact(fact.id)
    with pytest.raises(UsageError, match="was retired; add a new fact"):
        mem.memory.supersede_fact(fact.id, "Sam lives in Leuven")
    with pytest.raises(UsageError, match="was retired"):
        mem.memory.retire_fact(fact.id)


def test_an_edit_keeps_the_replaced_version_and_is_not_a_retirement(mem: Engine) -> None:
    mem.memory.create_entity("person", "Sam")
    first = mem.memory.add_fact("Sam lives in Ghent", "Sam").fact
    second = mem.memory.supersede_fact(first.id, "Sam lives in Leuven").fact
    page = mem.memory.entity_page("Sam")
    assert [f.content for f, _tier in page.active] == ["Sam lives in Leuven"]
    assert [(f.id, f.superseded_by) for f in page.history] == [(first.id, second.id)]
    assert page.retired_at == {}
    with pytest.raises(UsageError, match="already replaced by"):
        mem.memory.retire_fact(first.id)


def test_a_retired_fact_can_still_be_purged(mem: Engine) -> None:
    mem.memory.create_entity("person", "Sam")
    fact = mem.memory.add_fact("Sam lives in Ghent", "Sam").fact
    mem.memory.retire_fact(fact.id)
    mem.memory.purge_fact(fact.id, confirm=True, reason="asked")
    assert mem.memory.entity_page("Sam").history == []
    assert mem.memory.fact_retired_at(fact.id) is None


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("next friday", "2026-03-13"),
        ("Friday", "2026-03-06"),
        ("in two weeks", "2026-03-18"),
        ("March 31", "2026-03-31"),
        (" 2026-04-02 ", "2026-04-02"),
        ("2026-04-02T17:00", "2026-04-02"),
        ("", None),
    ],
)
def test_a_deadline_in_words_is_stored_as_a_calendar_day(
    mem: Engine, written: str, stored: str | None
) -> None:
    mem.memory.create_entity("project", "Q3 report")
    assert mem.memory.set_deadline("Q3 report", written).deadline == stored
    assert mem.memory.create_entity("project", "Tax return", deadline=written).deadline == stored


def test_a_deadline_that_is_no_date_is_refused_and_the_old_one_kept(mem: Engine) -> None:
    mem.memory.create_entity("project", "Q3 report", deadline="2026-03-20")
    with pytest.raises(UsageError, match="'soonish' is not a date"):
        mem.memory.set_deadline("Q3 report", "soonish")
    assert mem.memory.entity("Q3 report").deadline == "2026-03-20"


def test_a_captured_due_date_becomes_the_project_deadline(mem: Engine) -> None:
    mem.memory.capture("The #q3-report is due next friday, Anna reviews it first.")
    assert mem.memory.entity("q3-report").deadline == "2026-03-13"
    mem.memory.capture("The #q3-report deadline moved to March 20.")
    assert mem.memory.entity("q3-report").deadline == "2026-03-20"
    mem.memory.capture("The #q3-report and the #budget are both due next friday.")
    assert mem.memory.entity("q3-report").deadline == "2026-03-20"
