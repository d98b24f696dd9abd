"""Recall: hybrid search over the coachee's own memory — facts and notes — with tiers and provenance.

Steps, as in DESIGN.md §4, scoped to personal memory:
1. BM25 over facts and over notes (FTS5), top 50 each;
2. vector KNN over both, when an embedder is available;
3. reciprocal rank fusion of the four lists;
4. graph expansion: the active facts of entities named in the query join the candidates;
5. tier boost: Hot > Warm > Cold (decay changes ranking, never storage);
6. `as_of`: only what was current then (facts not yet superseded then, notes written by then).
Each hit says which lists found it and at what rank.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from engine.clock import iso_utc
from engine.memory import entities as entities_mod
from engine.memory import facts as facts_mod
from engine.memory.decay import TIER_BOOST, tier
from engine.memory.facts import Fact, parse_stamp
from engine.memory.notes import Note, notes_by_seq
from engine.memory.similarity import normalise
from engine.retrieval import fts, vectors
from engine.retrieval.fusion import RRF_K, rrf
from engine.store.connection import Connection

if TYPE_CHECKING:
    import numpy as np

Kind = Literal["fact", "note"]
CANDIDATES = 50
GRAPH_WEIGHT = 0.5  # a graph-expanded fact counts like a rank-1 hit in half a list


@dataclass(frozen=True)
class RecallHit:
    kind: Kind
    id: str
    text: str
    score: float
    tier: str
    timestamp: str
    status: str
    found_by: dict[str, int] = field(default_factory=dict)  # list name → 1-based rank
    fact: Fact | None = None
    note: Note | None = None


def recall(
    conn: Connection,
    query: str,
    *,
    now: datetime,
    query_vector: np.ndarray | None = None,
    embedder_id: str | None = None,
    as_of: datetime | None = None,
    limit: int = 10,
) -> list[RecallHit]:
    moment = as_of or now
    stamp = iso_utc(moment)
    lists: dict[str, list[tuple[Kind, int]]] = {}

    # 1. BM25. Superseded facts only matter for a question about the past.
    fact_filter = "t.timestamp <= ?" if as_of else "t.status = 'active'"
    fact_params: tuple[object, ...] = (stamp,) if as_of else ()
    lists["bm25_facts"] = [
        ("fact", h.seq)
        for h in fts.search(
            conn, "facts", query, limit=CANDIDATES, where=fact_filter, params=fact_params, snippet_column=None
        )
    ]
    lists["bm25_notes"] = [
        ("note", h.seq)
        for h in fts.search(
            conn,
            "notes",
            query,
            limit=CANDIDATES,
            where="t.status = 'active' AND t.created_at <= ?",
            params=(stamp,),
            snippet_column=None,
        )
    ]
    # 2. Vectors.
    if query_vector is not None and embedder_id:
        lists["dense_facts"] = [
            ("fact", h.seq) for h in vectors.nearest(conn, "facts", query_vector, embedder_id, CANDIDATES)
        ]
        lists["dense_notes"] = [
            ("note", h.seq) for h in vectors.nearest(conn, "notes", query_vector, embedder_id, CANDIDATES)
        ]
    # 3. Fusion.
    names = [n for n, ranked in lists.items() if ranked]
    fused = rrf([lists[n] for n in names]) if names else {}
    ranks = {n: {key: i + 1 for i, key in enumerate(lists[n])} for n in names}
    # 4. Graph expansion from entities named in the query.
    graph_keys = _graph_candidates(conn, query)
    for key in graph_keys:
        fused[key] = fused.get(key, 0.0) + GRAPH_WEIGHT / (RRF_K + 1)

    fact_rows = facts_mod.get_many(conn, [s for k, s in fused if k == "fact"])
    note_rows = notes_by_seq(conn, [s for k, s in fused if k == "note"])
    valid_facts = {f.id for f in facts_mod.as_of(conn, moment)} if as_of else None

    hits: list[RecallHit] = []
    for (kind, seq), score in fused.items():
        found_by = {n: ranks[n][(kind, seq)] for n in names if (kind, seq) in ranks[n]}
        if (kind, seq) in graph_keys:
            found_by["graph"] = 1
        if kind == "fact":
            fact = fact_rows.get(seq)
            if fact is None or (valid_facts is not None and fact.id not in valid_facts):
                continue
            if valid_facts is None and fact.status != "active":
                continue
            t = fact.tier(now)
            hits.append(
                RecallHit(
                    "fact",
                    fact.id,
                    fact.content,
                    score * TIER_BOOST[t],
                    t,
                    fact.timestamp,
                    fact.status,
                    found_by,
                    fact=fact,
                )
            )
        else:
            note = note_rows.get(seq)
            if note is None or note.created_at > stamp:
                continue
            t = tier(parse_stamp(note.created_at), 0, now)
            hits.append(
                RecallHit(
                    "note",
                    note.id,
                    note.body,
                    score * TIER_BOOST[t],
                    t,
                    note.created_at,
                    "active",
                    found_by,
                    note=note,
                )
            )
    hits.sort(key=lambda h: (-h.score, h.timestamp))
    return _dedupe(hits)[:limit]


def _dedupe(hits: list[RecallHit]) -> list[RecallHit]:
    """A captured sentence is both a note and a fact: show it once (the better-ranked one)."""
    seen: set[str] = set()
    out: list[RecallHit] = []
    for hit in hits:
        key = normalise(hit.text)
        if key in seen:
            continue
        seen.add(key)
        out.append(hit)
    return out


_name_cache: dict[int, tuple[tuple[object, ...], list[tuple[str, tuple[str, ...]]]]] = {}


def forget(conn: Connection) -> None:
    """Drop the decrypted entity names kept for ``conn``: locking must leave none in memory."""
    _name_cache.pop(id(conn), None)


def cached() -> int:
    """How many connections have decrypted entity names cached."""
    return len(_name_cache)


def _entity_names(conn: Connection) -> list[tuple[str, tuple[str, ...]]]:
    """(entity id, name keys) for every entity, rebuilt only when entities changed.

    Recall runs on every chat turn; normalising hundreds of names each time cost more than the
    rest of the graph step. The cache is per connection, keyed by the entities' count and last update.
    """
    # The file is part of the key: a connection's id() can be reused by another profile's connection.
    path = conn.execute("PRAGMA database_list").fetchone()[2]
    marker = (path, *conn.execute("SELECT count(*), coalesce(max(updated_at), '') FROM entities").fetchone())
    cached = _name_cache.get(id(conn))
    if cached is not None and cached[0] == marker:
        return cached[1]
    names = [
        (e.id, tuple(k for k in (entities_mod.name_key(n) for n in (e.name, *e.aliases)) if k))
        for e in entities_mod.list_entities(conn, include_archived=True)
    ]
    _name_cache[id(conn)] = (marker, names)
    return names


def _graph_candidates(conn: Connection, query: str) -> set[tuple[Kind, int]]:
    """Active facts of the entities whose name or alias appears in the query."""
    lowered = f" {entities_mod.name_key(query)} "
    named = [entity_id for entity_id, keys in _entity_names(conn) if any(f" {k} " in lowered for k in keys)]
    if not named:
        return set()
    marks = ",".join("?" * len(named))
    rows = conn.execute(
        f"SELECT f.seq FROM facts f JOIN fact_entities fe ON fe.fact_id = f.id "
        f"WHERE fe.entity_id IN ({marks}) AND f.status = 'active' ORDER BY f.seq DESC LIMIT {CANDIDATES}",
        tuple(named),
    ).fetchall()
    return {("fact", int(r[0])) for r in rows}
