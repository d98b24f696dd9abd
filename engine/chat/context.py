"""The context of one chat turn, assembled within a token budget.

Order of what goes in, and why: the coach's soul and agent (who it is and how it works) and the
coachee's message always; then the retrieved coach passages (what the reply should rest on), then
the coachee's own memory (Hot/Warm entity summaries and recalled facts: what makes the reply theirs),
then as many of the last 20 turns as still fit, newest first. Each part has a share of what is left
after the fixed parts, and a part that does not use its share leaves it to the next, so a short
conversation gets more passages and a long one does not push the knowledge out.

Tokens are estimated (four characters a token, the usual figure for English BPE vocabularies): the
budget protects a model's window with a margin, it does not need to be exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.coaches.playbook import Move
from engine.memory.part import MemoryItem

MAX_TURNS = 20
DEFAULT_BUDGET = 6000
PASSAGE_SHARE = 0.5
MEMORY_SHARE = 0.25
MOVES_IN_PROMPT = 4


def estimate_tokens(text: str) -> int:
    return len(text) // 4 + 1


@dataclass(frozen=True)
class ContextPassage:
    """A retrieved passage of the coach's knowledge, with the citation the reply must carry."""

    ref: str
    title: str
    text: str
    author: str
    score: float
    relevance: float = 0.0  # cosine similarity of the message to the passage (0 when unknown)


@dataclass(frozen=True)
class ScoredMove:
    """A playbook move with how well it fits this message and this conversation (cosine based)."""

    move: Move
    score: float


@dataclass
class ChatContext:
    coach_id: str
    coach_name: str
    persona: str  # soul.md without its front matter
    voice: dict[str, Any]  # the persona template's phrases for the offline composer
    agent: str
    message: str
    passages: list[ContextPassage] = field(default_factory=list)
    memory: list[MemoryItem] = field(default_factory=list)
    history: list[dict[str, str]] = field(default_factory=list)  # oldest first
    moves: list[ScoredMove] = field(default_factory=list)  # the coach's moves, best fit first
    intent: str = "vent"  # what the person wants (engine.chat.intent)
    moment: str = "opening"  # "opening" (first message) or "continuing"
    tokens: int = 0
    dropped: dict[str, int] = field(default_factory=dict)


def _passage_block(p: ContextPassage) -> str:
    by = f" ({p.author})" if p.author else ""
    return f"[{p.ref}] {p.title}{by}\n{p.text}"


def _memory_block(m: MemoryItem) -> str:
    about = f" (about {m.entity})" if m.entity else ""
    return f"- {m.text}{about}" if m.kind != "summary" else f"## {m.entity}\n{m.text}"


def fit(
    ctx: ChatContext,
    passages: list[ContextPassage],
    memory: list[MemoryItem],
    history: list[dict[str, str]],
    budget: int = DEFAULT_BUDGET,
) -> ChatContext:
    """Fill `ctx` with what fits in `budget` tokens, in the priority order of the module docstring."""
    fixed = estimate_tokens(ctx.persona) + estimate_tokens(ctx.agent) + estimate_tokens(ctx.message) + 200
    left = max(0, budget - fixed)
    used = fixed

    def take(items: list[Any], render: Any, allowance: int) -> tuple[list[Any], int]:
        kept, spent = [], 0
        for item in items:
            cost = estimate_tokens(render(item))
            if spent + cost > allowance:
                continue  # a shorter one further down may still fit
            kept.append(item)
            spent += cost
        return kept, spent

    ctx.passages, spent = take(passages, _passage_block, int(left * PASSAGE_SHARE))
    used += spent
    left -= spent
    ctx.memory, spent = take(memory, _memory_block, int(left * MEMORY_SHARE / (1 - PASSAGE_SHARE)))
    used += spent
    left -= spent
    recent = history[-2 * MAX_TURNS :]
    kept: list[dict[str, str]] = []
    for turn in reversed(recent):  # newest first, then restored to order
        cost = estimate_tokens(turn["content"]) + 4
        if cost > left:
            break
        kept.append(turn)
        left -= cost
        used += cost
    ctx.history = list(reversed(kept))
    ctx.dropped = {
        "passages": len(passages) - len(ctx.passages),
        "memory": len(memory) - len(ctx.memory),
        "turns": len(recent) - len(ctx.history),
    }
    ctx.tokens = used
    return ctx


def system_prompt(ctx: ChatContext) -> str:
    """The system message for a model: persona, instructions, the coachee's memory, the passages."""
    parts = [f"# You are {ctx.coach_name}\n\n{ctx.persona.strip()}", ctx.agent.strip()]
    summaries = [m for m in ctx.memory if m.kind == "summary"]
    items = [m for m in ctx.memory if m.kind != "summary"]
    if summaries or items:
        lines = ["# What you know about the coachee (private; use it when relevant)"]
        lines += [_memory_block(m) for m in summaries]
        lines += [_memory_block(m) for m in items]
        parts.append("\n\n".join(lines))
    if ctx.moves:
        picks = [m.move for m in ctx.moves[:MOVES_IN_PROMPT]]
        lines = "\n\n".join(f"({m.kind}) {m.render()}" for m in picks)
        parts.append(
            f"# Coaching moves from your playbook that fit this moment (adapt, don't recite)\n\n{lines}"
        )
    if ctx.passages:
        blocks = "\n\n".join(_passage_block(p) for p in ctx.passages)
        parts.append(f"# Passages from your knowledge (cite them by id in square brackets)\n\n{blocks}")
    return "\n\n".join(parts)


def to_messages(ctx: ChatContext) -> list[dict[str, Any]]:
    return [
        {"role": "system", "content": system_prompt(ctx)},
        *({"role": t["role"], "content": t["content"]} for t in ctx.history),
        {"role": "user", "content": ctx.message},
    ]
