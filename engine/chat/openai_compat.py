"""The `openai` reasoner: any OpenAI-compatible chat-completions endpoint, through httpx.

A cloud model or a local Ollama / llama.cpp / vLLM server: the request is the standard
`POST {base_url}/chat/completions` with `stream: true` and the tool specs, and the reply is read as
server-sent events, text deltas passed on as they arrive and tool-call fragments assembled by index.

Failures, and what each becomes:
- 429 and 5xx before any text arrived: retried with exponential backoff (honouring `Retry-After`,
  capped), up to `max_retries`; then `ReasonerUnavailable`.
- a timeout, a refused or cut connection (the network is gone): `ReasonerUnavailable` at once. The
  chat falls back to the offline reasoner and says so; retrying a dead network only delays that.
- 400/401/403/404: `ReasonerUnavailable` with the server's message (a wrong key or model name should
  not cost the coachee their answer; the notice says what to fix).
- a reply that is not done within `reply_deadline` (a server trickling a word every few seconds), one
  longer than `MAX_REPLY_CHARS`, a line or body past the byte limits, or a stream that carries no
  readable text or tool call (random bytes, wrong JSON shapes): `ReasonerUnavailable`, so the turn
  falls back instead of storing an empty, endless or gigantic answer.
`transport=` takes any httpx transport, so tests run the real client against an in-process server.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

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
from engine.errors import ReasonerUnavailable

if TYPE_CHECKING:
    import httpx  # imported where used: it costs ~0.15 s at every start

API_KEY_ENV = "LIFEOS_API_KEY"
DEFAULT_TIMEOUT = 30.0
DEFAULT_REPLY_DEADLINE = 120.0
MAX_BACKOFF = 8.0
MAX_REPLY_CHARS = 32_000
"""About 8,000 words: far beyond any coaching reply, small enough to store and show."""
MAX_LINE_BYTES = 1 << 20
MAX_BODY_BYTES = 8 << 20
"""A stream's bytes in all (the text plus the JSON around every delta)."""


class OpenAIReasoner(Reasoner):
    name = "openai"

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        reply_deadline: float = DEFAULT_REPLY_DEADLINE,
        max_retries: int = 3,
        backoff: float = 0.5,
        temperature: float = 0.7,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not base_url or not model:
            raise ReasonerUnavailable(
                "the openai reasoner needs a base URL and a model (lifeos reasoner set openai …)"
            )
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = os.environ.get(API_KEY_ENV) or api_key or None  # the environment wins (scripts, CI)
        self.max_retries = max_retries
        self.reply_deadline = reply_deadline
        self.backoff = backoff
        self.temperature = temperature
        self.sleep = sleep
        self.attempts = 0  # requests made by the last reply (tests and diagnostics read it)
        import httpx

        self._client = httpx.Client(
            transport=transport, timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0))
        )

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> OpenAIReasoner:
        return cls(
            str(settings.get("base_url", "")),
            str(settings.get("model", "")),
            api_key=settings.get("api_key"),
            timeout=float(settings.get("timeout", DEFAULT_TIMEOUT)),
            reply_deadline=float(settings.get("reply_deadline", DEFAULT_REPLY_DEADLINE)),
            max_retries=int(settings.get("max_retries", 3)),
            backoff=float(settings.get("backoff", 0.5)),
            transport=settings.get("transport"),
            sleep=settings.get("sleep", time.sleep),
        )

    def close(self) -> None:
        self._client.close()

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "text/event-stream"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    def reply(self, request: ReplyRequest) -> Iterator[Event]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": request.messages,
            "stream": True,
            "temperature": self.temperature,
        }
        if request.tools:
            body["tools"] = request.tools
            body["tool_choice"] = "auto"
        import httpx

        url = f"{self.base_url}/chat/completions"
        self.attempts = 0
        deadline = time.monotonic() + self.reply_deadline
        for attempt in range(self.max_retries + 1):
            self.attempts += 1
            try:
                with self._client.stream("POST", url, json=body, headers=self._headers()) as response:
                    if response.status_code == 429 or response.status_code >= 500:
                        delay = self._delay(response, attempt)
                        if attempt < self.max_retries and time.monotonic() + delay < deadline:
                            response.close()
                            self.sleep(delay)
                            continue
                        raise ReasonerUnavailable(
                            f"{self.base_url} answered {response.status_code} after {attempt + 1} attempts"
                        )
                    if response.status_code >= 400:
                        response.read()
                        raise ReasonerUnavailable(
                            f"{self.base_url} refused the request ({response.status_code}): {_error_text(response)}"
                        )
                    written: list[str] = []
                    length = 0
                    called = False
                    for event in _events(response, self.base_url, deadline):
                        if isinstance(event, TextDelta):
                            length += len(event.text)
                            if length > MAX_REPLY_CHARS:
                                raise ReasonerUnavailable(
                                    f"{self.base_url} sent a reply longer than {MAX_REPLY_CHARS:,} characters"
                                )
                            written.append(event.text)
                        else:
                            called = True
                        yield event
                    if not "".join(written).strip() and not called:
                        raise ReasonerUnavailable(f"{self.base_url} sent no readable reply")
                    # A model marks what it cites as [ref] and saw every fact in its context.
                    yield Citations(marked_refs("".join(written)))
                    yield MemoryUsed(tuple(m.id for m in request.context.memory if m.kind == "fact"))
                    return
            except httpx.TimeoutException:
                raise ReasonerUnavailable(f"{self.base_url} did not answer in time") from None
            except httpx.TransportError as exc:
                raise ReasonerUnavailable(f"{self.base_url} is unreachable ({type(exc).__name__})") from None

    def _delay(self, response: httpx.Response, attempt: int) -> float:
        retry_after = response.headers.get("retry-after", "")
        try:
            return min(MAX_BACKOFF, float(retry_after))
        except ValueError:
            return min(MAX_BACKOFF, self.backoff * (2**attempt))


