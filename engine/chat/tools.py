"""Tools a model may call during a chat turn, as OpenAI function specs, and their execution.

Four, all local and all scoped to the coachee and the coach of this conversation: search the coach's
knowledge, recall the coachee's memory, remember a new fact, list upcoming deadlines. Results are
compact JSON (a model pays for every token), and a tool error is returned to the model as a result
("error": …) rather than raised, so a bad argument costs one round, not the reply.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from engine.chat import training_tools
from engine.errors import LifeOSError

if TYPE_CHECKING:
    from engine.memory.part import Memory
    from engine.retrieval.part import Knowledge
    from engine.training.part import Training


MAX_FACTS_PER_TURN = 5
MAX_FACT_CHARS = 500


@dataclass(frozen=True)
class PendingFact:
    """A fact a model asked to remember, written only with the reply that asked for it."""

    text: str
    entity: str | None
    source: str


@dataclass(frozen=True)
class ToolHost:
    """What the tools reach: the coach's knowledge, the coachee's memory, and today's date.

    One host serves one turn. Writes are not made by the tool: `add_fact` queues them in
    `pending_facts`, and the chat stores them in the same transaction as the reply. A turn that
    fails and falls back, or one that is not recorded, leaves memory as it was.
    """

    knowledge: Knowledge
    memory: Memory
    today: Callable[[], date]
    training: Training | None = None
    pending_facts: list[PendingFact] = field(default_factory=list)


SPECS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "search_knowledge",
            "description": "Search this coach's books and notes for passages. Cite results by their id.",
            "parameters": {
                "type": "object",
                "properties": {
                    "query": {"type": "string"},
                    "limit": {"type": "integer", "minimum": 1, "maximum": 8},
                },
                "required": ["query"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "recall_memory",
            "description": "Search what the coachee has told the app: their facts, notes and projects.",
            "parameters": {
                "type": "object",
                "properties": {
                    "query": {"type": "string"},
                    "limit": {"type": "integer", "minimum": 1, "maximum": 8},
                },
                "required": ["query"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "add_fact",
            "description": "Remember a durable fact the coachee stated about themselves (not an opinion of yours).",
            "parameters": {
                "type": "object",
                "properties": {
                    "text": {"type": "string", "description": "the fact, in the coachee's first person"},
                    "entity": {
                        "type": "string",
                        "description": "an existing project, area or person it is about",
                    },
                },
                "required": ["text"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "list_deadlines",
            "description": "The coachee's projects with deadlines in the next N days (default 14).",
            "parameters": {
                "type": "object",
                "properties": {"days": {"type": "integer", "minimum": 1, "maximum": 365}},
            },
        },
    },
    *training_tools.SPECS,
]


def run(host: ToolHost, coach_id: str, name: str, arguments: dict[str, Any]) -> tuple[str, list[str]]:
    """Execute a tool; returns its JSON result and the refs of any passages it returned (citable)."""
    if name in training_tools.NAMES:
        return training_tools.run(host.training, host.today(), name, arguments), []
    try:
        if name == "search_knowledge":
            found = host.knowledge.search(coach_id, str(arguments["query"]), limit=_limit(arguments))
            hits = [{"id": h.ref, "title": h.title, "text": h.text[:1200]} for h in found.hits]
            return json.dumps({"passages": hits}, ensure_ascii=False), [h["id"] for h in hits]
        if name == "recall_memory":
            items = host.memory.recall(str(arguments["query"]), limit=_limit(arguments))
            out = [
                {"kind": h.kind, "text": h.text[:400], "tier": h.tier, "when": h.timestamp[:10]}
                for h in items
            ]
            return json.dumps({"memory": out}, ensure_ascii=False), []
        if name == "add_fact":
            return json.dumps(_queue_fact(host, coach_id, arguments)), []
        if name == "list_deadlines":
            return json.dumps({"deadlines": deadlines(host, _days(arguments))}), []
        return json.dumps({"error": f"unknown tool {name!r}"}), []
    except (KeyError, ValueError, TypeError, OverflowError) as exc:
        return json.dumps({"error": f"bad arguments for {name}: {exc}"}), []
    except LifeOSError as exc:
        return json.dumps({"error": str(exc)}), []


def _queue_fact(host: ToolHost, coach_id: str, arguments: dict[str, Any]) -> dict[str, str]:
    text = arguments["text"]
    entity = arguments.get("entity") or None
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_FACT_CHARS:
        raise ValueError(f"text must be 1 to {MAX_FACT_CHARS} characters")
    if entity is not None and (not isinstance(entity, str) or len(entity) > 200):
        raise ValueError("entity must be a short name")
    if len(host.pending_facts) >= MAX_FACTS_PER_TURN:
        return {"error": f"at most {MAX_FACTS_PER_TURN} facts can be remembered in one reply"}
    host.pending_facts.append(PendingFact(text.strip(), entity, f"coach:{coach_id}"))
    return {"outcome": "noted: remembered when this reply is saved"}


def deadlines(host: ToolHost, days: int) -> list[dict[str, str]]:
    today = host.today()
    horizon = today + timedelta(days=days)
    out = []
    for entity in host.memory.list_entities("project"):
        if not entity.deadline or entity.status != "active":
            continue
        try:
            due = date.fromisoformat(entity.deadline[:10])
        except ValueError:
            continue
        if due <= horizon:
            out.append(
                {"project": entity.name, "deadline": due.isoformat(), "days_left": str((due - today).days)}
            )
    return sorted(out, key=lambda d: d["deadline"])


def _days(arguments: dict[str, Any]) -> int:
    """The model's `days`, refused outside the spec's 1–365 (a model does not always keep to it)."""
    days = int(arguments.get("days", 14))
    if not 1 <= days <= 365:
        raise ValueError(f"days must be between 1 and 365, not {days}")
    return days


def _limit(arguments: dict[str, Any]) -> int:
    return max(1, min(8, int(arguments.get("limit", 5))))
