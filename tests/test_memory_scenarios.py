"""PARA memory scenarios through engine/api.py, with an injected clock and the real embedder and NER."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import PASSPHRASE

from engine.api import Engine
from engine.errors import UsageError
from engine.types import Models

START = datetime(2026, 1, 5, 8, 0, tzinfo=timezone(timedelta(hours=1)))


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(scope="module")
def models() -> Iterator[Models]:
    shared = Models()
    yield shared
    shared.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def mem(tmp_path: Path, clock: Clock, models: Models) -> Iterator[Engine]:
    engine = Engine.create(tmp_path / "p", PASSPHRASE, clock=clock, models=models)
    yield engine
    engine.close()


def test_berlin_to_valencia_supersedes_and_keeps_history(mem: Engine, clock: Clock) -> None:
    mem.memory.create_entity("project", "Marathon 2026")
    berlin = mem.memory.add_fact("I'm training for the Berlin Marathon", "Marathon 2026")
    assert berlin.outcome == "added"
    before_change = clock.now + timedelta(days=5)
    clock.advance(days=12)
    valencia = mem.memory.add_fact("Changed plans, I'm running Valencia instead", "marathon-2026")
    assert valencia.outcome == "superseded"
    assert valencia.related is not None and valencia.related.id == berlin.fact.id

    page = mem.memory.entity_page("Marathon 2026")
    assert [f.content for f, _ in page.active] == ["Changed plans, I'm running Valencia instead"]
    assert [f.content for f in page.history] == ["I'm training for the Berlin Marathon"]
    assert page.history[0].superseded_by == valencia.fact.id
    assert "Valencia" in page.summary_md and "Berlin" not in page.summary_md

    assert [f.content for f in mem.memory.facts_as_of(before_change, "Marathon 2026")] == [
        "I'm training for the Berlin Marathon"
    ]
    assert [f.content for f in mem.memory.facts_as_of(clock.now, "Marathon 2026")] == [valencia.fact.content]
    lineage = mem.memory.fact_history(berlin.fact.id)
    assert (
        [f.id for f in lineage]
        == [berlin.fact.id, valencia.fact.id]
        == [f.id for f in mem.memory.fact_history(valencia.fact.id)]
    )

    now_hits = mem.memory.recall("which marathon am I running?")
    assert now_hits[0].text.endswith("Valencia instead")
    assert all("Berlin" not in h.text for h in now_hits if h.kind == "fact")
    past_hits = mem.memory.recall("which marathon am I running?", as_of=before_change)
    assert [h.text for h in past_hits if h.kind == "fact"] == ["I'm training for the Berlin Marathon"]


def test_frequent_access_resists_decay(mem: Engine, clock: Clock) -> None:
    mem.memory.create_entity("area", "Health")
    read_often = mem.memory.add_fact("I sleep best when I stop screens at 22:00", "Health").fact
    untouched = mem.memory.add_fact("My resting heart rate is 52", "Health").fact
    clock.advance(days=15)
    for _ in range(8):
        mem.memory.recall("screens sleep 22:00")
    clock.advance(days=25)  # day 40
    tiers = {f.id: tier for f, tier in mem.memory.entity_page("Health").active}
    assert tiers[read_often.id] == "warm"
    assert tiers[untouched.id] == "cold"


def test_cold_fact_leaves_summary_but_recall_finds_it(mem: Engine, clock: Clock) -> None:
    mem.memory.create_entity("area", "Money")
    mem.memory.add_fact("My emergency fund target is six months of rent", "Money")
    clock.advance(days=45)
    mem.memory.add_fact("I moved my savings to a fixed-rate account", "Money")
    page = mem.memory.entity_page("Money")
    assert "fixed-rate" in page.summary_md
    assert "emergency fund" not in page.summary_md and "1 older fact" in page.summary_md
    hits = mem.memory.recall("emergency fund target")
    assert (
        hits and hits[0].text == "My emergency fund target is six months of rent" and hits[0].tier == "cold"
    )


def test_capture_links_project_person_and_date(mem: Engine) -> None:
    result = mem.memory.capture("Long run Sunday for #marathon-2026 with @Sarah on 2026-03-01")
    types = {(m.type, m.entity_name, m.created) for m in result.mentions if m.entity_name}
    assert ("project", "Marathon 2026", True) in types and (
        "person",
        "Sarah",
        True,
    ) in types  # names, not slugs
    assert "2026-03-01" in result.dates
    assert result.placement.place == "projects" and result.placement.name == "Marathon 2026"
    assert "Marathon 2026" in result.placement.reason
    again = mem.memory.capture("Tempo run for #marathon-2026")
    assert [(m.entity_name, m.created) for m in again.mentions if m.type == "project"] == [
        ("Marathon 2026", False)
    ]
    [fact] = result.facts
    assert fact.outcome == "added" and fact.fact.occurs_on == "2026-03-01"
    project, sarah = mem.memory.entity("marathon-2026"), mem.memory.entity("Sarah")
    assert set(fact.fact.related_entities) == {project.id, sarah.id}
    assert [e.name for e in mem.memory.entity_page("marathon-2026").neighbours] == ["Sarah"]
    assert [e.name for e in mem.memory.path_between("Sarah", "marathon-2026")] == ["Sarah", "Marathon 2026"]

    # A second capture links to the same entities (by name or alias), creating nothing new.
    again = mem.memory.capture("Booked a physio for @sarah before #Marathon_2026")
    assert all(not m.created for m in again.mentions)
    assert len(mem.memory.list_entities("person")) == 1 and len(mem.memory.list_entities("project")) == 1


def test_capturing_the_same_sentence_twice_makes_one_fact(mem: Engine) -> None:
    first = mem.memory.capture("I want to read more Seneca this winter")
    second = mem.memory.capture("I want to read more Seneca this winter")
    assert [r.outcome for r in first.facts] == ["added"] and [r.outcome for r in second.facts] == [
        "duplicate"
    ]
    assert second.facts[0].fact.id == first.facts[0].fact.id
    assert second.facts[0].fact.access_count == 1
    assert len(mem.memory.recall("read more Seneca")) >= 1
    facts = [h for h in mem.memory.recall("read Seneca winter", limit=20) if h.kind == "fact"]
    assert len(facts) == 1


def test_near_duplicate_bumps_and_unsure_change_becomes_a_suggestion(mem: Engine) -> None:
    mem.memory.create_entity("person", "Maya")
    designer = mem.memory.add_fact("Maya works at Acme as a designer", "Maya").fact
    mem.memory.add_fact("Maya loves climbing", "Maya")
    near = mem.memory.add_fact("Maya works at Acme as a product designer", "Maya")
    assert near.outcome == "duplicate" and near.fact.id == designer.id and near.fact.access_count == 1

    # Similar but different, with no word announcing a change: keep both and ask.
    unsure = mem.memory.add_fact("Maya works at Globex as a designer", "Maya")
    assert unsure.outcome == "suggested" and unsure.related is not None and unsure.related.id == designer.id
    [suggestion] = mem.memory.suggestions()
    assert (suggestion.fact.id, suggestion.target.id) == (unsure.fact.id, designer.id)
    assert {f.content for f, _ in mem.memory.entity_page("Maya").active} >= {
        designer.content,
        unsure.fact.content,
    }
    mem.memory.resolve_suggestion(suggestion.id, accept=True)
    assert mem.memory.suggestions() == []
    assert [f.content for f in mem.memory.entity_page("Maya").history] == ["Maya works at Acme as a designer"]
    with pytest.raises(UsageError):
        mem.memory.resolve_suggestion(suggestion.id, accept=False)


def test_rename_archive_and_restore(mem: Engine) -> None:
    mem.memory.create_entity("project", "Q3 launch", deadline="2026-09-30")
    mem.memory.rename_entity("Q3 launch", "Atlas launch")
    assert mem.memory.entity("q3-launch").name == "Atlas launch"  # old name is an alias
    mem.memory.add_fact("I lead the Q3 launch project", "Atlas launch")
    mem.memory.archive_entity("Atlas launch")
    assert mem.memory.list_entities("project") == []
    assert [e.name for e in mem.memory.list_entities("archive")] == ["Atlas launch"]
    assert (
        mem.memory.recall("Q3 launch")[0].text == "I lead the Q3 launch project"
    )  # archived stays searchable
    assert mem.memory.capture("Retro notes for #atlas-launch").placement.place == "archives"
    mem.memory.restore_entity("Atlas launch")
    assert [e.name for e in mem.memory.list_entities("project")] == ["Atlas launch"]
    with pytest.raises(UsageError):
        mem.memory.create_entity("project", "atlas_launch")


def test_purge_needs_confirmation_and_is_logged(mem: Engine) -> None:
    fact = mem.memory.add_fact("My therapist is Dr. Quokka-Zebra").fact
    with pytest.raises(UsageError):
        mem.memory.purge_fact(fact.id, confirm=False)
    mem.memory.purge_fact(fact.id, confirm=True, reason="right to deletion")
    log = mem.memory.purge_log()
    assert [(e["table"], e["id"], e["reason"]) for e in log] == [("facts", fact.id, "right to deletion")]
    assert "Quokka" not in str(log)
    assert all("Quokka" not in h.text for h in mem.memory.recall("therapist"))


def test_tacit_knowledge_learns_active_hours(mem: Engine, clock: Clock) -> None:
    for day in range(6):
        for hour in (7, 8, 20, 21):
            clock.now = START.replace(hour=hour) + timedelta(days=day)
            mem.notes.add(f"day {day} at {hour}")
    mem.memory.add_fact("I prefer short morning check-ins")
    doc = mem.memory.tacit_knowledge()
    assert "- 07:00–09:00" in doc and "- 20:00–22:00" in doc
    assert "I prefer short morning check-ins" in doc
    assert [str(w) for w in mem.memory.active_hours()] == ["07:00–09:00", "20:00–22:00"]


def test_two_profiles_never_share_facts(tmp_path: Path, clock: Clock, models: Models) -> None:
    with (
        Engine.create(tmp_path / "a", PASSPHRASE, clock=clock, models=models) as a,
        Engine.create(tmp_path / "b", PASSPHRASE, clock=clock, models=models) as b,
    ):
        a.memory.capture("I'm saving for a sailing boat with @Tom")
        assert b.memory.recall("sailing boat") == []
        assert b.memory.list_entities() == []
        assert a.memory.recall("sailing boat")[0].text == "I'm saving for a sailing boat with @Tom"


def test_memory_works_without_the_embedder(tmp_path: Path, clock: Clock) -> None:
    with Engine.create(tmp_path / "lex", PASSPHRASE, clock=clock, use_embedder=False) as engine:
        engine.memory.create_entity("project", "Marathon")
        engine.memory.add_fact("I'm training for the Berlin Marathon", "Marathon")
        result = engine.memory.add_fact("Changed plans, I'm running Valencia instead", "Marathon")
        assert result.outcome == "superseded"
        [hit] = [h for h in engine.memory.recall("Valencia") if h.kind == "fact"]
        assert hit.text.endswith("Valencia instead") and hit.found_by == {"bm25_facts": 1}
        assert engine.memory.refresh_index().embedder_id is None


def test_refresh_index_embeds_imported_notes(mem: Engine) -> None:
    from engine.types import NewNote

    mem.notes.add_many(
        [NewNote("Felt anxious before the board presentation", kind="import", source="import")]
    )
    report = mem.memory.refresh_index()
    assert report.notes >= 1 and report.embedder_id
    hits = mem.memory.recall("nervous about presenting to the board")
    assert hits and "anxious" in hits[0].text and "dense_notes" in hits[0].found_by