def _error_text(response: httpx.Response) -> str:
    try:
        data = response.json()
        error = data.get("error", data)
        return str(error.get("message", error) if isinstance(error, dict) else error)[:200]
    except (ValueError, AttributeError):
        return response.text[:200]


def _events(response: httpx.Response, source: str, deadline: float) -> Iterator[Event]:
    """The reply as events: server-sent events as they come, or a whole (non-streamed) completion.

    Shapes are checked, not trusted: anything that is not the documented object is skipped, and a
    tool-call index that is not a number gets a slot of its own.
    """
    calls: dict[int, dict[str, str]] = {}
    if "json" in response.headers.get("content-type", "") and "event-stream" not in response.headers.get(
        "content-type", ""
    ):
        body = b"".join(_bounded_chunks(response, source, deadline))
        try:
            document = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return
        for choice in _objects(document.get("choices") if isinstance(document, dict) else None):
            yield from _choice_events(choice.get("message"), calls)
    else:
        for line in _lines(response, source, deadline):
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                break
            try:
                chunk = json.loads(data)
            except json.JSONDecodeError:
                continue
            for choice in _objects(chunk.get("choices") if isinstance(chunk, dict) else None):
                yield from _choice_events(choice.get("delta"), calls)
    for index in sorted(calls):
        slot = calls[index]
        if not slot["name"]:
            continue
        try:
            arguments = json.loads(slot["arguments"] or "{}")
        except json.JSONDecodeError:
            arguments = {"_unparsed": slot["arguments"][:2000]}
        yield ToolCall(
            slot["id"] or f"call_{index}", slot["name"], arguments if isinstance(arguments, dict) else {}
        )


def _objects(value: object) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _choice_events(delta: object, calls: dict[int, dict[str, str]]) -> Iterator[Event]:
    """Text of one delta (or message) at once; tool-call fragments gathered into ``calls`` by index."""
    if not isinstance(delta, dict):
        return
    content = delta.get("content")
    if isinstance(content, str) and content:
        yield TextDelta(content)
    for position, part in enumerate(_objects(delta.get("tool_calls"))):
        index = part.get("index", position)
        slot = calls.setdefault(
            index if isinstance(index, int) and not isinstance(index, bool) else -1 - position,
            {"id": "", "name": "", "arguments": ""},
        )
        if isinstance(part.get("id"), str):
            slot["id"] = part["id"]
        function = part.get("function")
        if isinstance(function, dict):
            if isinstance(function.get("name"), str):
                slot["name"] += function["name"]
            arguments = function.get("arguments")
            if isinstance(arguments, str):
                slot["arguments"] += arguments
            elif isinstance(arguments, dict):  # some servers send the object itself
                slot["arguments"] = json.dumps(arguments)


def _bounded_chunks(response: httpx.Response, source: str, deadline: float) -> Iterator[bytes]:
    """The body's bytes, stopping with `ReasonerUnavailable` past the byte limit or the deadline."""
    total = 0
    for chunk in response.iter_bytes():
        total += len(chunk)
        if total > MAX_BODY_BYTES:
            raise ReasonerUnavailable(f"{source} sent more than {MAX_BODY_BYTES >> 20} MB for one reply")
        if time.monotonic() > deadline:
            raise ReasonerUnavailable(f"{source} did not finish its reply in time")
        yield chunk


def _lines(response: httpx.Response, source: str, deadline: float) -> Iterator[str]:
    """Lines of a server-sent event stream; a line longer than `MAX_LINE_BYTES` is refused rather
    than gathered in memory (a reply with no newline at all would otherwise be held whole)."""
    pending = b""
    for chunk in _bounded_chunks(response, source, deadline):
        pending += chunk
        *lines, pending = pending.split(b"\n")
        if len(pending) > MAX_LINE_BYTES:
            raise ReasonerUnavailable(f"{source} sent a line longer than {MAX_LINE_BYTES >> 20} MB")
        for line in lines:
            yield line.decode("utf-8", errors="replace").rstrip("\r")
    if pending:
        yield pending.decode("utf-8", errors="replace").rstrip("\r")
