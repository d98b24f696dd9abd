"""`engine.memory`: PARA entities, facts, capture, recall, tacit knowledge.

Methods here only open transactions and call the memory modules; the rules live in those modules.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.clock import iso_utc, new_id
from engine.errors import LifeOSError, UsageError
from engine.memory import capture as capture_mod
from engine.memory import entities as entities_mod
from engine.memory import facts as facts_mod
from engine.memory import graph as graph_mod
from engine.memory import notes as notes_mod
from engine.memory import recall as recall_mod
from engine.memory import remember as remember_mod
from engine.memory import summary as summary_mod
from engine.memory import tacit as tacit_mod
from engine.memory import voice as voice_mod
from engine.memory.capture import CaptureResult
from engine.memory.contradiction import LEXICAL, SEMANTIC, Thresholds, infer_category
from engine.memory.decay import tier
from engine.memory.entities import Entity
from engine.memory.facts import Fact, parse_stamp
from engine.memory.notes import Note
from engine.memory.recall import RecallHit
from engine.memory.remember import FactResult, Suggestion
from engine.memory.similarity import Similarity, lexical_similarity
from engine.memory.voice import Attachment, VoiceMemo
from engine.session import Part, guarded
from engine.store.connection import Connection

if TYPE_CHECKING:
    import numpy as np

    from engine.memory.notes_part import Notes
    from engine.session import Session

TACIT_DOC = "tacit_knowledge"
IDLE_PROJECT_DAYS = 60
TOUCH_SHARE = 0.6  # a recalled fact counts as used when it scores at least this share of the best hit


@dataclass(frozen=True)
class EntityPage:
    """Everything the PARA view and `lifeos para show` display for one entity."""

    entity: Entity
    summary_md: str
    active: list[tuple[Fact, str]]  # (fact, tier)
    history: list[Fact]  # replaced and retired facts, oldest first
    neighbours: list[Entity]
    retired_at: dict[str, str] = field(default_factory=dict)  # retired fact id → when (UTC stamp)


@dataclass(frozen=True)
class MemoryItem:
    """Something the coachee told the app, as a chat turn draws on it: a fact or an entity's summary."""

    kind: str  # "fact" or "summary"
    id: str
    text: str
    entity: str | None = None  # the project, area or person it is about
    entity_type: str = ""  # project, area, resource, person… (how to speak of it)
    tier: str = ""
    relevance: float = 0.0  # cosine similarity to the message (0 when unknown)


@dataclass(frozen=True)
class NewFact:
    """A fact to import in bulk (`engine.memory.import_facts`)."""

    content: str
    entity: str | None = None
    category: str | None = None
    source: str = "import"


@dataclass(frozen=True)
class ArchiveProposal:
    entity: Entity
    reason: str


@dataclass(frozen=True)
class SynthesisReport:
    """What the weekly synthesis did: tiers counted, summaries rewritten, archives proposed."""

    tiers: dict[str, int]
    summaries: int
    proposals: list[ArchiveProposal]
    seconds: float


@dataclass(frozen=True)
class IndexReport:
    notes: int
    facts: int
    embedder_id: str | None


def last_activity_of(conn: Connection, entity: Entity) -> datetime:
    """The latest of: the entity's own update, a fact about it, a note that mentions it."""
    row = conn.execute(
        "SELECT max(m) FROM (SELECT ? AS m UNION ALL "
        "SELECT max(f.timestamp) FROM facts f JOIN fact_entities fe ON fe.fact_id = f.id WHERE fe.entity_id = ? "
        "UNION ALL SELECT max(created_at) FROM edges WHERE dst_id = ? AND kind = 'mentions')",
        (entity.updated_at, entity.id, entity.id),
    ).fetchone()
    return parse_stamp(str(row[0]))


