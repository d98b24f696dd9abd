"""Writing an import plan into the profile: in one transaction, and nothing twice.

Each incoming note is judged against what the profile already holds:
- *unchanged*: this source already gave this exact note (same key, same content) — skipped;
- *changed*: the source gave a note at this key before, with other content — the new one is added
  and the old one marked superseded by it (the no-deletion rule), so a re-import follows edits;
- *duplicate*: the same text is already in the profile (from another import, or typed) — skipped;
- *near duplicate*: a note already in the profile says the same thing by meaning (cosine of their
  embeddings at or above `NEAR_DUPLICATE`) — listed for the person to review, not imported;
- *new*: added.

Everything is written inside one `atomic()`: notes (with their original dates), the PARA items the
mapping asks for, links, embedded files, tags and the import record. An error anywhere rolls all
of it back, so a failed import leaves the profile as it was.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from engine.clock import iso_utc
from engine.errors import ImportRejected
from engine.io.model import (
    PARA_TYPES,
    ImportNote,
    ImportPlan,
    ImportPreview,
    NearDuplicate,
    NotesImportReport,
)
from engine.memory.notes_part import NewNote

if TYPE_CHECKING:
    from engine.io.sources import Source
    from engine.memory.notes_part import Notes
    from engine.memory.part import Memory
    from engine.session import Session

NEAR_DUPLICATE = 0.70
"""Cosine similarity (MiniLM) of an incoming note's text to an existing note's at which it counts as
saying the same thing. Calibrated on 16 hand-written pairs (not the tests'): eight rewordings of one
note scored 0.75–0.93, eight different notes on the same topic (two notes about one project, one
person, one book) 0.17–0.53 (bench/io_near_duplicates.py); 0.70 sits between the two with room on
both sides."""

Progress = Callable[[str, int, int], None]


def content_hash(title: str, body: str) -> str:
    normal = " ".join(body.split())
    return hashlib.sha256(f"{title.strip()}\n{normal}".encode()).hexdigest()


def body_hash(body: str) -> str:
    return hashlib.sha256(" ".join(body.split()).encode()).hexdigest()


@dataclass(frozen=True)
class Judged:
    new: list[ImportNote]
    changed: list[tuple[ImportNote, str]]  # (note, id of the note it supersedes)
    unchanged: int
    duplicates: int
    near: list[NearDuplicate]


def judge(session: Session, plan: ImportPlan, *, check_meaning: bool = True) -> Judged:
    conn = session.db.conn
    with session.db.lock:
        known: dict[str, tuple[str, str]] = {}
        for key, sha, note_id in conn.execute(
            "SELECT s.source_key, s.sha256, s.note_id FROM import_sources s JOIN notes n ON n.id = s.note_id "
            "WHERE s.origin = ? AND n.status != 'superseded' ORDER BY s.seq",
            (plan.origin,),
        ):
            known[str(key)] = (str(sha), str(note_id))
        imported = {str(r[0]) for r in conn.execute("SELECT sha256 FROM import_sources")}
        bodies = {
            body_hash(str(r[0])) for r in conn.execute("SELECT body FROM notes WHERE status != 'superseded'")
        }
    new: list[ImportNote] = []
    changed: list[tuple[ImportNote, str]] = []
    unchanged = duplicates = 0
    seen: set[str] = set()
    for note in plan.notes:
        sha = content_hash(note.title, note.body)
        if note.key in known and known[note.key][0] == sha:
            unchanged += 1
        elif note.key in known:
            changed.append((note, known[note.key][1]))
        elif sha in imported or body_hash(note.body) in bodies or sha in seen:
            duplicates += 1
        else:
            new.append(note)
        seen.add(sha)
    near: list[NearDuplicate] = []
    if check_meaning and new:
        near = near_duplicates(session, new)
        listed = {n.key for n in near}
        new = [n for n in new if n.key not in listed]
    return Judged(new, changed, unchanged, duplicates, near)


def near_duplicates(session: Session, notes: list[ImportNote]) -> list[NearDuplicate]:
    """Incoming notes whose meaning matches a note already in the profile (needs the embedder and
    the profile's note vectors; without them only exact duplicates are caught)."""
    embedder = session.loaded_embedder()
    if embedder is None:
        return []
    from engine.retrieval import vectors

    with session.db.lock:
        if vectors.space(session.db.conn, "notes") != embedder.embedder_id:
            return []
    matrix = embedder.embed_batch([n.body for n in notes], kind="document")
    out: list[NearDuplicate] = []
    with session.db.lock:
        conn = session.db.conn
        for note, vector in zip(notes, matrix, strict=True):
            hits = vectors.nearest(conn, "notes", vector, embedder.embedder_id, k=1)
            if not hits:
                continue
            similarity = 1.0 - hits[0].distance
            if similarity < NEAR_DUPLICATE:
                continue
            row = conn.execute(
                "SELECT id, title FROM notes WHERE seq = ? AND status != 'superseded'", (hits[0].seq,)
            ).fetchone()
            if row:
                out.append(
                    NearDuplicate(note.key, note.title, str(row[0]), str(row[1]), round(similarity, 3))
                )
    return out


def preview(plan: ImportPlan, judged: Judged) -> ImportPreview:
    counts: dict[str, int] = {}
    for note in plan.notes:
        counts[note.group or "(top level)"] = counts.get(note.group or "(top level)", 0) + 1
    return ImportPreview(
        origin=plan.origin,
        source=plan.source,
        notes=len(plan.notes),
        daily=sum(1 for n in plan.notes if n.kind == "daily"),
        new=len(judged.new),
        unchanged=judged.unchanged,
        changed=len(judged.changed),
        duplicates=judged.duplicates,
        near_duplicates=judged.near,
        mapping=dict(plan.mapping),
        counts=counts,
        tags=len({t for n in plan.notes for t in n.tags}),
        attachments=len(plan.attachments),
        skipped=list(plan.skipped),
        titles=[n.title for n in plan.notes[:8]],
    )


def write(
    session: Session,
    notes_part: Notes,
    memory: Memory,
    plan: ImportPlan,
    judged: Judged,
    source: Source,
    *,
    max_file_bytes: int,
    progress: Progress | None = None,
) -> NotesImportReport:
    started = time.perf_counter()
    incoming = judged.new + [n for n, _ in judged.changed]
    # Read every embedded file before the transaction: a missing or oversized one fails the import
    # before anything is written.
    files: dict[str, bytes] = {}
    for i, rel in enumerate(sorted({e for n in incoming for e in n.embeds})):
        files[rel] = source.read(rel, max_file_bytes)
        if progress:
            progress("files", i + 1, len(plan.attachments))
    now = session.clock()
    db = session.db
    links = unresolved = attached = created = 0
    note_ids: list[str] = []
    entity_of: dict[str, str] = {}  # note id → the PARA item it belongs to
    with db.atomic() as conn:
        entities = {e.name.lower(): e for e in memory.list_entities(include_archived=True)}
        for e in list(entities.values()):
            for alias in e.aliases:
                entities.setdefault(alias.lower(), e)
        saved = notes_part.add_many(
            NewNote(n.body, n.title, kind=n.kind, source="import", at=n.at) for n in incoming
        )
        by_name: dict[str, str] = {}
        by_key: dict[str, str] = {}
        for note, row in zip(incoming, saved, strict=True):
            note_ids.append(row.id)
            by_key[note.key] = row.id
            for name in (PurePosixPath(note.key).stem, note.title, *note.aliases):
                by_name.setdefault(name.lower(), row.id)
        # notes of earlier imports from this origin can be link targets too
        for key, note_id, title in conn.execute(
            "SELECT s.source_key, s.note_id, n.title FROM import_sources s JOIN notes n ON n.id = s.note_id "
            "WHERE s.origin = ? AND n.status != 'superseded'",
            (plan.origin,),
        ).fetchall():
            for name in (PurePosixPath(str(key)).stem, str(title)):
                by_name.setdefault(name.lower(), str(note_id))
        for src, dst in conn.execute("SELECT src_id, dst_id FROM edges WHERE kind = 'about'").fetchall():
            entity_of.setdefault(str(src), str(dst))
        for note, supersedes in judged.changed:
            conn.execute(
                "UPDATE notes SET status = 'superseded', superseded_by = ?, updated_at = ? WHERE id = ?",
                (by_key[note.key], iso_utc(now), supersedes),
            )
        for i, (note, row) in enumerate(zip(incoming, saved, strict=True)):
            session.check_open()
            if note.archived:
                conn.execute("UPDATE notes SET status = 'archived' WHERE id = ?", (row.id,))
            conn.execute(
                "INSERT INTO import_sources (origin, source_key, sha256, note_id, meta, imported_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (origin, source_key, sha256) DO UPDATE SET "
                "note_id = excluded.note_id, imported_at = excluded.imported_at, learned_at = NULL",
                (
                    plan.origin,
                    note.key,
                    content_hash(note.title, note.body),
                    row.id,
                    json.dumps(
                        {**note.meta, "tags": list(note.tags), "aliases": list(note.aliases)}, default=str
                    ),
                    iso_utc(now),
                ),
            )
            for tag in note.tags:
                conn.execute("INSERT OR IGNORE INTO note_tags (note_id, tag) VALUES (?, ?)", (row.id, tag))
            place = plan.mapping.get(note.group, "none")
            if place in PARA_TYPES and note.entity:
                entity = entities.get(note.entity.lower())
                if entity is None:
                    aliases = note.aliases if note.entity == note.title else ()
                    entity = memory.create_entity(place, note.entity, aliases=tuple(aliases))
                    created += 1
                    entities[entity.name.lower()] = entity
                memory.link_ids(row.id, entity.id, "about")
                entity_of[row.id] = entity.id
            for rel in note.embeds:
                memory.attach(row.id, PurePosixPath(rel).name, files[rel])
                attached += 1
            if progress and (i % 100 == 0 or i == len(incoming) - 1):
                progress("notes", i + 1, len(incoming))
        # [[wikilinks]]: note → note; a link to a PARA item's page also links the note to the item,
        # and the two items to each other (a project's kickoff linking a person's page).
        for note, row in zip(incoming, saved, strict=True):
            session.check_open()
            for target in note.links:
                key = target.lower()
                dst = by_name.get(key) or by_name.get(PurePosixPath(target).stem.lower())
                entity_id = entity_of.get(dst, "") if dst else ""
                if dst is None and key in entities:
                    entity_id = entities[key].id
                if dst is None and not entity_id:
                    unresolved += 1
                    continue
                links += 1
                if dst is not None:
                    memory.link_ids(row.id, dst, "links")
                if entity_id:
                    memory.link_ids(row.id, entity_id, "mentions")
                    own = entity_of.get(row.id)
                    if own and own != entity_id:
                        memory.link_ids(own, entity_id, "related")
    return NotesImportReport(
        origin=plan.origin,
        source=plan.source,
        added=len(judged.new),
        unchanged=judged.unchanged,
        superseded=len(judged.changed),
        duplicates=judged.duplicates,
        near_duplicates=judged.near,
        entities_created=created,
        links=links,
        unresolved_links=unresolved,
        attachments=attached,
        tags=len({t for n in incoming for t in n.tags}),
        skipped=list(plan.skipped),
        seconds=time.perf_counter() - started,
        note_ids=note_ids,
    )


def check_plan(plan: ImportPlan) -> None:
    keys = [n.key for n in plan.notes]
    if len(set(keys)) != len(keys):
        dup = next(k for k in keys if keys.count(k) > 1)
        raise ImportRejected(f"{plan.source}: {dup}", "appears twice in the source")
