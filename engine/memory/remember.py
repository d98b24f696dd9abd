"""Adding a fact the way memory should: dedupe, supersede, or ask — never a silent duplicate.

Runs inside the caller's transaction. The candidates are the active facts about the same entities
and category; `contradiction.decide` says what to do; this module does it and records suggestions
the coachee can accept later when the decision is unsure (both facts are kept meanwhile).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from engine.clock import iso_utc, new_id
from engine.errors import NotFound, UsageError
from engine.memory import facts as facts_mod
from engine.memory.contradiction import Candidate, Decision, Thresholds, decide, infer_category
from engine.memory.facts import Fact
from engine.memory.similarity import Similarity
from engine.store.connection import Connection

Outcome = Literal["added", "duplicate", "superseded", "suggested"]
Indexer = Callable[[Connection, list[Fact]], None]


@dataclass(frozen=True)
class FactResult:
    """What happened: the fact now standing for the text, and the one it replaced or resembles."""

    outcome: Outcome
    fact: Fact
    related: Fact | None
    reason: str
    suggestion_id: str | None = None


@dataclass(frozen=True)
class Suggestion:
    id: str
    fact: Fact
    target: Fact
    reason: str
    created_at: str


def remember(
    conn: Connection,
    content: str,
    *,
    entity_ids: Sequence[str],
    now: datetime,
    device_id: str,
    similarity: Similarity,
    thresholds: Thresholds,
    category: str | None = None,
    source: str = "user",
    occurs_on: str | None = None,
    note_id: str | None = None,
    index: Indexer | None = None,
) -> FactResult:
    category = category or infer_category(content)
    candidates = facts_mod.active_for(conn, entity_ids=entity_ids, category=category)
    load_stored = getattr(similarity, "load_stored", None)  # embedding similarity reuses stored vectors
    if load_stored is not None:
        load_stored(conn, [f.id for f in candidates])
    decision: Decision = decide(
        content,
        [Candidate(f.id, f.content) for f in candidates],
        similarity,
        thresholds,
        scoped_to_entity=bool(entity_ids),
    )
    by_id = {f.id: f for f in candidates}
    if decision.action == "duplicate" and decision.target_id:
        known = by_id[decision.target_id]
        facts_mod.touch(conn, [known.id], now=now)
        return FactResult("duplicate", facts_mod.get(conn, known.id), None, decision.reason)
    new = facts_mod.insert(
        conn,
        content,
        category=category,
        entity_ids=entity_ids,
        source=source,
        now=now,
        device_id=device_id,
        occurs_on=occurs_on,
        note_id=note_id,
    )
    if index:
        index(conn, [new])
    if decision.action == "supersede" and decision.target_id:
        old = facts_mod.mark_superseded(conn, by_id[decision.target_id], new, now=now, device_id=device_id)
        return FactResult("superseded", new, old, decision.reason)
    if decision.action == "suggest" and decision.target_id:
        suggestion_id = new_id(now)
        conn.execute(
            "INSERT INTO suggestions (id, kind, fact_id, target_id, reason, created_at) "
            "VALUES (?, 'supersede', ?, ?, ?, ?)",
            (suggestion_id, new.id, decision.target_id, decision.reason, iso_utc(now)),
        )
        return FactResult("suggested", new, by_id[decision.target_id], decision.reason, suggestion_id)
    return FactResult("added", new, None, decision.reason)


def supersede(
    conn: Connection,
    fact_id: str,
    content: str,
    *,
    now: datetime,
    device_id: str,
    index: Indexer | None = None,
) -> FactResult:
    """The coachee says explicitly that a fact changed: the new one replaces it, same entities."""
    old = facts_mod.get(conn, fact_id)
    if old.status != "active":
        raise UsageError(facts_mod.not_active_reason(old))
    new = facts_mod.insert(
        conn,
        content,
        category=old.category,
        entity_ids=old.related_entities,
        source="user",
        now=now,
        device_id=device_id,
    )
    if index:
        index(conn, [new])
    old = facts_mod.mark_superseded(conn, old, new, now=now, device_id=device_id)
    return FactResult("superseded", new, old, "changed by you")


def open_suggestions(conn: Connection) -> list[Suggestion]:
    rows = conn.execute(
        "SELECT id, fact_id, target_id, reason, created_at FROM suggestions WHERE status = 'open' ORDER BY seq"
    ).fetchall()
    out: list[Suggestion] = []
    for id_, fact_id, target_id, reason, created in rows:
        fact, target = facts_mod.get(conn, fact_id), facts_mod.get(conn, target_id)
        if fact.status == "active" and target.status == "active":
            out.append(Suggestion(id_, fact, target, reason, created))
    return out


def resolve_suggestion(
    conn: Connection, suggestion_id: str, accept: bool, *, now: datetime, device_id: str
) -> None:
    row = conn.execute(
        "SELECT fact_id, target_id, status FROM suggestions WHERE id = ?", (suggestion_id,)
    ).fetchone()
    if row is None:
        raise NotFound(f"no suggestion with id {suggestion_id}")
    fact_id, target_id, status = row
    if status != "open":
        raise UsageError(f"suggestion {suggestion_id} was already {status}")
    if accept:
        target = facts_mod.get(conn, target_id)
        if target.status == "active":
            facts_mod.mark_superseded(
                conn, target, facts_mod.get(conn, fact_id), now=now, device_id=device_id
            )
    conn.execute(
        "UPDATE suggestions SET status = ?, resolved_at = ? WHERE id = ?",
        ("accepted" if accept else "dismissed", iso_utc(now), suggestion_id),
    )
