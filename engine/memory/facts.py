"""Atomic facts under the no-deletion rule.

A changed fact is never edited in place: the old row becomes `superseded` and points to its successor
(`superseded_by`), so the lineage is kept and "what did I believe on date X" has an answer: the facts
written by then whose successor (if any) was written after. Only an explicit, confirmed purge removes
a fact, and the purge is logged (without the content).

A fact that simply stops being true, with nothing to replace it ("I no longer coach the juniors"), is
retired: it leaves what stands now like a replaced fact (`superseded`, but with no successor) and stays
in the history. When it was retired is an edge `retired` from the fact to what it was about (each
entity, or its note), so that the moment syncs with the row and "what did I believe then" still
includes it before that day, without a schema change to the synced `facts` table.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from engine.clock import iso_utc, new_id
from engine.errors import NotFound, UsageError
from engine.memory.contradiction import CATEGORIES
from engine.memory.decay import Tier, tier
from engine.store.connection import Connection

MAX_FACT_CHARS = 2000

_COLUMNS = (
    "id, content, category, timestamp, source, status, superseded_by, related_entities, last_accessed, "
    "access_count, evergreen, occurs_on, note_id"
)


@dataclass(frozen=True)
class Fact:
    id: str
    content: str
    category: str
    timestamp: str
    source: str
    status: str
    superseded_by: str | None
    related_entities: tuple[str, ...]  # entity ids
    last_accessed: str | None
    access_count: int
    evergreen: bool
    occurs_on: str | None
    note_id: str | None

    def tier(self, now: datetime) -> Tier:
        last = parse_stamp(self.last_accessed or self.timestamp)
        return tier(last, self.access_count, now, evergreen=self.evergreen)


def parse_stamp(stamp: str) -> datetime:
    """Inverse of `engine.clock.iso_utc`: a stored timestamp (`…Z`) as an aware datetime."""
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _row(row: tuple) -> Fact:
    (id_, content, category, ts, source, status, sup, related, last, count, evergreen, occurs, note_id) = row
    return Fact(
        id_, content, category, ts, source, status, sup, tuple(json.loads(related)), last, int(count), bool(evergreen),
        occurs, note_id,
    )  # fmt: skip


def insert(
    conn: Connection,
    content: str,
    *,
    category: str,
    entity_ids: Sequence[str],
    source: str,
    now: datetime,
    device_id: str,
    occurs_on: str | None = None,
    note_id: str | None = None,
    evergreen: bool = False,
) -> Fact:
    content = " ".join(content.split())
    if not content:
        raise UsageError("a fact needs some text")
    if len(content) > MAX_FACT_CHARS:
        raise UsageError(f"a fact is limited to {MAX_FACT_CHARS} characters; use a note for longer text")
    if category not in CATEGORIES:
        raise UsageError(f"unknown category {category!r}; use one of: {', '.join(CATEGORIES)}")
    stamp = iso_utc(now)
    ids = tuple(dict.fromkeys(entity_ids))
    fact = Fact(
        new_id(now),
        content,
        category,
        stamp,
        source,
        "active",
        None,
        ids,
        stamp,
        0,
        evergreen,
        occurs_on,
        note_id,
    )
    conn.execute(
        f"INSERT INTO facts ({_COLUMNS}, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            fact.id, content, category, stamp, source, "active", None, json.dumps(list(ids)), stamp, 0, int(evergreen),
            occurs_on, note_id, stamp,
        ),
    )  # fmt: skip
    conn.executemany(
        "INSERT OR IGNORE INTO fact_entities (fact_id, entity_id) VALUES (?, ?)", [(fact.id, e) for e in ids]
    )
    return fact


def get(conn: Connection, fact_id: str) -> Fact:
    row = conn.execute(f"SELECT {_COLUMNS} FROM facts WHERE id = ?", (fact_id,)).fetchone()
    if row is None:
        raise NotFound(f"no fact with id {fact_id}")
    return _row(row)


def get_many(conn: Connection, seqs: Sequence[int]) -> dict[int, Fact]:
    if not seqs:
        return {}
    rows = conn.execute(
        f"SELECT seq, {_COLUMNS} FROM facts WHERE seq IN ({','.join('?' * len(seqs))})", tuple(seqs)
    ).fetchall()
    return {int(r[0]): _row(r[1:]) for r in rows}


RETIRED_EDGE = "retired"


def is_retired(fact: Fact) -> bool:
    """Retired (no longer true, nothing replaced it) rather than replaced by a newer version."""
    return fact.status == "superseded" and fact.superseded_by is None


def not_active_reason(fact: Fact) -> str:
    """Why a fact can no longer change, for an error message that names what happened to it."""
    if is_retired(fact):
        return f"fact {fact.id} was retired; add a new fact instead"
    return f"fact {fact.id} was already replaced by {fact.superseded_by}; change that one instead"


def mark_superseded(conn: Connection, old: Fact, new: Fact, *, now: datetime, device_id: str) -> Fact:
    if old.status != "active":
        raise UsageError(not_active_reason(old))
    conn.execute("UPDATE facts SET status = 'superseded', superseded_by = ? WHERE id = ?", (new.id, old.id))
    return get(conn, old.id)


def retire(conn: Connection, fact: Fact, *, now: datetime, device_id: str) -> Fact:
    """Take a fact out of what stands now, keeping it (and when it was retired) in the history."""
    if fact.status != "active":
        raise UsageError(not_active_reason(fact))
    conn.execute("UPDATE facts SET status = 'superseded', superseded_by = NULL WHERE id = ?", (fact.id,))
    stamp = iso_utc(now)
    for target in fact.related_entities or ((fact.note_id,) if fact.note_id else ()):
        conn.execute(
            "INSERT OR IGNORE INTO edges (id, src_id, dst_id, kind, weight, created_at) VALUES (?, ?, ?, ?, 1.0, ?)",
            (new_id(now), fact.id, target, RETIRED_EDGE, stamp),
        )
    return get(conn, fact.id)


def retired_at(conn: Connection, fact_id: str) -> str | None:
    """When a retired fact was retired (None for a fact retired with nothing to hang the date on)."""
    row = conn.execute(
        "SELECT min(created_at) FROM edges WHERE src_id = ? AND kind = ?", (fact_id, RETIRED_EDGE)
    ).fetchone()
    return str(row[0]) if row and row[0] else None


def active_for(conn: Connection, *, entity_ids: Sequence[str], category: str | None = None) -> list[Fact]:
    """Active facts linked to any of `entity_ids` (or, with none given, facts linked to no entity)."""
    cat = " AND f.category = ?" if category else ""
    if entity_ids:
        marks = ",".join("?" * len(entity_ids))
        rows = conn.execute(
            f"SELECT DISTINCT {', '.join('f.' + c.strip() for c in _COLUMNS.split(','))} FROM facts f "
            f"JOIN fact_entities fe ON fe.fact_id = f.id WHERE fe.entity_id IN ({marks}) AND f.status = 'active'{cat} "
            "ORDER BY f.seq",
            (*entity_ids, *([category] if category else [])),
        ).fetchall()
    else:
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM facts f WHERE f.status = 'active' AND f.related_entities = '[]'{cat} "
            "ORDER BY f.seq DESC LIMIT 200",
            (category,) if category else (),
        ).fetchall()
    return [_row(r) for r in rows]


def for_entity(conn: Connection, entity_id: str, *, include_superseded: bool = True) -> list[Fact]:
    status = "" if include_superseded else " AND f.status = 'active'"
    rows = conn.execute(
        f"SELECT {', '.join('f.' + c.strip() for c in _COLUMNS.split(','))} FROM facts f "
        f"JOIN fact_entities fe ON fe.fact_id = f.id WHERE fe.entity_id = ?{status} ORDER BY f.timestamp, f.seq",
        (entity_id,),
    ).fetchall()
    return [_row(r) for r in rows]


def as_of(conn: Connection, moment: datetime, *, entity_id: str | None = None) -> list[Fact]:
    """The facts that were current at `moment`: written by then, not yet superseded or retired then."""
    stamp = iso_utc(moment)
    join = "JOIN fact_entities fe ON fe.fact_id = f.id AND fe.entity_id = ? " if entity_id else ""
    retired = f"(SELECT min(r.created_at) FROM edges r WHERE r.src_id = f.id AND r.kind = '{RETIRED_EDGE}')"
    rows = conn.execute(
        f"SELECT {', '.join('f.' + c.strip() for c in _COLUMNS.split(','))} FROM facts f {join}"
        "LEFT JOIN facts s ON s.id = f.superseded_by "
        "WHERE f.timestamp <= ? AND (f.status = 'active' OR s.timestamp > ? "
        f"OR (f.superseded_by IS NULL AND {retired} > ?)) ORDER BY f.timestamp",
        ((entity_id,) if entity_id else ()) + (stamp, stamp, stamp),
    ).fetchall()
    return [_row(r) for r in rows]


def lineage(conn: Connection, fact_id: str) -> list[Fact]:
    """The whole chain a fact belongs to, oldest first: predecessors, the fact, its successors."""
    chain = [get(conn, fact_id)]
    seen = {fact_id}
    while True:
        row = conn.execute(f"SELECT {_COLUMNS} FROM facts WHERE superseded_by = ?", (chain[0].id,)).fetchone()
        if row is None or row[0] in seen:
            break
        chain.insert(0, _row(row))
        seen.add(row[0])
    while chain[-1].superseded_by and chain[-1].superseded_by not in seen:
        chain.append(get(conn, chain[-1].superseded_by))
        seen.add(chain[-1].id)
    return chain


def touch(conn: Connection, fact_ids: Sequence[str], *, now: datetime) -> None:
    """Reading a fact (recall, chat context) counts as use: it resists decay. Not synced: local usage."""
    if fact_ids:
        conn.executemany(
            "UPDATE facts SET access_count = access_count + 1, last_accessed = ? WHERE id = ?",
            [(iso_utc(now), f) for f in fact_ids],
        )


def purge(conn: Connection, fact_id: str, *, now: datetime, device_id: str, reason: str) -> None:
    """Remove a fact for good (right to deletion). Successor links through it are bridged."""
    fact = get(conn, fact_id)
    conn.execute("UPDATE facts SET superseded_by = ? WHERE superseded_by = ?", (fact.superseded_by, fact_id))
    conn.execute("DELETE FROM suggestions WHERE fact_id = ? OR target_id = ?", (fact_id, fact_id))
    conn.execute("DELETE FROM fact_entities WHERE fact_id = ?", (fact_id,))
    conn.execute("DELETE FROM edges WHERE src_id = ? OR dst_id = ?", (fact_id, fact_id))
    seq = conn.execute("SELECT seq FROM facts WHERE id = ?", (fact_id,)).fetchone()[0]
    conn.execute("DELETE FROM facts_vec WHERE rowid = ?", (seq,))
    conn.execute("DELETE FROM facts WHERE id = ?", (fact_id,))
    conn.execute(
        "INSERT INTO purge_log (purged_at, table_name, row_id, reason) VALUES (?, 'facts', ?, ?)",
        (iso_utc(now), fact_id, reason or "user request"),
    )
