"""The `openai` reasoner against a mock of a cloud LLM: an OpenAI-compatible chat-completions server,
in-process through httpx's transport and once over a real loopback socket."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from engine.api import Engine
from engine.chat.openai_compat import OpenAIReasoner
from engine.types import Models
from testkit.coaches import MockCloudLLM, build_stoic
from tests.conftest import PASSPHRASE, run_cli

pytestmark = pytest.mark.slow
BASE = "http://mock-cloud.invalid/v1"


@pytest.fixture(scope="module")
def models():
    m = Models()
    yield m
    m.close()


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, models: Models):
    root = tmp_path_factory.mktemp("openai")
    build_stoic(models, root / "stoic.coach")
    with Engine.create(root / "p", PASSPHRASE, models=models) as eng:
        eng.coaches.install(root / "stoic.coach")
        yield eng


def _reasoner(engine: Engine, mock: MockCloudLLM, **extra: object) -> OpenAIReasoner:
    reasoner = engine.chat.make_reasoner(
        "openai", base_url=BASE, model="kimi-k2.5", api_key="sk-test", transport=mock.transport(), **extra
    )
    assert isinstance(reasoner, OpenAIReasoner)
    return reasoner


def test_mock_cloud_llm_reply_streams_and_cites(engine: Engine, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("LIFEOS_API_KEY", raising=False)
    mock = MockCloudLLM()
    pieces: list[str] = []
    reply = engine.chat.send(
        "stoic",
        "I am anxious about tomorrow's review",
        reasoner=_reasoner(engine, mock),
        on_text=pieces.append,
    )
    assert len(pieces) > 5 and "".join(pieces).strip() == reply.text  # streamed, word by word
    assert reply.reasoner == "openai" and reply.fallback_from is None
    assert reply.text.startswith("I hear you.") and len(reply.citations) == 1
    assert f"[{reply.citations[0].ref}]" in reply.text
    sent = mock.requests[0]
    assert sent["authorization"] == "Bearer sk-test"
    body = sent["body"]
    assert body["stream"] is True and body["model"] == "kimi-k2.5"
    assert {t["function"]["name"] for t in body["tools"]} == {
        "search_knowledge",
        "recall_memory",
        "add_fact",
        "list_deadlines",
        "get_acwr",
        "get_training_load",
        "get_activities",
        "get_goal_confidence",
    }
    assert body["messages"][0]["role"] == "system" and "Stoic Mentor" in body["messages"][0]["content"]
    assert body["messages"][-1] == {"role": "user", "content": "I am anxious about tomorrow's review"}
    assert reply.timings_ms["first_token"] <= reply.timings_ms["reply"]


def test_mock_cloud_llm_tool_call_round_trip(engine: Engine):
    mock = MockCloudLLM()
    reply = engine.chat.send(
        "stoic", "Please look it up: what is in my power?", reasoner=_reasoner(engine, mock)
    )
    assert [c["name"] for c in reply.tool_calls] == ["search_knowledge"]
    assert reply.tool_calls[0]["arguments"] == {"query": "things in our power"}
    found = reply.tool_calls[0]["result"]["passages"]
    assert found and len(mock.requests) == 2
    second = mock.requests[1]["body"]["messages"]
    assert second[-2]["tool_calls"][0]["function"]["name"] == "search_knowledge"
    assert second[-1]["role"] == "tool" and second[-1]["tool_call_id"] == "call_1"
    assert f"[{found[0]['id']}]" in reply.text and [c.ref for c in reply.citations] == [found[0]["id"]]


def test_mock_cloud_llm_429_then_success_is_retried_with_backoff(engine: Engine):
    mock = MockCloudLLM(fail=[429, 503])
    slept: list[float] = []
    reasoner = _reasoner(engine, mock, sleep=slept.append, backoff=0.25)
    reply = engine.chat.send("stoic", "How do I stay calm?", reasoner=reasoner)
    assert reply.reasoner == "openai" and reasoner.attempts == 3
    assert slept == [0.0, 0.5]  # Retry-After: 0 honoured, then exponential backoff (0.25 × 2¹)
    persistent = MockCloudLLM(fail=[429] * 4)
    reply = engine.chat.send(
        "stoic", "How do I stay calm?", reasoner=_reasoner(engine, persistent, sleep=slept.append)
    )
    assert (reply.reasoner, reply.fallback_from) == ("grounded", "openai") and "429" in (reply.notice or "")


def test_mock_cloud_llm_timeout_over_loopback_falls_back_to_grounded(engine: Engine):
    mock = MockCloudLLM(delay=3.0)
    with mock.serve() as base:
        reasoner = engine.chat.make_reasoner("openai", base_url=base, model="kimi-k2.5", timeout=0.5)
        pieces: list[str] = []
        reply = engine.chat.send(
            "stoic",
            "How do I stop being angry at people who wrong me?",
            reasoner=reasoner,
            on_text=pieces.append,
        )
    assert (reply.reasoner, reply.fallback_from) == ("grounded", "openai")
    assert "did not answer in time" in (reply.notice or "") and "Offline reply" in "".join(pieces)
    assert reply.citations and reply.text.endswith("?")
    assert engine.chat.conversation("stoic")[-1].meta["fallback_from"] == "openai"


def test_no_network_falls_back_at_once(engine: Engine):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    reasoner = engine.chat.make_reasoner(
        "openai", base_url=f"http://127.0.0.1:{port}/v1", model="m", timeout=2
    )
    reply = engine.chat.send("stoic", "I can't sleep before exams", reasoner=reasoner)
    assert reply.reasoner == "grounded" and "unreachable" in (reply.notice or "")


def test_reasoner_settings_and_the_api_key_stay_encrypted_in_the_profile(tmp_path: Path):
    home = str(tmp_path / "h")
    assert run_cli("--home", home, "init").returncode == 0
    set_ = run_cli(
        "--home",
        home,
        "reasoner",
        "set",
        "openai",
        "--base-url",
        "http://127.0.0.1:9/v1",
        "--model",
        "kimi-k2.5",
        "--api-key-stdin",
        stdin="sk-very-secret-key\n",
    )
    assert set_.returncode == 0, set_.stderr
    shown = json.loads(run_cli("--home", home, "reasoner", "show", "--json").stdout)
    assert (shown["name"], shown["model"], shown["api_key"]) == ("openai", "kimi-k2.5", "profile")
    assert "sk-very-secret-key" not in json.dumps(shown)
    assert all(b"sk-very-secret-key" not in p.read_bytes() for p in Path(home).rglob("*") if p.is_file())
    env = run_cli("--home", home, "reasoner", "show", "--json", env={"LIFEOS_API_KEY": "x"})
    assert json.loads(env.stdout)["api_key"] == "environment"
    assert run_cli("--home", home, "reasoner", "set", "nonsense").returncode == 2
