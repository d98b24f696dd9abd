"""The chat part of the `Engine` facade: one conversation per coach, a turn, the reasoner settings.

A turn: retrieve the coach's passages and the coachee's memory (two scopes, merged only here), fit
them with the persona and the recent turns into the token budget, ask the reasoner (running any
tools it calls), fall back to the offline `grounded` reasoner when the configured one cannot answer,
and write the turn back: to the conversation, to the day's notes (kind 'chat'), and as access bumps
on the facts the reply used.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.chat import context as context_mod
from engine.chat import reasoners as reasoners_mod
from engine.chat import tools as tools_mod
from engine.chat.context import ChatContext, ContextPassage, MemoryItem
from engine.chat.grounded import GroundedReasoner, content_words
from engine.chat.reasoners import Reasoner, ReasonerUnavailable, ReplyRequest, TextDelta, ToolCall
from engine.clock import iso_utc, new_id
from engine.coaches.builder import split_front_matter
from engine.errors import LifeOSError, NotFound, UsageError
from engine.memory import entities as entities_mod
from engine.memory import facts as facts_mod
from engine.memory import recall as recall_mod
from engine.retrieval import pipeline as pipeline_mod
from engine.retrieval import vectors as vectors_mod
from engine.store.outbox import record_change

if TYPE_CHECKING:
    import numpy as np

    from engine.clock import Clock
    from engine.coaches.install import Coach
    from engine.inference.base import Embedder
    from engine.memory.entities import Entity
    from engine.memory.recall import RecallHit
    from engine.retrieval.knowledge import KnowledgeResults
    from engine.store.database import Database

SETTINGS_KEY = "chat.reasoner"
API_KEY_KEY = "chat.api_key"
PASSAGES = 6
MEMORY_HITS = 6
MAX_TOOL_ROUNDS = 3
SUMMARY_ENTITIES = 3
OnText = Callable[[str], None]


@dataclass(frozen=True)
class Citation:
    ref: str
    title: str
    author: str
    text: str


@dataclass(frozen=True)
class ChatReply:
    conversation_id: str
    coach_id: str
    text: str
    citations: list[Citation]
    reasoner: str  # who wrote the reply that was kept
    fallback_from: str | None = None  # the reasoner that failed, when the reply fell back
    notice: str | None = None  # said to the coachee about the fallback
    memory_used: list[str] = field(default_factory=list)  # fact ids
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    context_tokens: int = 0


@dataclass(frozen=True)
class ChatMessage:
    id: str
    role: str
    content: str
    created_at: str
    meta: dict[str, Any]


def conversation_id(coach_id: str) -> str:
    """One conversation per coach (the issue's model); stable, so an update of the coach keeps it."""
    return f"coach:{coach_id}"


class ChatApi:
    """Mixed into `Engine`; relies on the coaches, memory and retrieval parts of the facade."""

    clock: Clock
    device_id: str
    use_embedder: bool
    _require_open: Callable[[], Database]
    _knowledge_embedder: Callable[[], Embedder | None]
    coach: Callable[[str], Coach]
    search_knowledge: Callable[..., KnowledgeResults]
    recall: Callable[..., list[RecallHit]]
    add_fact: Callable[..., Any]
    list_entities: Callable[..., list[Entity]]
    add_note: Callable[..., Any]

    # -- settings ----------------------------------------------------------------------------------

    def reasoner_settings(self) -> dict[str, Any]:
        """The configured reasoner (default `grounded`), without the API key itself."""
        db = self._require_open()
        settings = _stored_settings(db)
        stored = db.query_one("SELECT 1 FROM meta WHERE key = ?", (API_KEY_KEY,)) is not None
        settings["api_key"] = (
            "environment" if os.environ.get("LIFEOS_API_KEY") else "profile" if stored else "none"
        )
        settings["available"] = reasoners_mod.names()
        return settings

    def set_reasoner(
        self,
        name: str,
        *,
        base_url: str | None = None,
        model: str | None = None,
        timeout: float | None = None,
        api_key: str | None = None,
    ) -> dict[str, Any]:
        """Choose the reasoner. An API key is kept in the encrypted profile (LIFEOS_API_KEY wins)."""
        if name not in reasoners_mod.names():
            raise UsageError(f"unknown reasoner {name!r}; one of: {', '.join(reasoners_mod.names())}")
        db = self._require_open()
        settings = _stored_settings(db)
        settings["name"] = name
        for key, value in (("base_url", base_url), ("model", model), ("timeout", timeout)):
            if value is not None:
                settings[key] = value
        if name == "openai" and not (settings.get("base_url") and settings.get("model")):
            raise UsageError("the openai reasoner needs --base-url and --model")
        with db.atomic() as conn:
            _put_meta(conn, SETTINGS_KEY, json.dumps(settings))
            if api_key is not None:
                if api_key:
                    _put_meta(conn, API_KEY_KEY, api_key)
                else:
                    conn.execute("DELETE FROM meta WHERE key = ?", (API_KEY_KEY,))
        return self.reasoner_settings()

    def make_reasoner(self, name: str | None = None, **overrides: Any) -> Reasoner:
        """The configured reasoner (or `name`), with its stored settings and key; `overrides` (such as
        `transport=`) go to its factory."""
        db = self._require_open()
        settings = _stored_settings(db)
        chosen = name or str(settings.get("name", "grounded"))
        key = db.query_one("SELECT value FROM meta WHERE key = ?", (API_KEY_KEY,))
        if key is not None:
            settings["api_key"] = str(key[0])
        settings.update(overrides)
        return reasoners_mod.create(chosen, settings)

    # -- conversation ------------------------------------------------------------------------------

    def conversation(self, coach_id: str, limit: int = 200) -> list[ChatMessage]:
        db = self._require_open()
        rows = db.query(
            "SELECT id, role, content, created_at, meta FROM messages WHERE conversation_id = ? "
            "ORDER BY seq DESC LIMIT ?",
            (conversation_id(coach_id), limit),
        )
        return [ChatMessage(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in reversed(rows)]

    def chat(
        self,
        coach_id: str,
        message: str,
        *,
        reasoner: Reasoner | str | None = None,
        on_text: OnText | None = None,
        budget: int = context_mod.DEFAULT_BUDGET,
    ) -> ChatReply:
        """One turn with a coach. `on_text` receives the reply as it streams."""
        if not message.strip():
            raise UsageError("say something to the coach first")
        left = self.preview_messages_left(coach_id)  # type: ignore[attr-defined]  (coaches mixin)
        if left == 0:
            raise UsageError(
                f"that was the last free preview message with {coach_id}; install the coach to keep talking"
            )
        started = time.perf_counter()
        timings: dict[str, float] = {}
        coach = self.coach(coach_id)
        history = [
            {"role": m.role, "content": m.content}
            for m in self.conversation(coach_id, 2 * context_mod.MAX_TURNS)
        ]
        ctx, fact_ids = self._context(coach, message, history, budget, timings)
        engine_reasoner = reasoner if isinstance(reasoner, Reasoner) else self.make_reasoner(reasoner)
        emit = on_text or (lambda _text: None)
        tool_log: list[dict[str, Any]] = []
        notice: str | None = None
        fallback_from: str | None = None
        t0 = time.perf_counter()
        try:
            text, tool_refs = self._run(engine_reasoner, ctx, coach_id, emit, tool_log, timings, t0)
            used_reasoner = engine_reasoner
        except ReasonerUnavailable as exc:
            if engine_reasoner.offline:
                raise
            fallback_from = engine_reasoner.name
            notice = f"Offline reply: {exc}. This answer comes from the coach's books on this device."
            emit(f"\n\n[{notice}]\n\n")
            used_reasoner = GroundedReasoner()
            text, tool_refs = self._run(
                used_reasoner, ctx, coach_id, emit, tool_log, timings, time.perf_counter()
            )
        finally:
            if engine_reasoner is not reasoner:
                engine_reasoner.close()
        timings["reply"] = (time.perf_counter() - t0) * 1000
        citations, used_facts = self._citations(coach, ctx, used_reasoner, text, tool_refs, fact_ids)
        reply = ChatReply(
            conversation_id(coach_id),
            coach_id,
            text,
            citations,
            used_reasoner.name,
            fallback_from,
            notice,
            used_facts,
            tool_log,
            timings,
            ctx.tokens,
        )
        self._write_back(coach, message, reply)
        timings["total"] = (time.perf_counter() - started) * 1000
        return reply

    def knowledge_passage(self, coach_id: str, ref: str) -> Citation:
        """The passage a reply cited, by the ref kept in its message's meta (`meta["citations"]`).

        Replies store only refs, so that a conversation does not copy a coach's books; this opens a
        source of an earlier reply again. `NotFound` for an unknown coach or a ref it does not hold
        (say, one dropped by an update of the coach).
        """
        coach = self.coach(coach_id)
        db = self._require_open()
        row = db.query_one(
            "SELECT title, text FROM chunks WHERE coach_id = ? AND json_extract(meta, '$.ref') = ? "
            "ORDER BY seq LIMIT 1",
            (coach.id, ref),
        )
        if row is None:
            raise NotFound(f"{coach.name} has no passage {ref!r} (its knowledge may have changed)")
        return Citation(ref, str(row[0]), _author(coach, ref), str(row[1]))

    # -- internals ---------------------------------------------------------------------------------

    def _run(
        self,
        reasoner: Reasoner,
        ctx: ChatContext,
        coach_id: str,
        emit: OnText,
        tool_log: list[dict[str, Any]],
        timings: dict[str, float],
        t0: float,
    ) -> tuple[str, list[str]]:
        """Ask, run the tools the reasoner calls, ask again (at most MAX_TOOL_ROUNDS rounds)."""
        messages = context_mod.to_messages(ctx)
        tool_refs: list[str] = []
        parts: list[str] = []
        for _ in range(MAX_TOOL_ROUNDS + 1):
            calls: list[ToolCall] = []
            round_text: list[str] = []
            request = ReplyRequest(messages, ctx, [] if reasoner.offline else tools_mod.SPECS)
            for event in reasoner.reply(request):
                if isinstance(event, TextDelta):
                    if "first_token" not in timings:
                        timings["first_token"] = (time.perf_counter() - t0) * 1000
                    round_text.append(event.text)
                    emit(event.text)
                else:
                    calls.append(event)
            parts.extend(round_text)
            if not calls:
                break
            messages.append(
                {
                    "role": "assistant",
                    "content": "".join(round_text) or None,
                    "tool_calls": [
                        {
                            "id": c.id,
                            "type": "function",
                            "function": {"name": c.name, "arguments": json.dumps(c.arguments)},
                        }
                        for c in calls
                    ],
                }
            )
            for call in calls:
                result, refs = tools_mod.run(self, coach_id, call.name, call.arguments)  # type: ignore[arg-type]
                tool_refs.extend(refs)
                tool_log.append(
                    {"name": call.name, "arguments": call.arguments, "result": json.loads(result)}
                )
                messages.append({"role": "tool", "tool_call_id": call.id, "content": result})
        return "".join(parts).strip(), tool_refs

    def _context(
        self,
        coach: Coach,
        message: str,
        history: list[dict[str, str]],
        budget: int,
        timings: dict[str, float],
    ) -> tuple[ChatContext, list[str]]:
        voice, persona = split_front_matter(coach.soul)
        t = time.perf_counter()
        found = self.search_knowledge(coach.id, message, limit=PASSAGES)
        timings["knowledge"] = (time.perf_counter() - t) * 1000
        passages = [
            ContextPassage(h.ref, h.title, h.text, _author(coach, h.ref), h.score) for h in found.hits
        ]
        t = time.perf_counter()
        memory = self._memory(message)
        timings["memory"] = (time.perf_counter() - t) * 1000
        ctx = ChatContext(coach.id, coach.name, persona, voice, coach.agent, message)
        context_mod.fit(ctx, passages, memory, history, budget)
        return ctx, [m.id for m in ctx.memory if m.kind == "fact"]

    def _memory(self, message: str) -> list[MemoryItem]:
        """Recalled facts (with their similarity to the message) and the Hot/Warm summaries of the
        entities they are about plus the most recently active projects. Nothing is touched here:
        only the facts a reply actually uses get their access bumped (`_write_back`)."""
        db = self._require_open()
        embedder = self._knowledge_embedder()
        vector = pipeline_mod.query_vector(embedder, message) if embedder is not None else None
        now = self.clock()
        with db.lock:
            conn = db.conn
            hits = recall_mod.recall(
                conn,
                message,
                now=now,
                query_vector=vector,
                embedder_id=embedder.embedder_id if embedder else None,
                limit=MEMORY_HITS,
            )
            facts = [h for h in hits if h.kind == "fact" and h.fact is not None]
            similarity = _fact_similarity(
                conn, [h.id for h in facts], vector, embedder.embedder_id if embedder else None
            )
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
                items.append(
                    MemoryItem(
                        "fact",
                        h.id,
                        h.text,
                        known[first[0]].name if first else None,
                        h.tier,
                        similarity.get(h.id, 0.0),
                    )
                )
            words = content_words(message)
            projects = entities_mod.list_entities(conn, type_="project")
            projects.sort(key=lambda e: e.updated_at, reverse=True)
            for project in projects:
                known.setdefault(project.id, project)
            mentioned = [e.id for e in projects if content_words(e.name) & words]
            summaries: list[MemoryItem] = []
            for entity_id in dict.fromkeys(
                [*entity_ids, *mentioned, *(e.id for e in projects[:SUMMARY_ENTITIES])]
            ):
                entity = known[entity_id]
                if entity.summary_md.strip() and len(summaries) < SUMMARY_ENTITIES + 2:
                    summaries.append(MemoryItem("summary", entity.id, entity.summary_md.strip(), entity.name))
        return items + summaries

    def _citations(
        self,
        coach: Coach,
        ctx: ChatContext,
        reasoner: Reasoner,
        text: str,
        tool_refs: list[str],
        fact_ids: list[str],
    ) -> tuple[list[Citation], list[str]]:
        """The passages the reply cites (by the [id] marks in its text), and the facts it used."""
        by_ref = {p.ref: p for p in ctx.passages}
        if isinstance(reasoner, GroundedReasoner):
            cited = [p.ref for p in reasoner.last_citations]
            used = [reasoner.last_memory.id] if reasoner.last_memory is not None else []
        else:
            marks = re.findall(r"\[([A-Za-z0-9][\w.-]*)\]", text)
            known = set(by_ref) | set(tool_refs)
            cited = [r for r in dict.fromkeys(marks) if r in known]
            used = fact_ids  # a model saw them all; each counts as used
        missing = [r for r in cited if r not in by_ref]
        if missing:
            for hit in self.search_knowledge(coach.id, " ".join(missing), method="bm25", limit=20).hits:
                if hit.ref in missing:
                    by_ref[hit.ref] = ContextPassage(
                        hit.ref, hit.title, hit.text, _author(coach, hit.ref), hit.score
                    )
        citations = [
            Citation(r, by_ref[r].title, by_ref[r].author, by_ref[r].text) for r in cited if r in by_ref
        ]
        return citations, used

    def _write_back(self, coach: Coach, message: str, reply: ChatReply) -> None:
        db = self._require_open()
        now = self.clock()
        stamp = iso_utc(now)
        meta = {
            "reasoner": reply.reasoner,
            "citations": [c.ref for c in reply.citations],
            "memory_used": reply.memory_used,
            "fallback_from": reply.fallback_from,
            "tools": [c["name"] for c in reply.tool_calls],
        }
        with db.atomic() as conn:
            for role, content, data in (("user", message, {}), ("assistant", reply.text, meta)):
                message_id = new_id()
                conn.execute(
                    "INSERT INTO messages (id, conversation_id, coach_id, role, content, meta, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (message_id, reply.conversation_id, coach.id, role, content, json.dumps(data), stamp),
                )
                record_change(conn, "messages", message_id, "insert", self.device_id, now)
            facts_mod.touch(conn, reply.memory_used, now=now)
        cites = ", ".join(c.ref for c in reply.citations)
        body = f"**You:** {message}\n\n**{coach.name}:** {reply.text}"
        if cites:
            body += f"\n\n_Sources: {cites}_"
        self.add_note(body, title=f"Chat with {coach.name}", kind="chat", source=f"coach:{coach.id}")


def _stored_settings(db: Database) -> dict[str, Any]:
    """The stored reasoner settings (no key), `grounded` when none were chosen."""
    row = db.query_one("SELECT value FROM meta WHERE key = ?", (SETTINGS_KEY,))
    settings: dict[str, Any] = json.loads(row[0]) if row else {"name": "grounded"}
    return settings


def _put_meta(conn: Any, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def _author(coach: Coach, ref: str) -> str:
    for source in coach.manifest.sources:
        if source.covers(ref):
            return source.author
    return ""


def _fact_similarity(
    conn: Any, fact_ids: list[str], vector: np.ndarray | None, embedder_id: str | None
) -> dict[str, float]:
    """Cosine similarity of the message to each fact, from the facts' stored vectors (no model call)."""
    if vector is None or embedder_id is None or not fact_ids:
        return {}
    rows = conn.execute(
        f"SELECT id, seq FROM facts WHERE id IN ({','.join('?' * len(fact_ids))})", fact_ids
    ).fetchall()
    seqs = {int(seq): str(fid) for fid, seq in rows}
    try:
        sims = vectors_mod.similarities(conn, "facts", vector, list(seqs), embedder_id)
    except LifeOSError:
        return {}
    return {seqs[s]: v for s, v in sims.items()}