@guarded
class Memory(Part):
    def __init__(self, session: Session, notes: Notes) -> None:
        super().__init__(session)
        self._notes = notes

    # -- helpers ---------------------------------------------------------------------------------

    def _similarity(self) -> tuple[Similarity, Thresholds]:
        embedder = self._s.embedder()
        if embedder is None:
            return lexical_similarity, LEXICAL
        from engine.memory.semantic import CosineSimilarity  # numpy: imported once a model is in use

        return CosineSimilarity(embedder), SEMANTIC

    def _fact_indexer(
        self, similarity: Similarity | None = None
    ) -> Callable[[Connection, list[Fact]], None] | None:
        embedder = self._s.embedder()
        if embedder is None:
            return None
        embed = getattr(similarity, "vectors", None)

        def index(conn: Connection, new: list[Fact]) -> None:
            seqs = dict(
                conn.execute(
                    f"SELECT id, seq FROM facts WHERE id IN ({','.join('?' * len(new))})", [f.id for f in new]
                ).fetchall()
            )
            from engine.memory.semantic import write_vectors

            write_vectors(conn, "facts", [(seqs[f.id], f.content) for f in new], embedder, embed)

        return index

    def _refresh_summaries(self, conn: Connection, entity_ids: list[str]) -> None:
        now = self._s.clock()
        for entity_id in dict.fromkeys(entity_ids):
            entity = entities_mod.get(conn, entity_id)
            entities_mod.set_summary(
                conn, entity, summary_mod.render(entity, facts_mod.for_entity(conn, entity_id), now)
            )

    # -- entities --------------------------------------------------------------------------------

    def create_entity(
        self, type_: str, name: str, *, deadline: str | None = None, aliases: tuple[str, ...] = ()
    ) -> Entity:
        db = self._s.db
        with db.atomic() as conn:
            entity = entities_mod.create(
                conn,
                type_,
                name,
                now=self._s.clock(),
                device_id=self._s.device_id,
                deadline=deadline,
                aliases=aliases,
            )
            self._refresh_summaries(conn, [entity.id])
            return entities_mod.get(conn, entity.id)

    def entity(self, name_or_id: str) -> Entity:
        db = self._s.db
        with db.lock:
            return entities_mod.resolve(db.conn, name_or_id)

    def list_entities(self, type_: str | None = None, *, include_archived: bool = False) -> list[Entity]:
        db = self._s.db
        with db.lock:
            return entities_mod.list_entities(db.conn, type_=type_, include_archived=include_archived)

    def rename_entity(self, name_or_id: str, new_name: str) -> Entity:
        return self._entity_change(
            name_or_id, lambda c, e: entities_mod.rename(c, e, new_name, **self._s.stamp())
        )

    def set_deadline(self, name_or_id: str, deadline: str | None) -> Entity:
        return self._entity_change(
            name_or_id, lambda c, e: entities_mod.set_deadline(c, e, deadline, **self._s.stamp())
        )

    def complete_project(self, name_or_id: str) -> Entity:
        return self._entity_change(
            name_or_id, lambda c, e: entities_mod.set_status(c, e, "completed", **self._s.stamp())
        )

    def archive_entity(self, name_or_id: str) -> Entity:
        """Archived items leave the active lists but keep everything and stay searchable."""
        return self._entity_change(
            name_or_id, lambda c, e: entities_mod.set_status(c, e, "archived", **self._s.stamp())
        )

    def restore_entity(self, name_or_id: str) -> Entity:
        return self._entity_change(
            name_or_id, lambda c, e: entities_mod.set_status(c, e, "active", **self._s.stamp())
        )

    def link_entities(self, a: str, b: str, kind: str = "related") -> None:
        db = self._s.db
        with db.atomic() as conn:
            first, second = entities_mod.resolve(conn, a), entities_mod.resolve(conn, b)
            graph_mod.link(conn, first.id, second.id, kind, **self._s.stamp())

    def link_ids(self, src_id: str, dst_id: str, kind: str) -> None:
        """An edge between any two ids (a note and the note or entity it links to: imports)."""
        with self._s.db.atomic() as conn:
            graph_mod.link(conn, src_id, dst_id, kind, **self._s.stamp())

    def attach(self, note_id: str, name: str, data: bytes) -> str:
        """Keep a file with a note (an imported note's embedded image or recording); its id."""
        attachment_id = new_id(self._s.clock())
        given = voice_mod.AudioInput(name, voice_mod.any_mime_of(name), data)
        with self._s.db.atomic() as conn:
            notes_mod.get_note(conn, note_id)
            voice_mod.insert_attachment(conn, attachment_id, note_id, given, **self._s.stamp())
        return attachment_id

    def _entity_change(self, name_or_id: str, change: Callable[[Connection, Entity], Entity]) -> Entity:
        db = self._s.db
        with db.atomic() as conn:
            entity = change(conn, entities_mod.resolve(conn, name_or_id))
            self._refresh_summaries(conn, [entity.id])
            return entities_mod.get(conn, entity.id)

    def entity_page(self, name_or_id: str) -> EntityPage:
        db = self._s.db
        now = self._s.clock()
        with db.lock:
            conn = db.conn
            entity = entities_mod.resolve(conn, name_or_id)
            all_facts = facts_mod.for_entity(conn, entity.id)
            neighbours = [entities_mod.get(conn, n) for n in graph_mod.neighbours(conn, entity.id)]
            retired = {
                f.id: when
                for f in all_facts
                if facts_mod.is_retired(f) and (when := facts_mod.retired_at(conn, f.id))
            }
        active = [(f, str(f.tier(now))) for f in reversed(all_facts) if f.status == "active"]
        history = [f for f in all_facts if f.status == "superseded"]
        return EntityPage(entity, entity.summary_md, active, history, neighbours, retired)

    def graph(self, *, include_archived: bool = True) -> dict[str, Any]:
        db = self._s.db
        with db.lock:
            return graph_mod.view_data(db.conn, include_archived=include_archived)

    def path_between(self, a: str, b: str) -> list[Entity]:
        db = self._s.db
        with db.lock:
            first, second = entities_mod.resolve(db.conn, a), entities_mod.resolve(db.conn, b)
            return [entities_mod.get(db.conn, n) for n in graph_mod.path(db.conn, first.id, second.id)]

    # -- facts -----------------------------------------------------------------------------------

    def add_fact(
        self, text: str, entity: str | None = None, *, category: str | None = None, source: str = "user"
    ) -> FactResult:
        """Remember a fact about `entity` (name or id); duplicates bump, changes supersede."""
        db = self._s.db
        similarity, thresholds = self._similarity()
        index = self._fact_indexer(similarity)
        with db.atomic() as conn:
            entity_ids = [entities_mod.resolve(conn, entity).id] if entity else []
            result = remember_mod.remember(
                conn,
                text,
                entity_ids=entity_ids,
                category=category,
                source=source,
                similarity=similarity,
                thresholds=thresholds,
                index=index,
                **self._s.stamp(),
            )
            self._refresh_summaries(conn, entity_ids)
            return result

    def supersede_fact(self, fact_id: str, text: str) -> FactResult:
        db = self._s.db
        with db.atomic() as conn:
            result = remember_mod.supersede(
                conn, fact_id, text, index=self._fact_indexer(), **self._s.stamp()
            )
            self._refresh_summaries(conn, list(result.fact.related_entities))
            return result

    def retire_fact(self, fact_id: str) -> Fact:
        """The coachee says a fact no longer holds and nothing replaces it: it leaves what stands
        now and stays in the history (DESIGN.md §5: nothing is deleted but by an explicit purge)."""
        db = self._s.db
        with db.atomic() as conn:
            fact = facts_mod.retire(conn, facts_mod.get(conn, fact_id), **self._s.stamp())
            self._refresh_summaries(conn, list(fact.related_entities))
            return fact

    def fact_retired_at(self, fact_id: str) -> str | None:
        """When a retired fact was retired (a UTC stamp), or None if it was not retired."""
        db = self._s.db
        with db.lock:
            return facts_mod.retired_at(db.conn, fact_id)

    def get_fact(self, fact_id: str) -> Fact:
        db = self._s.db
        with db.lock:
            return facts_mod.get(db.conn, fact_id)

    def fact_history(self, fact_id: str) -> list[Fact]:
        """The fact's whole lineage, oldest first (what it replaced and what replaced it)."""
        db = self._s.db
        with db.lock:
            return facts_mod.lineage(db.conn, fact_id)

    def facts_as_of(self, moment: datetime, entity: str | None = None) -> list[Fact]:
        db = self._s.db
        with db.lock:
            entity_id = entities_mod.resolve(db.conn, entity).id if entity else None
            return facts_mod.as_of(db.conn, moment, entity_id=entity_id)

    def suggestions(self) -> list[Suggestion]:
        db = self._s.db
        with db.lock:
            return remember_mod.open_suggestions(db.conn)

    def resolve_suggestion(self, suggestion_id: str, *, accept: bool) -> None:
        db = self._s.db
        with db.atomic() as conn:
            remember_mod.resolve_suggestion(conn, suggestion_id, accept, **self._s.stamp())

    def purge_fact(self, fact_id: str, *, confirm: bool, reason: str = "") -> None:
        """Delete a fact for good (right to deletion). Refused unless `confirm` is True; logged."""
        if confirm is not True:
            raise UsageError("purging deletes a fact for good; confirm it explicitly")
        db = self._s.db
        with db.atomic() as conn:
            fact = facts_mod.get(conn, fact_id)
            facts_mod.purge(conn, fact_id, reason=reason, **self._s.stamp())
            self._refresh_summaries(conn, list(fact.related_entities))

    def purge_log(self) -> list[dict[str, str]]:
        db = self._s.db
        rows = db.query("SELECT purged_at, table_name, row_id, reason FROM purge_log ORDER BY seq")
        return [{"purged_at": r[0], "table": r[1], "id": r[2], "reason": r[3]} for r in rows]

    def import_facts(self, items: list[NewFact]) -> int:
        """Add many facts in one transaction (imports): exact repeats are skipped, vectors come later
        from `refresh_index`, and the semantic checks of `add_fact` are not run."""
        db = self._s.db
        stamp = self._s.stamp()
        added = 0
        with db.atomic() as conn:
            names: dict[str, str] = {}
            seen = {
                (r[0], r[1])
                for r in conn.execute(
                    "SELECT lower(content), related_entities FROM facts WHERE status = 'active'"
                )
            }
            for item in items:
                entity_ids: list[str] = []
                if item.entity:
                    if item.entity not in names:
                        names[item.entity] = entities_mod.resolve(conn, item.entity).id
                    entity_ids = [names[item.entity]]
                key = (" ".join(item.content.split()).lower(), json.dumps(entity_ids))
                if key in seen:
                    continue
                seen.add(key)
                facts_mod.insert(
                    conn,
                    item.content,
                    category=item.category or infer_category(item.content),
                    entity_ids=entity_ids,
                    source=item.source,
                    **stamp,
                )
                added += 1
            self._refresh_summaries(conn, list(names.values()))
        return added

    # -- weekly synthesis ------------------------------------------------------------------------

    def weekly_synthesis(self) -> SynthesisReport:
        """Decay pass, every `summary.md` rewritten, completed or long-idle projects proposed for
        Archives (proposed, not moved: the coachee decides). Role A of the heartbeat."""
        started = time.perf_counter()
        db = self._s.db
        now = self._s.clock()
        tiers = {"hot": 0, "warm": 0, "cold": 0}
        proposals: list[ArchiveProposal] = []
        with db.atomic() as conn:
            for row in conn.execute(
                "SELECT timestamp, last_accessed, access_count, evergreen FROM facts WHERE status = 'active'"
            ):
                last = parse_stamp(row[1] or row[0])
                tiers[str(tier(last, int(row[2]), now, evergreen=bool(row[3])))] += 1
            entities = entities_mod.list_entities(conn)
            self._refresh_summaries(conn, [e.id for e in entities])
            for entity in entities:
                if entity.type != "project":
                    continue
                if entity.status == "completed":
                    proposals.append(ArchiveProposal(entity, "completed"))
                    continue
                last_seen = last_activity_of(conn, entity)
                idle = (now - last_seen).days
                if idle > IDLE_PROJECT_DAYS:
                    proposals.append(ArchiveProposal(entity, f"no activity for {idle} days"))
        return SynthesisReport(tiers, len(entities), proposals, time.perf_counter() - started)

    # -- capture and recall ----------------------------------------------------------------------

    def capture(self, text: str) -> CaptureResult:
        """Quick capture: note + entities + PARA suggestion + facts + links, in one transaction."""
        return self._capture(text, title=None, kind="capture", source="capture")

    def _capture(
        self,
        text: str,
        *,
        title: str | None,
        kind: str,
        source: str,
        also: Callable[[Connection, Note], object] | None = None,
    ) -> CaptureResult:
        """Save a note and learn from it; `also` writes more in the same transaction (a memo's audio)."""
        db = self._s.db
        now = self._s.clock()
        spans = self._entities_in(text, now)
        similarity, thresholds = self._similarity()
        embedder = self._s.embedder()
        with db.atomic() as conn:
            note = notes_mod.insert_note(
                conn, text, title=title, kind=kind, source=source, now=now, device_id=self._s.device_id
            )
            if also is not None:
                also(conn, note)
            result = self._learn(conn, note, spans, now, similarity, thresholds)
            if embedder is not None:
                from engine.memory.semantic import write_vectors

                seq = conn.execute("SELECT seq FROM notes WHERE id = ?", (note.id,)).fetchone()[0]
                embed = getattr(similarity, "vectors", None)
                write_vectors(conn, "notes", [(int(seq), note.body)], embedder, embed)
        return result

    def add_voice_memo(self, audio: Path | str | bytes, *, name: str | None = None) -> VoiceMemo:
        """A spoken capture: transcribe on the device, then save and learn as `capture` does, with
        the original audio kept encrypted beside the note (`note_audio`).

        `audio` is a file path or the file's bytes (then `name`, such as "memo.wav", is required).
        Refused before anything is written: a missing, empty or oversized file, or one longer than
        15 minutes (`UsageError`); one that is not audio (`AudioUnreadable`); one in which no speech
        was heard (`DataError`). Whisper runs in a short-lived child process, so the app's memory
        does not grow by the speech model's.
        """
        started = time.perf_counter()
        self._s.check_open()
        given = voice_mod.read_input(audio, name)
        timings: dict[str, float] = {}
        with voice_mod.on_disk(given) as path:
            t = time.perf_counter()
            voice_mod.check_duration(path)
            timings["probe"] = (time.perf_counter() - t) * 1000
            t = time.perf_counter()
            transcript = self._s.models.transcribe(path)
            timings["transcribe"] = (time.perf_counter() - t) * 1000
        seconds = transcript.duration_s
        text = voice_mod.heard(transcript.text, given.name, seconds)
        attachment_id = new_id(self._s.clock())
        t = time.perf_counter()
        result = self._capture(
            text,
            title=voice_mod.title_for(seconds),
            kind=voice_mod.NOTE_KIND,
            source=voice_mod.NOTE_SOURCE,
            also=lambda conn, note: voice_mod.insert_attachment(
                conn, attachment_id, note.id, given, **self._s.stamp()
            ),
        )
        timings["save"] = (time.perf_counter() - t) * 1000
        timings["total"] = (time.perf_counter() - started) * 1000
        return VoiceMemo(result.note, text, seconds, result, attachment_id, transcript.language, timings)

    def note_audio(self, note_id: str) -> Attachment | None:
        """The recording a voice memo's note was made from (name, mime type, bytes), or None for a
        note without one. `NotFound` when there is no such note."""
        db = self._s.db
        with db.lock:
            notes_mod.get_note(db.conn, note_id)
            return voice_mod.audio_of(db.conn, note_id)

    def learn_from_note(self, note_id: str) -> CaptureResult:
        """What capture does, for a note already saved (the heartbeat's fact extraction)."""
        db = self._s.db
        now = self._s.clock()
        note = self._notes.get(note_id)
        spans = self._entities_in(note.body, now)
        similarity, thresholds = self._similarity()
        with db.atomic() as conn:
            return self._learn(conn, note, spans, now, similarity, thresholds)

    def _learn(
        self,
        conn: Connection,
        note: Note,
        spans: list[Any],
        now: datetime,
        similarity: Similarity,
        thresholds: Thresholds,
    ) -> CaptureResult:
        result = capture_mod.extract(
            conn,
            note,
            spans,
            now=now,
            device_id=self._s.device_id,
            similarity=similarity,
            thresholds=thresholds,
            index=self._fact_indexer(similarity),
        )
        touched = [m.entity_id for m in result.mentions if m.entity_id]
        touched += [e for r in result.facts for e in r.fact.related_entities]
        self._refresh_summaries(conn, touched)
        return result

    def _entities_in(self, text: str, now: datetime) -> list[Any]:
        """NER when its model is available; otherwise the markup and date rules alone."""
        try:
            return list(self._s.models.ner.extract(text, today=now.date()))
        except LifeOSError:
            from engine.inference.ner import merge

            return merge(text, now.date(), [])

    def recall(self, query: str, *, as_of: datetime | None = None, limit: int = 10) -> list[RecallHit]:
        """Hybrid search over the coachee's facts and notes; reading a fact counts as using it."""
        if not query.strip():
            raise UsageError("recall needs a question or some words")
        if limit < 1:
            raise UsageError("limit must be at least 1")
        db = self._s.db
        embedder = self._s.embedder()
        from engine.retrieval.pipeline import query_vector  # cached: a re-asked question costs nothing

        vector = query_vector(embedder, query) if embedder is not None else None
        now = self._s.clock()
        with db.atomic() as conn:
            hits = recall_mod.recall(
                conn,
                query,
                now=now,
                query_vector=vector,
                embedder_id=embedder.embedder_id if embedder else None,
                as_of=as_of,
                limit=limit,
            )
            if as_of is None and hits:
                # Only clear matches count as use; a long tail of weak neighbours must not be kept warm.
                floor = TOUCH_SHARE * hits[0].score
                facts_mod.touch(conn, [h.id for h in hits if h.kind == "fact" and h.score >= floor], now=now)
        return hits

    def refresh_index(
        self,
        *,
        batch: int = 64,
        limit: int | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> IndexReport:
        """Embed notes and facts that have no vector yet (imports, a change of model).

        Stops with `ProfileLocked` between batches when the profile is being locked; what was
        committed stays, and the next refresh carries on from there."""
        embedder = self._s.embedder()
        if embedder is None:
            return IndexReport(0, 0, None)
        db = self._s.db
        done = {"notes": 0, "facts": 0}
        import numpy as np

        from engine.memory.semantic import missing_rows, write_vectors
        from engine.retrieval import vectors

        for table, text_sql in (("notes", "title || '\n' || body"), ("facts", "content")):
            with db.atomic() as conn:
                if vectors.space(conn, table) not in (None, embedder.embedder_id):
                    vectors.reset_space(conn, table, embedder.embedder_id)
                total = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            while limit is None or done[table] < limit:
                self._s.check_open()  # a safe point: a waiting lock stops the refresh here
                step = batch if limit is None else min(batch, limit - done[table])
                with db.lock:
                    rows = missing_rows(db.conn, table, text_sql, step)
                if not rows:
                    break
                # Embed outside the database lock: this takes seconds per batch, and the app's
                # own calls (running beside the in-app heartbeat) must not wait for it.
                matrix = embedder.embed_batch([text for _, text in rows], kind="document")
                by_text = {text: vector for (_, text), vector in zip(rows, matrix, strict=True)}
                with db.atomic() as conn:
                    done[table] += write_vectors(
                        conn, table, rows, embedder, lambda texts, m=by_text: np.stack([m[t] for t in texts])
                    )
                if progress:
                    progress(done["notes"] + done["facts"], total)
        return IndexReport(done["notes"], done["facts"], embedder.embedder_id)

    # -- for a chat turn and the heartbeat ---------------------------------------------------------

    def for_message(
        self,
        message: str,
        vector: np.ndarray | None,
        embedder_id: str | None,
        *,
        hits: int,
        summaries: int,
    ) -> list[MemoryItem]:
        """Recalled facts (with their similarity to the message) and the Hot/Warm summaries of the
        entities they are about plus the most recently active projects. Nothing is touched here:
        only the facts a reply actually uses get their access bumped (`mark_used`)."""
        db = self._s.db
        now = self._s.clock()
        with db.lock:
            conn = db.conn
            found = recall_mod.recall(
                conn, message, now=now, query_vector=vector, embedder_id=embedder_id, limit=hits
            )
            facts = [h for h in found if h.kind == "fact" and h.fact is not None]
            similarity = semantic_similarities(conn, [h.id for h in facts], vector, embedder_id)
            items: list[MemoryItem] = []
            entity_ids: list[str] = []
            known: dict[str, Entity] = {}  # each entity read once per turn
            for h in facts:
                assert h.fact is not None
                first = h.fact.related_entities[:1]
                for entity_id in first:
                    if entity_id not in known:
                        known[entity_id] = entities_mod.get(conn, entity_id)
                entity_ids.extend(first)
                about = known[first[0]] if first else None
                items.append(
                    MemoryItem(
                        "fact",
                        h.id,
                        h.text,
                        about.name if about else None,
                        about.type if about else "",
                        h.tier,
                        similarity.get(h.id, 0.0),
                    )
                )
            words = _words(message)
            projects = entities_mod.list_entities(conn, type_="project")
            projects.sort(key=lambda e: e.updated_at, reverse=True)
            for project in projects:
                known.setdefault(project.id, project)
            mentioned = [e.id for e in projects if _words(e.name) & words]
            out: list[MemoryItem] = []
            for entity_id in dict.fromkeys([*entity_ids, *mentioned, *(e.id for e in projects[:summaries])]):
                entity = known[entity_id]
                if entity.summary_md.strip() and len(out) < summaries + 2:
                    out.append(
                        MemoryItem("summary", entity.id, entity.summary_md.strip(), entity.name, entity.type)
                    )
        return items + out

    def mark_used(self, fact_ids: list[str]) -> None:
        """The facts a reply drew on count as used (their decay clock slows)."""
        if fact_ids:
            with self._s.db.atomic() as conn:
                facts_mod.touch(conn, fact_ids, now=self._s.clock())

    def activity(self) -> list[tuple[Entity, datetime]]:
        """Every project and area with when it was last active (the heartbeat's check-in rules)."""
        db = self._s.db
        with db.lock:
            return [
                (e, last_activity_of(db.conn, e))
                for e in entities_mod.list_entities(db.conn)
                if e.type in ("project", "area")
            ]

    def prune_orphan_edges(self) -> int:
        """Drop graph edges whose ends are gone (the heartbeat's index refresh)."""
        with self._s.db.atomic() as conn:
            return graph_mod.prune_orphans(conn)

    # -- tacit knowledge -------------------------------------------------------------------------

    def tacit_knowledge(self) -> str:
        """The coachee's patterns as Markdown, re-learned from their writing."""
        db = self._s.db
        now = self._s.clock()
        with db.atomic() as conn:
            stamps = [
                r[0]
                for r in conn.execute(
                    "SELECT created_at FROM notes WHERE source NOT IN ('import', 'heartbeat')"
                )
            ]
            tz = now.tzinfo
            moments = [parse_stamp(s).astimezone(tz) for s in stamps]
            preferences = [
                r[0]
                for r in conn.execute(
                    "SELECT content FROM facts WHERE status = 'active' AND category = 'preference' ORDER BY seq"
                )
            ]
            body = tacit_mod.render(tacit_mod.active_hours(moments), preferences, len(moments), now)
            conn.execute(
                "INSERT INTO documents (name, body, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
                (TACIT_DOC, body, iso_utc(now)),
            )
        return body

    def active_hours(self) -> list[tacit_mod.HourWindow]:
        db = self._s.db
        row = db.query_one("SELECT body FROM documents WHERE name = ?", (TACIT_DOC,))
        return tacit_mod.parse_windows(row[0] if row else self.tacit_knowledge())


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2}


def semantic_similarities(
    conn: Connection, fact_ids: list[str], vector: np.ndarray | None, embedder_id: str | None
) -> dict[str, float]:
    """Cosine similarity of the message to each fact, from the facts' stored vectors (no model call)."""
    if vector is None or embedder_id is None or not fact_ids:
        return {}
    from engine.retrieval import vectors as vectors_mod

    rows = conn.execute(
        f"SELECT id, seq FROM facts WHERE id IN ({','.join('?' * len(fact_ids))})", fact_ids
    ).fetchall()
    seqs = {int(seq): str(fid) for fid, seq in rows}
    try:
        sims = vectors_mod.similarities(conn, "facts", vector, list(seqs), embedder_id)
    except LifeOSError:
        return {}
    return {seqs[s]: v for s, v in sims.items()}
