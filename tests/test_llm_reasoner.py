"""The `local` reasoner with a real GGUF model (Gemma 3 270M base) on llama.cpp in a child process.

One model stays loaded for the module (a load costs seconds on two cores) and replies are kept to a
few tokens. The base model has no chat template, so these replies use the plain prompt format.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.api import Engine, bundled_test_model
from engine.chat import context as context_mod
from engine.chat import tools as tools_mod
from engine.chat.context import ChatContext
from engine.chat.local_reasoner import LocalReasoner
from engine.chat.reasoners import Citations, MemoryUsed, ReplyRequest, TextDelta, ToolCall
from engine.llm.runner import LocalRunner, RunnerConfig
from tests.conftest import PASSPHRASE

REPO = Path(__file__).resolve().parents[1]
PERSONA = (
    "A calm mentor in the Stoic tradition. You speak plainly and briefly, you ask one question at a "
    "time, and you help the person separate what is in their power from what is not. "
) * 6
AGENT = (
    "Answer in two or three sentences. Quote a passage only when it fits, and cite it by its id in "
    "square brackets. Never invent facts about the coachee. "
) * 4


@pytest.fixture(scope="module")
def gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bundled_test_model(tmp_path_factory.mktemp("gguf"))


@pytest.fixture(scope="module")
def runner(gguf: Path) -> Iterator[LocalRunner]:
    shared = LocalRunner(RunnerConfig(gguf, n_ctx=2048, threads=2))
    yield shared
    shared.unload()


def _reasoner(gguf: Path, runner: LocalRunner, **settings: object) -> LocalReasoner:
    options: dict[str, object] = {"max_tokens": 12, "temperature": 0.3, "seed": 7, **settings}
    return LocalReasoner(str(gguf), runner=runner, **options)  # type: ignore[arg-type]


CHAT_TOOLS = [
    s
    for s in tools_mod.SPECS
    if s["function"]["name"] in ("search_knowledge", "recall_memory", "add_fact", "list_deadlines")
]
"""The four chat tools (the training tools only add grammar alternatives, and seconds, here)."""


def _request(coach: str, message: str, tools: bool = False) -> ReplyRequest:
    ctx = ChatContext(coach, f"{coach.title()} Mentor", PERSONA, {}, AGENT, message)
    return ReplyRequest(context_mod.to_messages(ctx), ctx, CHAT_TOOLS if tools else [])


def test_a_reply_streams_as_text_then_citations_and_memory(gguf: Path, runner: LocalRunner) -> None:
    events = list(_reasoner(gguf, runner, max_tokens=24).reply(_request("stream", "How do I stay calm?")))
    texts = [e.text for e in events if isinstance(e, TextDelta)]
    assert len(texts) >= 3 and "".join(texts).strip()  # piece by piece, as sampled
    assert isinstance(events[-2], Citations) and isinstance(events[-1], MemoryUsed)
    stats = runner.last_stats
    assert 0 < stats.generated_tokens <= 24 and stats.prompt_tokens > 200
    assert stats.first_token_s is not None and stats.first_token_s < stats.total_s
    assert runner.is_loaded and not runner.has_template  # the plain format of a base model


def test_the_coach_prefix_is_evaluated_once_and_restored_after_another_coach(
    gguf: Path, runner: LocalRunner
) -> None:
    reasoner = _reasoner(gguf, runner, max_tokens=4)
    list(reasoner.reply(_request("cache-a", "How do I stay calm before a hard talk?")))
    first = runner.last_stats
    # nothing of this coach was cached yet (only the first tokens of the format are shared)
    assert first.prefix_tokens > 150 and first.evaluated_tokens >= first.prompt_tokens - 8
    list(reasoner.reply(_request("cache-a", "What is in my power today?")))
    second = runner.last_stats
    assert second.prefix_tokens == first.prefix_tokens and second.cached_tokens >= second.prefix_tokens
    assert second.evaluated_tokens <= second.prompt_tokens - second.prefix_tokens
    assert second.evaluated_tokens < first.evaluated_tokens - 150
    list(reasoner.reply(_request("cache-b", "Money worries keep me awake.")))  # another coach's prefix
    assert runner.last_stats.evaluated_tokens >= runner.last_stats.prompt_tokens - 8
    list(reasoner.reply(_request("cache-a", "How do I forgive a friend?")))
    third = runner.last_stats  # the first coach's prefix state came back from its copy
    assert third.cached_tokens >= first.prefix_tokens
    assert third.evaluated_tokens <= third.prompt_tokens - first.prefix_tokens


def test_closing_the_stream_or_cancel_stops_the_model_cleanly(gguf: Path, runner: LocalRunner) -> None:
    reasoner = _reasoner(gguf, runner, max_tokens=300, temperature=0.9)
    runner.load()
    pid = runner.pid
    stream = reasoner.reply(_request("cancel", "Tell me a long story about courage."))
    taken = [next(stream) for _ in range(2)]
    stream.close()
    assert all(isinstance(e, TextDelta) for e in taken)
    assert runner.last_stats.stop_reason == "cancelled" and runner.last_stats.generated_tokens < 300
    got: list[str] = []
    for event in reasoner.reply(_request("cancel", "Tell me another long story about patience.")):
        if isinstance(event, TextDelta):
            got.append(event.text)
            if len(got) == 2:
                threading.Thread(target=reasoner.cancel).start()
    assert runner.last_stats.stop_reason == "cancelled" and runner.last_stats.generated_tokens < 300
    assert runner.pid == pid and runner.is_loaded  # the same child answers the next turn
    list(_reasoner(gguf, runner, max_tokens=3).reply(_request("cancel", "Thanks.")))
    assert runner.last_stats.stop_reason in ("length", "stop")


def test_a_tool_call_is_valid_json_for_a_real_tool(gguf: Path, runner: LocalRunner) -> None:
    reasoner = _reasoner(gguf, runner, tool_choice="required", reply_deadline=900)
    events = list(reasoner.reply(_request("tools", "Look up what the books say about anger.", tools=True)))
    calls = [e for e in events if isinstance(e, ToolCall)]
    assert len(calls) == 1
    specs = {s["function"]["name"]: s["function"]["parameters"] for s in CHAT_TOOLS}
    call = calls[0]
    assert call.name in specs
    params = specs[call.name]
    assert set(params.get("required", [])) <= set(call.arguments) <= set(params.get("properties", {}))
    for key, value in call.arguments.items():
        expected = params["properties"][key]["type"]
        assert isinstance(value, {"string": str, "integer": int}[expected]), (key, value)
        if expected == "string":
            assert 1 <= len(value) <= 120
    json.dumps(call.arguments)  # plain JSON values only


def test_the_chat_runs_the_local_model_and_its_tools(gguf: Path, runner: LocalRunner, tmp_path: Path) -> None:
    with Engine.create(tmp_path / "p", PASSPHRASE, use_embedder=False) as engine:
        engine.coaches.install(REPO / "assets" / "coaches" / "dist" / "health.coach")
        reasoner = engine.chat.make_reasoner(
            "local",
            model=str(gguf),
            runner=runner,
            max_tokens=16,
            tool_choice="required",
            seed=3,
            timeout=900,
        )
        pieces: list[str] = []
        reply = engine.chat.send(
            "health", "I sleep badly before exams", reasoner=reasoner, on_text=pieces.append
        )
        if reply.reasoner == "local":
            assert reply.tool_calls and reply.tool_calls[0]["name"] in {
                s["function"]["name"] for s in tools_mod.SPECS
            }
            assert reply.text and "".join(pieces).strip() == reply.text
        else:  # a base model may answer a tool result with nothing: then the turn falls back, saying so
            assert reply.fallback_from == "local" and "Offline reply" in "".join(pieces)
        stored = engine.chat.conversation("health")[-1]
        assert stored.meta["reasoner"] == reply.reasoner


def test_a_model_that_cannot_load_falls_back_to_grounded(tmp_path: Path, gguf: Path) -> None:
    broken = tmp_path / "broken.gguf"
    with gguf.open("rb") as f:
        broken.write_bytes(f.read(50 << 20))
    with Engine.create(tmp_path / "p", PASSPHRASE, use_embedder=False) as engine:
        engine.coaches.install(REPO / "assets" / "coaches" / "dist" / "health.coach")
        cases = [
            (engine.chat.make_reasoner("local", model=str(broken)), "truncated"),
            (engine.chat.make_reasoner("local", model=str(tmp_path / "gone.gguf")), "gone.gguf"),
            (engine.chat.make_reasoner("local"), "no local model is chosen"),
            (engine.chat.make_reasoner("local", model=str(gguf), budget_mb=64), "budget"),
        ]
        for reasoner, words in cases:
            pieces: list[str] = []
            reply = engine.chat.send("health", "I sleep badly", reasoner=reasoner, on_text=pieces.append)
            assert (reply.reasoner, reply.fallback_from) == ("grounded", "local")
            assert words in (reply.notice or ""), reply.notice
            assert "Offline reply" in "".join(pieces) and reply.text
