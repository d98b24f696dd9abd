"""Who writes the reply: one interface, a small registry, and the events a reply streams.

In the style of simonw/llm's model plugins: a reasoner is a class with a `name` and one method,
`reply(request) → iterator of events`; the built-in ones (`grounded`, `openai`, `local`) register through the
same `register` function a third-party backend (or a test double) would use. `reply` yields typed events:
text as it is written (`TextDelta`), the tools the model wants to call (`ToolCall`), the passages the
reply cites (`Citations`) and the coachee's facts it drew on (`MemoryUsed`). The chat loop runs the
tools and asks again, and reads citations and memory from the stream the same way for every reasoner. A reasoner that cannot answer (no network, timeouts, retries used up) raises
`ReasonerUnavailable`, and the chat falls back to the offline `grounded` reasoner and says so.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.errors import UsageError

if TYPE_CHECKING:
    from engine.chat.context import ChatContext


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Citations:
    """Refs of the passages the reply quotes or rests on (the chat keeps only refs it can resolve)."""

    refs: tuple[str, ...]


@dataclass(frozen=True)
class MemoryUsed:
    """Ids of the coachee's facts the reply drew on (their access counts are bumped)."""

    fact_ids: tuple[str, ...]


Event = TextDelta | ToolCall | Citations | MemoryUsed

_MARK = re.compile(r"\[([A-Za-z0-9][\w.-]*)\]")


def marked_refs(text: str) -> tuple[str, ...]:
    """The `[ref]` marks a model wrote into its text, in order, once each."""
    return tuple(dict.fromkeys(_MARK.findall(text)))


@dataclass
class ReplyRequest:
    """What a reasoner gets: OpenAI-style messages and tool specs for a model, and the same context
    in structured form (persona, passages, memory) for the offline composer."""

    messages: list[dict[str, Any]]
    context: ChatContext
    tools: list[dict[str, Any]] = field(default_factory=list)


class Reasoner(ABC):
    name: str = ""
    offline: bool = False  # True when it needs no network (the fallback must be offline)

    @abstractmethod
    def reply(self, request: ReplyRequest) -> Iterator[Event]:
        """Stream the reply; raise `ReasonerUnavailable` when it cannot be had right now."""

    def close(self) -> None:  # noqa: B027 (optional hook: most reasoners hold nothing)
        """Release connections or models."""


Factory = Callable[[dict[str, Any]], Reasoner]  # settings → reasoner
_REGISTRY: dict[str, Factory] = {}


def register(name: str, factory: Factory) -> None:
    """Make a reasoner available by name (built-ins, plugins and test doubles alike)."""
    _REGISTRY[name] = factory


def names() -> list[str]:
    _builtins()
    return sorted(_REGISTRY)


def create(name: str, settings: dict[str, Any] | None = None) -> Reasoner:
    _builtins()
    if name not in _REGISTRY:
        raise UsageError(f"unknown reasoner {name!r}; one of: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name](dict(settings or {}))


def _builtins() -> None:
    """Register the built-in reasoners on first use (keeps httpx out of start-up)."""
    if "grounded" in _REGISTRY:
        return
    from engine.chat import grounded, local_reasoner, openai_compat

    register("grounded", lambda s: grounded.GroundedReasoner())
    register("openai", openai_compat.OpenAIReasoner.from_settings)
    register("local", local_reasoner.LocalReasoner.from_settings)
