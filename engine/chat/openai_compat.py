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
MAX_BACKOFF = 8.0


class OpenAIReasoner(Reasoner):
    name = "openai"

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
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
        for attempt in range(self.max_retries + 1):
            self.attempts += 1
            try:
                with self._client.stream("POST", url, json=body, headers=self._headers()) as response:
                    if response.status_code == 429 or response.status_code >= 500:
                        if attempt < self.max_retries:
                            delay = self._delay(response, attempt)
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
                    for event in _events(response):
                        if isinstance(event, TextDelta):
                            written.append(event.text)
                        yield event
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


def _events(response: httpx.Response) -> Iterator[Event]:
    """Server-sent events → text deltas as they come, tool calls once their arguments are whole."""
    calls: dict[int, dict[str, str]] = {}
    for line in response.iter_lines():
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            break
        try:
            chunk = json.loads(data)
        except json.JSONDecodeError:
            continue
        for choice in chunk.get("choices", []):
            delta = choice.get("delta") or {}
            if delta.get("content"):
                yield TextDelta(delta["content"])
            for part in delta.get("tool_calls") or []:
                slot = calls.setdefault(int(part.get("index", 0)), {"id": "", "name": "", "arguments": ""})
                slot["id"] = part.get("id") or slot["id"]
                function = part.get("function") or {}
                slot["name"] += function.get("name") or ""
                slot["arguments"] += function.get("arguments") or ""
    for index in sorted(calls):
        slot = calls[index]
        try:
            arguments = json.loads(slot["arguments"] or "{}")
        except json.JSONDecodeError:
            arguments = {"_unparsed": slot["arguments"]}
        yield ToolCall(
            slot["id"] or f"call_{index}", slot["name"], arguments if isinstance(arguments, dict) else {}
        )
