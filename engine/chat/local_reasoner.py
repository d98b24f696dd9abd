"""The `local` reasoner: a GGUF model on this device, through llama.cpp in a child process.

It receives what every reasoner receives (the assembled messages, the structured context, the tool
specs) and streams the same typed events, so the chat loop, the memory, the citations and the tools
work as they do with the `openai` reasoner. What is particular to a local model:

- The prompt is rendered with the model's own chat template (or a plain transcript for a model with
  none) and trimmed to the model's context length in the child, oldest turns first.
- The coach's persona and instructions (with the tool instructions) are the fixed prefix whose KV
  state the child keeps per coach, so a turn evaluates only the new part of the prompt.
- A tool call is the marker `<tool_call>` at the start of a reply; the JSON after it is generated under
  a grammar from the tools' schemas (`engine/llm/prompt.py`), so it is always a valid call.
  `tool_choice="required"` skips the free start and asks for a call at once (the first round only).
- A model that cannot be had — not chosen, missing, damaged, too big for the memory left, out of
  memory, past its deadline — raises `ReasonerUnavailable`, and the chat answers from the grounded
  reasoner and says so, as it does when the network of the `openai` reasoner drops.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from engine.chat.reasoners import (
    Citations,
    Event,
    MemoryUsed,
    Reasoner,
    ReplyRequest,
    TextDelta,
    ToolCall,
    marked_refs,
)
from engine.errors import LifeOSError, ReasonerUnavailable
from engine.inference.rss import MB
from engine.llm import prompt
from engine.llm.runner import (
    DEFAULT_BUDGET_MB,
    DEFAULT_CONTEXT,
    DEFAULT_IDLE_S,
    Job,
    LocalRunner,
    RunnerConfig,
)

DEFAULT_MAX_TOKENS = 400
DEFAULT_REPLY_DEADLINE = 180.0
TOOL_CALL_TOKENS = 80


class LocalReasoner(Reasoner):
    name = "local"

    def __init__(
        self,
        model: str | Path | None,
        *,
        context: int = DEFAULT_CONTEXT,
        threads: int = 2,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        temperature: float = 0.7,
        reply_deadline: float = DEFAULT_REPLY_DEADLINE,
        idle_minutes: float = DEFAULT_IDLE_S / 60,
        budget_mb: int = DEFAULT_BUDGET_MB,
        tool_choice: str = "auto",
        seed: int | None = None,
        runner: LocalRunner | None = None,
    ) -> None:
        # Nothing is checked or loaded here: the chat builds a reasoner before every turn, outside
        # its fallback, so every failure must wait for `reply` to become `ReasonerUnavailable`.
        self.model = Path(model).expanduser() if model else None
        self.config_args = {
            "n_ctx": int(context),
            "threads": int(threads),
            "budget_bytes": int(budget_mb) * MB,
            "idle_unload_s": float(idle_minutes) * 60,
        }
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.reply_deadline = reply_deadline
        self.tool_choice = tool_choice
        self.seed = seed
        self._runner = runner
        self._cancel = threading.Event()
        self._calls = 0

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> LocalReasoner:
        return cls(
            settings.get("model"),
            context=int(settings.get("context", DEFAULT_CONTEXT)),
            threads=int(settings.get("threads", 2)),
            max_tokens=int(settings.get("max_tokens", DEFAULT_MAX_TOKENS)),
            temperature=float(settings.get("temperature", 0.7)),
            reply_deadline=float(
                settings.get("timeout", settings.get("reply_deadline", DEFAULT_REPLY_DEADLINE))
            ),
            idle_minutes=float(settings.get("idle_minutes", DEFAULT_IDLE_S / 60)),
            budget_mb=int(settings.get("budget_mb", DEFAULT_BUDGET_MB)),
            tool_choice=str(settings.get("tool_choice", "auto")),
            seed=settings.get("seed"),
            runner=settings.get("runner"),
        )

    @property
    def runner(self) -> LocalRunner:
        """The shared runner of this model (created, not loaded, on first use)."""
        if self._runner is None:
            if self.model is None:
                raise ReasonerUnavailable("no local model is chosen (lifeos llm use NAME)")
            from engine.llm.runner import shared_runner

            self._runner = shared_runner(RunnerConfig(self.model, **self.config_args))  # type: ignore[arg-type]
        return self._runner

    def cancel(self) -> None:
        """Stop the reply being written (from another thread); the model stays loaded."""
        self._cancel.set()

    def reply(self, request: ReplyRequest) -> Iterator[Event]:
        self._cancel.clear()
        deadline = time.monotonic() + self.reply_deadline
        try:
            runner = self.runner
            fixed = prompt.fixed_prefix(request.context)
            with_tools, fixed = prompt.with_tools(request.messages, fixed, request.tools)
            messages = prompt.for_model(with_tools)
            key = f"{request.context.coach_id}:{hashlib.sha256(fixed.encode()).hexdigest()[:16]}"
            base = Job(messages, fixed, key, self.max_tokens, self.temperature, seed=self.seed)
            answered = any(m.get("role") == "tool" for m in request.messages)
            written: list[str] = []
            if request.tools and self.tool_choice == "required" and not answered:
                yield self._tool_call(runner, base, request.tools, deadline)
            else:
                for event in self._stream(runner, base, request.tools, deadline):
                    if isinstance(event, TextDelta):
                        written.append(event.text)
                    yield event
        except ReasonerUnavailable:
            raise
        except LifeOSError as exc:
            raise ReasonerUnavailable(f"the local model could not answer: {exc}") from None
        text = "".join(written)
        yield Citations(marked_refs(text))
        yield MemoryUsed(tuple(m.id for m in request.context.memory if m.kind == "fact"))

    def _stream(
        self, runner: LocalRunner, job: Job, tools: list[dict[str, Any]], deadline: float
    ) -> Iterator[Event]:
        """Free text; when tools are offered, the start is held until it is clear whether the model
        opens a tool call (then the call is generated under the grammar instead)."""
        pending = ""
        deciding = bool(tools)
        stream = runner.generate(job, deadline_s=_left(deadline), cancel=self._cancel)
        try:
            for piece in stream:
                if not deciding:
                    yield TextDelta(piece)
                    continue
                pending += piece
                start = pending.lstrip()
                if start.startswith(prompt.TOOL_MARK):
                    stream.close()  # the child stops this job; the call is generated constrained
                    yield self._tool_call(runner, job, tools, deadline)
                    return
                if prompt.TOOL_MARK.startswith(start):
                    continue  # could still become the marker
                deciding = False
                yield TextDelta(pending)
            if deciding and pending.strip():
                yield TextDelta(pending)
        finally:
            stream.close()

    def _tool_call(
        self, runner: LocalRunner, job: Job, tools: list[dict[str, Any]], deadline: float
    ) -> ToolCall:
        call_job = Job(
            job.messages,
            job.fixed,
            job.key,
            TOOL_CALL_TOKENS,
            0.2,
            schema=prompt.tool_call_schema(tools),
            suffix=prompt.TOOL_MARK,
            seed=job.seed,
        )
        text = "".join(runner.generate(call_job, deadline_s=_left(deadline), cancel=self._cancel))
        try:
            call = json.loads(text)
        except json.JSONDecodeError:
            raise ReasonerUnavailable(
                f"the local model's tool call was cut off after {TOOL_CALL_TOKENS} tokens"
            ) from None
        self._calls += 1
        return ToolCall(f"call_{self._calls}", str(call["name"]), dict(call.get("arguments") or {}))


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise ReasonerUnavailable("the local model did not finish in time")
    return left
