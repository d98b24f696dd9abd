"""What a quick capture found, turned into plain display values (no engine objects in UI state).

``CaptureResult`` holds full notes, facts and entities; the dialog needs a handful of strings and the
ids to link to, so this keeps the component simple and the wording testable without a browser.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.types import CaptureResult

PLACE_LABELS = {
    "projects": "Projects",
    "areas": "Areas",
    "resources": "Resources",
    "archives": "Archives",
    "people": "People",
    "inbox": "Inbox (sort later)",
}
OUTCOME_LABELS = {
    "added": "New fact",
    "duplicate": "Already known",
    "superseded": "Updated",
    "suggested": "Check: conflicts with an earlier fact",
}


@dataclass(frozen=True)
class FoundEntity:
    label: str  # as written, e.g. "#marathon-2026"
    name: str  # the entity it resolved to
    type: str
    entity_id: str | None
    created: bool


@dataclass(frozen=True)
class FoundFact:
    content: str
    outcome: str
    reason: str


@dataclass(frozen=True)
class CaptureSummary:
    """Everything the capture dialog shows after saving."""

    note_title: str
    entities: tuple[FoundEntity, ...]
    place: str
    place_label: str
    place_name: str | None
    place_entity_id: str | None
    reason: str
    facts: tuple[FoundFact, ...]
    dates: tuple[str, ...]

    @property
    def place_line(self) -> str:
        return f"{self.place_label}: {self.place_name}" if self.place_name else self.place_label


def summarise(result: CaptureResult) -> CaptureSummary:
    """Keep what the coachee should see; drop dates from the entity chips (they get their own line)."""
    seen: set[str] = set()
    entities: list[FoundEntity] = []
    for m in result.mentions:
        if m.type == "date":
            continue
        key = m.entity_id or f"{m.type}:{m.text.lower()}"
        if key in seen:
            continue
        seen.add(key)
        entities.append(
            FoundEntity(m.text, m.entity_name or m.value or m.text, m.type, m.entity_id, m.created)
        )
    p = result.placement
    return CaptureSummary(
        note_title=result.note.title,
        entities=tuple(entities),
        place=p.place,
        place_label=PLACE_LABELS.get(p.place, p.place.capitalize()),
        place_name=p.name,
        place_entity_id=p.entity_id,
        reason=p.reason,
        facts=tuple(
            FoundFact(f.fact.content, OUTCOME_LABELS.get(f.outcome, f.outcome), f.reason)
            for f in result.facts
        ),
        dates=tuple(result.dates),
    )
