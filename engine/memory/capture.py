"""Quick capture: text in → a note saved, entities linked, a PARA place suggested, facts remembered.

What the coachee typed on purpose (`#project`, `@person`, `[[link]]`) is acted on: it links to the
entity of that name or alias, and creates it when new. What a model merely guessed (a name spaCy
thinks is a person) links only to an entity that already exists; otherwise it is reported, not
created, so that a misread word never becomes a person in the coachee's memory.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from engine.memory import entities as entities_mod
from engine.memory import graph
from engine.memory.contradiction import Thresholds
from engine.memory.entities import Entity
from engine.memory.notes import Note
from engine.memory.remember import FactResult, Indexer, remember
from engine.memory.similarity import Similarity
from engine.store.connection import Connection

if TYPE_CHECKING:
    from engine.inference.base import Entity as Span

Place = Literal["projects", "areas", "resources", "archives", "people", "inbox"]

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9#@\[])")
_DUE = re.compile(r"\b(due|deadline|hand(?:ed)? in|submit(?:ted)? by)\b", re.IGNORECASE)
_FIRST_PERSON = re.compile(r"\b(i|i'm|i've|i'll|i'd|my|me|we|our)\b", re.IGNORECASE)
_MARKUP_TO_ENTITY = {"project": "project", "area": "area", "person": "person", "milestone": "project"}


@dataclass(frozen=True)
class Mention:
    text: str
    type: str  # our NER type: person, organization, place, date, project, milestone, area, link
    source: str  # markup, dates, spacy, gliner
    value: str | None
    entity_id: str | None = None
    entity_name: str | None = None
    created: bool = False


@dataclass(frozen=True)
class Placement:
    place: Place
    entity_id: str | None
    name: str | None
    reason: str


@dataclass(frozen=True)
class CaptureResult:
    note: Note
    mentions: list[Mention]
    placement: Placement
    facts: list[FactResult]
    dates: list[str]
    edges: int = 0
    created: list[Entity] = field(default_factory=list)


def _person_name(handle: str) -> str:
    """`@sarah` → 'Sarah', `@sarah.k` → 'Sarah K': a readable name from a handle."""
    parts = [p for p in re.split(r"[._\-]+", handle) if p]
    return " ".join(p[:1].upper() + p[1:] for p in parts) or handle


def _tag_name(tag: str) -> str:
    """`#q3-report` → 'Q3 report': the name a person would write, not the tag's slug. A tag with
    capitals of its own (`#iOS-app`) keeps them. Later tags find it again: names are compared with
    their separators folded (`entities.name_key`)."""
    words = " ".join(p for p in re.split(r"[_\-]+", tag) if p) or tag
    return words[:1].upper() + words[1:] if words.islower() or words[:1].isdigit() else words


def _link_markup(
    conn: Connection, span: Span, *, now: datetime, device_id: str, created: list[Entity]
) -> Entity | None:
    value = (span.value or span.text).strip()
    if span.type == "link":
        found = entities_mod.find(conn, value)
        if found:
            return found
        entity = entities_mod.create(conn, "resource", value, now=now, device_id=device_id)
        created.append(entity)
        return entity
    kind = _MARKUP_TO_ENTITY.get(span.type)
    if kind is None:
        return None
    found = entities_mod.find(conn, value, type_=kind) or (
        entities_mod.find(conn, _person_name(value), type_=kind) if kind == "person" else None
    )
    if found:
        return found
    name = _person_name(value) if kind == "person" else _tag_name(value)
    entity = entities_mod.create(conn, kind, name, now=now, device_id=device_id)
    created.append(entity)
    return entity


def _place(linked: list[Entity], spans: Sequence[Span], text: str, areas: list[Entity]) -> Placement:
    projects = [e for e in linked if e.type == "project"]
    if projects:
        p = projects[0]
        where: Place = "archives" if p.archived else "projects"
        return Placement(where, p.id, p.name, f"it mentions the project {p.name}")
    named_areas = [e for e in linked if e.type == "area"]
    lowered = text.lower()
    named_areas += [a for a in areas if a not in named_areas and entities_mod.name_key(a.name) in lowered]
    if named_areas:
        a = named_areas[0]
        return Placement("areas", a.id, a.name, f"it is about your area {a.name}")
    if any(s.type == "date" for s in spans) and _FIRST_PERSON.search(text):
        return Placement("projects", None, None, "it has a date you committed to: worth a project")
    people = [e for e in linked if e.type == "person"]
    if people:
        return Placement("people", people[0].id, people[0].name, f"it is about {people[0].name}")
    resources = [e for e in linked if e.type == "resource"]
    if resources:
        return Placement("resources", resources[0].id, resources[0].name, f"it links to {resources[0].name}")
    if re.search(r"https?://|\b(read|watch|listen|book|article|podcast|quote)\b", text, re.IGNORECASE):
        return Placement("resources", None, None, "it looks like reference material")
    return Placement("inbox", None, None, "no project, area or person in it yet: sort it later")


def extract(
    conn: Connection,
    note: Note,
    spans: Sequence[Span],
    *,
    now: datetime,
    device_id: str,
    similarity: Similarity,
    thresholds: Thresholds,
    index: Indexer | None = None,
) -> CaptureResult:
    """Link, connect and remember what a saved note says (capture now; daily notes by the heartbeat)."""
    text = note.body
    created: list[Entity] = []
    mentions: list[Mention] = []
    linked: list[Entity] = []
    span_entity: list[tuple[Span, Entity]] = []
    for span in spans:
        entity: Entity | None = None
        if span.source == "markup":
            entity = _link_markup(conn, span, now=now, device_id=device_id, created=created)
        elif span.type == "person":
            entity = entities_mod.find(conn, span.text, type_="person")
        elif span.type in ("organization", "project", "area"):
            entity = entities_mod.find(conn, span.text)
        if entity is not None:
            if entity.id not in {e.id for e in linked}:
                linked.append(entity)
            span_entity.append((span, entity))
        mentions.append(
            Mention(
                span.text,
                span.type,
                span.source,
                span.value,
                entity.id if entity else None,
                entity.name if entity else None,
                entity is not None and entity in created,
            )
        )
    dates = [s.value for s in spans if s.type == "date" and s.value]

    edges = 0
    for entity in linked:
        edges += graph.link(conn, note.id, entity.id, "mentions", now=now, device_id=device_id) is not None
    hubs = [e for e in linked if e.type in ("project", "area")]
    for hub in hubs:
        for other in linked:
            if other.id != hub.id and other.type not in ("project", "area"):
                edges += graph.link(conn, hub.id, other.id, "with", now=now, device_id=device_id) is not None
    if len(hubs) > 1:
        for other in hubs[1:]:
            edges += (
                graph.link(conn, hubs[0].id, other.id, "related", now=now, device_id=device_id) is not None
            )

    results: list[FactResult] = []
    for sentence, start in _sentences(note.body):
        end = start + len(sentence)
        in_sentence = [e for s, e in span_entity if start <= s.start < end]
        if not in_sentence and not _FIRST_PERSON.search(sentence):
            continue  # kept in the note; not a statement about the coachee's life
        # An explicit date ("on 2026-03-01", "March 3") says more than a weekday ("Sunday").
        dated = [s for s in spans if s.type == "date" and s.value and start <= s.start < end]
        sentence_dates = [
            s.value for s in sorted(dated, key=lambda s: not any(c.isdigit() for c in s.text)) if s.value
        ]
        # A dated line that is not a first-person statement logs something that happens: an event.
        # Events are never "replaced" by a later change of plans; they stay what happened.
        category = "event" if sentence_dates and not _FIRST_PERSON.search(sentence) else None
        if sentence_dates and _DUE.search(sentence):
            _set_deadlines(conn, in_sentence, sentence_dates[0], now=now, device_id=device_id)
        results.append(
            remember(
                conn,
                sentence,
                entity_ids=list(dict.fromkeys(e.id for e in in_sentence)),
                now=now,
                device_id=device_id,
                similarity=similarity,
                thresholds=thresholds,
                source="capture" if note.kind == "capture" else "extraction",
                category=category,
                occurs_on=sentence_dates[0] if sentence_dates else None,
                note_id=note.id,
                index=index,
            )
        )
    areas = entities_mod.list_entities(conn, type_="area")
    placement = _place(linked, spans, text, areas)
    return CaptureResult(note, mentions, placement, results, dates, edges, created)


def _set_deadlines(
    conn: Connection, in_sentence: list[Entity], day: str, *, now: datetime, device_id: str
) -> None:
    """ "#q3-report is due next friday": the project's deadline becomes that day (a calendar date,
    resolved when captured), so it counts down and checks in instead of living only in a sentence."""
    projects = {e.id: e for e in in_sentence if e.type == "project" and e.status == "active"}
    if len(projects) != 1:
        return  # two projects in one "due" sentence: whose deadline it is stays the coachee's call
    project = entities_mod.get(conn, next(iter(projects)))
    if project.deadline != day:
        entities_mod.set_deadline(conn, project, day, now=now, device_id=device_id)


def _sentences(text: str) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for line_match in re.finditer(r"[^\n]+", text):
        line, base = line_match.group(0), line_match.start()
        pos = 0
        for part in _SENTENCE.split(line):
            idx = line.find(part, pos)
            if part.strip():
                out.append((part.strip(), base + idx + (len(part) - len(part.lstrip()))))
            pos = idx + len(part)
    return out
