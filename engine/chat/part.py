"""`engine.chat`: one conversation per coach, a turn, the reasoner settings.

A turn: retrieve the coach's passages and the coachee's memory (two scopes, merged only here), fit
them with the persona and the recent turns into the token budget, ask the reasoner (running any
tools it calls), fall back to the offline `grounded` reasoner when the configured one cannot answer,
and write the turn back: to the conversation, to the day's notes (kind 'chat'), and as access bumps
on the facts the reply used.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.chat import context as context_mod
from engine.chat import moves as moves_mod
from engine.chat import quotes as quotes_mod
from engine.chat import reasoners as reasoners_mod
from engine.chat import tools as tools_mod
from engine.chat.context import ChatContext, ContextPassage, MemoryItem, ScoredMove
from engine.chat.grounded import GroundedReasoner, content_words
from engine.chat.intent import detect_intent
from engine.chat.reasoners import Citations, MemoryUsed, Reasoner, ReplyRequest, TextDelta, ToolCall
from engine.clock import iso_utc, new_id
from engine.errors import NotFound, ReasonerUnavailable, UsageError
from engine.retrieval import pipeline as pipeline_mod
from engine.retrieval.chunking import split_sentences
from engine.session import Part, guarded
from engine.settings import Setting, json_setting

if TYPE_CHECKING:
    from engine.coaches.install import Coach
    from engine.coaches.part import Coaches
    from engine.memory.notes_part import Notes
    from engine.memory.part import Memory
    from engine.retrieval.part import Knowledge
    from engine.session import Session
    from engine.settings import Settings
    from engine.training.part import Training

REASONER: Setting[dict[str, Any]] = json_setting("chat.reasoner", {"name": "grounded"})
API_KEY: Setting[str | None] = Setting("chat.api_key", None)
PASSAGES = 6
MEMORY_HITS = 6
MAX_TOOL_ROUNDS = 3
MAX_TOOL_CALLS = 12
"""Tool calls in one turn, all rounds together; past it a call is answered with an error, not run."""
MAX_TIMEOUT_S = 3600.0
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


@dataclass
class _Turn:
    """What one reasoner run streamed, gathered from its events."""

    parts: list[str] = field(default_factory=list)
    cited: list[str] = field(default_factory=list)
    memory_used: list[str] = field(default_factory=list)
    tool_refs: list[str] = field(default_factory=list)
    host: tools_mod.ToolHost | None = None  # its pending writes are stored with the reply


@guarded
class Chat(Part):
    """A turn draws on the coaches, knowledge, memory and notes parts, which it receives."""

    def __init__(
        self,
        session: Session,
        *,
        coaches: Coaches,
        knowledge: Knowledge,
        memory: Memory,
        notes: Notes,
        settings: Settings,
        training: Training | None = None,
    ) -> None:
        super().__init__(session)
        self._training = training
        self._coaches = coaches
        self._knowledge = knowledge
        self._memory_part = memory
        self._notes = notes
        self._settings = settings

    # -- settings ----------------------------------------------------------------------------------

    def reasoner_settings(self) -> dict[str, Any]:
        """The configured reasoner (default `grounded`), without the API key itself."""
        settings = dict(self._settings.get(REASONER))
        stored = self._settings.is_set(API_KEY)
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
        if timeout is not None and not 0 < timeout <= MAX_TIMEOUT_S:  # also refuses nan
            raise UsageError(f"timeout must be more than 0 and at most {MAX_TIMEOUT_S:g} seconds")
        settings = dict(self._settings.get(REASONER))
        settings["name"] = name
        for key, value in (("base_url", base_url), ("model", model), ("timeout", timeout)):
            if value is not None:
                settings[key] = value
        if name == "openai" and not (settings.get("base_url") and settings.get("model")):
            raise UsageError("the openai reasoner needs --base-url and --model")
        with self._s.db.atomic():  # the choice and its key change together
            self._settings.set(REASONER, settings)
            if api_key is not None:
                self._settings.set(API_KEY, api_key or None)
        return self.reasoner_settings()

    def make_reasoner(self, name: str | None = None, **overrides: Any) -> Reasoner:
        """The configured reasoner (or `name`), with its stored settings and key; `overrides` (such as
        `transport=`) go to its factory."""
        settings = dict(self._settings.get(REASONER))
        chosen = name or str(settings.get("name", "grounded"))
        key = self._settings.get(API_KEY)
        if key is not None:
            settings["api_key"] = key
        settings.update(overrides)
        return reasoners_mod.create(chosen, settings)

    # -- conversation ------------------------------------------------------------------------------

    def conversation(self, coach_id: str, limit: int = 200) -> list[ChatMessage]:
        db = self._s.db
        rows = db.query(
            "SELECT id, role, content, created_at, meta FROM messages WHERE conversation_id = ? "
            "ORDER BY seq DESC LIMIT ?",
            (conversation_id(coach_id), limit),
        )
        return [ChatMessage(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in reversed(rows)]

    def send(
        self,
        coach_id: str,
        message: str,
        *,
        reasoner: Reasoner | str | None = None,
        on_text: OnText | None = None,
        budget: int = context_mod.DEFAULT_BUDGET,
        history: Sequence[tuple[str, str]] | None = None,
        record: bool = True,
    ) -> ChatReply:
        """One turn with a coach. `on_text` receives the reply as it streams.

        `history` ((role, text) pairs, oldest first) replaces the stored conversation, and
        `record=False` writes nothing back: a reply as it would be, for evaluations and previews."""
        if not message.strip():
            raise UsageError("say something to the coach first")
        left = self._coaches.preview_messages_left(coach_id)
        if left == 0:
            raise UsageError(
                f"that was the last free preview message with {coach_id}; install the coach to keep talking"
            )
        started = time.perf_counter()
        timings: dict[str, float] = {}
        coach = self._coaches.get(coach_id)
        turns = (
            [{"role": role, "content": text} for role, text in history]
            if history is not None
            else [
                {"role": m.role, "content": m.content}
                for m in self.conversation(coach_id, 2 * context_mod.MAX_TURNS)
            ]
        )
        ctx, fact_ids = self._context(coach, message, turns, budget, timings)
        self._s.check_open()  # a safe point: a lock waiting now stops the turn before the reply
        engine_reasoner = reasoner if isinstance(reasoner, Reasoner) else self.make_reasoner(reasoner)
        emit = on_text or (lambda _text: None)
        tool_log: list[dict[str, Any]] = []
        notice: str | None = None
        fallback_from: str | None = None
        t0 = time.perf_counter()
        try:
            turn = self._run(engine_reasoner, ctx, coach_id, emit, tool_log, timings, t0)
            used_reasoner = engine_reasoner
        except ReasonerUnavailable as exc:
            if engine_reasoner.offline:
                raise
            fallback_from = engine_reasoner.name
            notice = f"Offline reply: {exc}. This answer comes from the coach's books on this device."
            emit(f"\n\n[{notice}]\n\n")
            used_reasoner = GroundedReasoner()
            turn = self._run(used_reasoner, ctx, coach_id, emit, tool_log, timings, time.perf_counter())
        finally:
            if engine_reasoner is not reasoner:
                engine_reasoner.close()
        timings["reply"] = (time.perf_counter() - t0) * 1000
        text = "".join(turn.parts).strip()
        citations = self._citations(coach, ctx, turn)
        in_context = set(fact_ids)
        used_facts = [f for f in dict.fromkeys(turn.memory_used) if f in in_context]
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
        if record:
            self._write_back(coach, message, reply, turn.host.pending_facts if turn.host else [])
        timings["total"] = (time.perf_counter() - started) * 1000
        return reply

    def passage(self, coach_id: str, ref: str) -> Citation:
        """The passage a reply cited, by the ref kept in its message's meta (`meta["citations"]`).

        Replies store only refs, so that a conversation does not copy a coach's books; this opens a
        source of an earlier reply again. `NotFound` for an unknown coach or a ref it does not hold
        (say, one dropped by an update of the coach).
        """
        coach = self._coaches.get(coach_id)
        db = self._s.db
        row = db.query_one(
            "SELECT title, text FROM chunks WHERE coach_id = ? AND json_extract(meta, '$.ref') = ? "
            "ORDER BY seq LIMIT 1",
            (coach.id, ref),
        )
        if row is None:
            raise NotFound(f"{coach.name} has no passage {ref!r} (its knowledge may have changed)")
        return Citation(ref, str(row[0]), _author(coach, ref), str(row[1]))

    # -- internals ---------------------------------------------------------------------------------

    def _tool_host(self) -> tools_mod.ToolHost:
        return tools_mod.ToolHost(
            self._knowledge, self._memory_part, lambda: self._s.clock().date(), self._training
        )

    def _run(
        self,
        reasoner: Reasoner,
        ctx: ChatContext,
        coach_id: str,
        emit: OnText,
        tool_log: list[dict[str, Any]],
        timings: dict[str, float],
        t0: float,
    ) -> _Turn:
        """Ask, run the tools the reasoner calls, ask again (at most MAX_TOOL_ROUNDS rounds and
        MAX_TOOL_CALLS calls). A reasoner that never says anything (only calls tools, or sends an
        empty reply) is unavailable for this turn, so the turn falls back instead of storing nothing."""
        messages = context_mod.to_messages(ctx)
        turn = _Turn()
        host = turn.host = self._tool_host()
        calls_made = 0
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
                elif isinstance(event, Citations):
                    turn.cited.extend(event.refs)
                elif isinstance(event, MemoryUsed):
                    turn.memory_used.extend(event.fact_ids)
                else:
                    calls.append(event)
            turn.parts.extend(round_text)
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
                calls_made += 1
                if calls_made > MAX_TOOL_CALLS:
                    result, refs = (
                        json.dumps({"error": f"more than {MAX_TOOL_CALLS} tool calls in one reply"}),
                        [],
                    )
                else:
                    result, refs = tools_mod.run(host, coach_id, call.name, call.arguments)
                turn.tool_refs.extend(refs)
                tool_log.append(
                    {"name": call.name, "arguments": call.arguments, "result": json.loads(result)}
                )
                messages.append({"role": "tool", "tool_call_id": call.id, "content": result})
        if not reasoner.offline and not "".join(turn.parts).strip():
            raise ReasonerUnavailable(f"{reasoner.name} gave no answer, only tool calls")
        return turn

    def _context(
        self,
        coach: Coach,
        message: str,
        history: list[dict[str, str]],
        budget: int,
        timings: dict[str, float],
    ) -> tuple[ChatContext, list[str]]:
        voice, persona = coach.voice, coach.persona
        t = time.perf_counter()
        passages = self._passages(coach, message)
        timings["knowledge"] = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        memory = self._memory(message)
        timings["memory"] = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        ctx = ChatContext(coach.id, coach.name, persona, voice, coach.agent, message)
        ctx.intent = detect_intent(message)
        ctx.moment = "continuing" if any(turn["role"] == "assistant" for turn in history) else "opening"
        ctx.moves = self._moves(coach, message, history)
        timings["moves"] = (time.perf_counter() - t) * 1000
        context_mod.fit(ctx, passages, memory, history, budget)
        return ctx, [m.id for m in ctx.memory if m.kind == "fact"]

    def quote_candidates(self, coach_id: str, message: str) -> list[tuple[str, float]]:
        """The passages a reply to `message` would consider quoting, in search order, with their
        quote relevance (`engine.chat.quotes`): what the quote threshold is calibrated on."""
        return [(p.ref, p.relevance) for p in self._passages(self._coaches.get(coach_id), message)]

    def _passages(self, coach: Coach, message: str) -> list[ContextPassage]:
        found = self._knowledge.search(coach.id, message, limit=PASSAGES)
        embedder = self._s.loaded_embedder()
        fit = quotes_mod.relevances(
            message,
            pipeline_mod.query_vector(embedder, message) if embedder is not None else None,
            [(h.text, float(h.scores.get("dense", 0.0))) for h in found.hits],
            (lambda texts: embedder.embed_batch(texts, kind="document")) if embedder is not None else None,
        )
        return [
            ContextPassage(h.ref, h.title, h.text, _author(coach, h.ref), h.score, relevance)
            for h, relevance in zip(found.hits, fit, strict=True)
        ]

    def _moves(self, coach: Coach, message: str, history: list[dict[str, str]]) -> list[ScoredMove]:
        """The coach's moves ranked for this message, its statements, and the conversation's topic."""
        if not coach.playbook:
            return []
        recent = [t["content"] for t in history if t["role"] == "user"][-(moves_mod.TOPIC_TURNS - 1) :]
        topic = " ".join(recent) or message  # what the conversation was about before this message
        said = " ".join(s for s in split_sentences(message) if not s.rstrip().endswith("?")) or message
        words = (content_words(message), content_words(topic), content_words(said))
        embedder = self._s.loaded_embedder()
        if embedder is None:
            return moves_mod.rank(coach.playbook, None, None, None, None, words=words, words_of=content_words)
        vectors = moves_mod.move_vectors(
            (coach.id, coach.installed_at, embedder.embedder_id),
            coach.playbook,
            lambda: self._coaches.playbook_vectors(coach.id),
            lambda texts: embedder.embed_batch(texts, kind="document"),
        )
        message_vector = pipeline_mod.query_vector(embedder, message)
        topic_vector = pipeline_mod.query_vector(embedder, topic) if recent else None
        said_vector = pipeline_mod.query_vector(embedder, said) if said != message else None
        return moves_mod.rank(
            coach.playbook,
            vectors,
            message_vector,
            topic_vector,
            said_vector,
            words=words,
            words_of=content_words,
        )

    def _memory(self, message: str) -> list[MemoryItem]:
        """What the coachee's memory holds about this message (engine.memory.for_message)."""
        embedder = self._s.loaded_embedder()
        vector = pipeline_mod.query_vector(embedder, message) if embedder is not None else None
        return self._memory_part.for_message(
            message,
            vector,
            embedder.embedder_id if embedder else None,
            hits=MEMORY_HITS,
            summaries=SUMMARY_ENTITIES,
        )

    def _citations(self, coach: Coach, ctx: ChatContext, turn: _Turn) -> list[Citation]:
        """The passages the reply cited (from its `Citations` events) that this turn can resolve:
        one retrieved for the context or returned by a tool."""
        by_ref = {p.ref: p for p in ctx.passages}
        known = set(by_ref) | set(turn.tool_refs)
        cited = [r for r in dict.fromkeys(turn.cited) if r in known]
        missing = [r for r in cited if r not in by_ref]
        if missing:
            for hit in self._knowledge.search(coach.id, " ".join(missing), method="bm25", limit=20).hits:
                if hit.ref in missing:
                    by_ref[hit.ref] = ContextPassage(
                        hit.ref, hit.title, hit.text, _author(coach, hit.ref), hit.score
                    )
        return [Citation(r, by_ref[r].title, by_ref[r].author, by_ref[r].text) for r in cited if r in by_ref]

    def _write_back(
        self, coach: Coach, message: str, reply: ChatReply, facts: Sequence[tools_mod.PendingFact] = ()
    ) -> None:
        db = self._s.db
        now = self._s.clock()
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
            # One transaction with the messages (nested parts write in savepoints of it).
            self._memory_part.mark_used(reply.memory_used)
            cites = ", ".join(c.ref for c in reply.citations)
            body = f"**You:** {message}\n\n**{coach.name}:** {reply.text}"
            if cites:
                body += f"\n\n_Sources: {cites}_"
            self._notes.add(body, title=f"Chat with {coach.name}", kind="chat", source=f"coach:{coach.id}")
            for fact in facts:  # what the model asked to remember, only now that its reply is kept
                self._memory_part.add_fact(fact.text, fact.entity, source=fact.source)


def _author(coach: Coach, ref: str) -> str:
    for source in coach.manifest.sources:
        if source.covers(ref):
            return source.author
    return ""
