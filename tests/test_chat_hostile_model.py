"""A cloud model that misbehaves (a mock of an OpenAI-compatible server, in-process through httpx's
transport: no real cloud model can exist here) never costs the coachee their answer, their memory or
their disk: every bad reply ends in the offline fallback with a notice, and what is stored is bounded.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC
from pathlib import Path

import httpx
import pytest

from engine.api import Engine
from engine.chat.openai_compat import MAX_REPLY_CHARS
from engine.types import Models
from testkit.coaches import build_stoic
from tests.conftest import PASSPHRASE

pytestmark = pytest.mark.slow
BASE = "http://mock-cloud.invalid/v1"
QUESTION = "How do I stay calm when a plan falls apart?"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    root = tmp_path_factory.mktemp("hostile-model")
    models = Models()
    build_stoic(models, root / "stoic.coach")
    with Engine.create(root / "p", PASSPHRASE, models=models) as eng:
        eng.coaches.install(root / "stoic.coach")
        yield eng
    models.close()


class _Body(httpx.SyncByteStream):
    def __init__(self, chunks: Callable[[], Iterator[bytes]]) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks()


def mock_cloud_llm(content_type: str, chunks: Callable[[], Iterator[bytes]]) -> httpx.MockTransport:
    return httpx.MockTransport(
        lambda _request: httpx.Response(200, headers={"content-type": content_type}, stream=_Body(chunks))
    )


def sse(payload: object) -> bytes:
    return f"data: {json.dumps(payload)}\n\n".encode()


def delta(text: str) -> bytes:
    return sse({"choices": [{"index": 0, "delta": {"content": text}}]})


def ask(engine: Engine, transport: httpx.BaseTransport, **settings: object):
    reasoner = engine.chat.make_reasoner("openai", base_url=BASE, model="m", transport=transport, **settings)
    return engine.chat.send("stoic", QUESTION, reasoner=reasoner)


def assert_fell_back(reply, why: str) -> None:
    assert (reply.reasoner, reply.fallback_from) == ("grounded", "openai"), reply.notice
    assert why in (reply.notice or "")
    assert reply.text.strip() and len(reply.text) < MAX_REPLY_CHARS


def test_mock_cloud_llm_gigantic_reply_is_cut_off_not_stored(engine: Engine, home: Path) -> None:
    def endless() -> Iterator[bytes]:
        for _ in range(100_000):  # bounded: 100k deltas of 100 characters = 10 MB if all were read
            yield delta("x" * 99 + " ")

    reply = ask(engine, mock_cloud_llm("text/event-stream", endless))
    assert_fell_back(reply, "longer than")
    stored = engine.chat.conversation("stoic")[-1]
    assert stored.role == "assistant" and len(stored.content) < MAX_REPLY_CHARS


def test_mock_cloud_llm_trickling_a_word_at_a_time_hits_the_reply_deadline(engine: Engine) -> None:
    def trickle() -> Iterator[bytes]:
        for i in range(200):  # 200 × 50 ms = 10 s if nothing stopped it
            time.sleep(0.05)
            yield delta(f"word{i} ")

    started = time.monotonic()
    reply = ask(engine, mock_cloud_llm("text/event-stream", trickle), reply_deadline=0.6)
    assert time.monotonic() - started < 8
    assert_fell_back(reply, "in time")


def test_mock_cloud_llm_one_line_without_end_is_refused(engine: Engine) -> None:
    def one_line() -> Iterator[bytes]:
        yield b"data: " + b"a" * 100
        for _ in range(40):  # 40 × 64 KiB = 2.5 MiB on a single line
            yield b"a" * 65_536

    assert_fell_back(ask(engine, mock_cloud_llm("text/event-stream", one_line)), "line longer than")


@pytest.mark.parametrize(
    "chunks",
    [
        lambda: iter([bytes(range(256)) * 50]),
        lambda: iter([sse([1, 2, 3]), sse({"choices": {"delta": "x"}}), b"data: [DONE]\n\n"]),
        lambda: iter([sse({"choices": [{"delta": {"content": 42}}]}), b"data: [DONE]\n\n"]),
        lambda: iter([b"data: [DONE]\n\n"]),
    ],
    ids=["random-bytes", "wrong-shapes", "content-not-text", "empty"],
)
def test_mock_cloud_llm_unreadable_reply_falls_back(engine: Engine, chunks) -> None:
    assert_fell_back(ask(engine, mock_cloud_llm("text/event-stream", chunks)), "no readable reply")


def test_mock_cloud_llm_tool_call_with_a_bad_index_and_absurd_days_is_survived(engine: Engine) -> None:
    """A tool-call index "zero" and `days` of -1e20: the call runs (its error goes back to the model),
    the model is asked again, and the turn ends in a real answer, never "unexpected"."""
    calls = {"n": 0}

    def stream() -> Iterator[bytes]:
        calls["n"] += 1
        if calls["n"] == 1:
            call = {"index": "zero", "id": "c1", "function": {"name": "list_deadlines", "arguments": ""}}
            yield sse({"choices": [{"delta": {"tool_calls": [call]}}]})
            more = {"index": "zero", "function": {"arguments": json.dumps({"days": -1e20})}}
            yield sse({"choices": [{"delta": {"tool_calls": [more]}}]})
        else:
            yield delta("Start with what is in your hands today.")
        yield b"data: [DONE]\n\n"

    reply = ask(engine, mock_cloud_llm("text/event-stream", stream))
    assert reply.reasoner == "openai", reply.notice
    assert reply.text == "Start with what is in your hands today."
    assert reply.tool_calls and "error" in reply.tool_calls[0]["result"]


def test_mock_cloud_llm_non_streamed_json_reply_is_read(engine: Engine) -> None:
    body = {"choices": [{"message": {"role": "assistant", "content": "One step at a time."}}]}
    reply = ask(engine, mock_cloud_llm("application/json", lambda: iter([json.dumps(body).encode()])))
    assert reply.reasoner == "openai" and reply.text == "One step at a time."


def _facts(engine: Engine) -> list[str]:
    from datetime import datetime, timedelta

    return [f.content for f in engine.memory.facts_as_of(datetime.now(UTC) + timedelta(days=1))]


def _tool_calls(n: int, text: str) -> bytes:
    calls = [
        {
            "index": i,
            "id": f"c{i}",
            "function": {"name": "add_fact", "arguments": json.dumps({"text": f"{text} {i}"})},
        }
        for i in range(n)
    ]
    return sse({"choices": [{"delta": {"tool_calls": calls}}]})


def test_mock_cloud_llm_flood_of_facts_is_capped_and_stored_with_the_reply(engine: Engine) -> None:
    before = len(_facts(engine))
    rounds = {"n": 0}

    def stream() -> Iterator[bytes]:
        rounds["n"] += 1
        yield _tool_calls(70, "Prefers morning runs, variant") if rounds["n"] == 1 else delta("Noted.")
        yield b"data: [DONE]\n\n"

    reply = ask(engine, mock_cloud_llm("text/event-stream", stream))
    assert reply.reasoner == "openai" and reply.text == "Noted."
    noted = [c for c in reply.tool_calls if "noted" in str(c["result"].get("outcome", ""))]
    errors = [c for c in reply.tool_calls if "error" in c["result"]]
    assert (len(noted), len(errors)) == (5, 70 - 5)  # MAX_FACTS_PER_TURN, then refused
    assert 1 <= len(_facts(engine)) - before <= 5  # near-duplicates of each other merge in memory


def test_mock_cloud_llm_facts_of_a_failed_turn_are_not_kept(engine: Engine) -> None:
    before = _facts(engine)
    rounds = {"n": 0}

    def stream() -> Iterator[bytes]:
        rounds["n"] += 1
        if rounds["n"] == 1:
            yield _tool_calls(2, "Has a knee injury, note")
            yield b"data: [DONE]\n\n"
        else:
            yield bytes(range(256))  # then the model breaks: the turn falls back offline

    reply = ask(engine, mock_cloud_llm("text/event-stream", stream))
    assert_fell_back(reply, "no readable reply")
    assert _facts(engine) == before


def test_mock_cloud_llm_that_only_calls_tools_falls_back(engine: Engine) -> None:
    def stream() -> Iterator[bytes]:
        call = {"index": 0, "id": "c", "function": {"name": "list_deadlines", "arguments": "{}"}}
        yield sse({"choices": [{"delta": {"tool_calls": [call]}}]})
        yield b"data: [DONE]\n\n"

    assert_fell_back(ask(engine, mock_cloud_llm("text/event-stream", stream)), "only tool calls")
