"""The coach's playbook: its format is checked when a pack is built, it travels in the pack with its
vectors, the composer picks moves for what the person asks, and `lifeos eval chat` measures it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.api import Engine
from engine.chat.intent import detect_intent
from engine.coaches.playbook import parse_file, parse_files
from engine.errors import PackError
from engine.types import KdfParams, Models, build_pack, open_pack
from tests.conftest import PASSPHRASE, REPO, SHARED, run_cli

FAST = KdfParams(time_cost=1, memory_kib=8 * 1024)
GOOD = b"""
[[moves]]
id = "breathe"
kind = "technique"
situations = ["I feel panicky before meetings"]
moments = ["opening"]
intents = ["advice"]
text = "Try a slow breath first."
steps = ["Breathe in for four.", "Out for six."]
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b'[[moves]]\nid = "x"\nkind = "lecture"\nsituations = ["a"]\ntext = "t"\n', "'kind' must be one of"),
        (b'[[moves]]\nid = "Bad Id"\nkind = "reframe"\nsituations = ["a"]\ntext = "t"\n', "'id' must be"),
        (b'[[moves]]\nid = "x"\nkind = "plan"\nsituations = ["a"]\ntext = "t"\n', "a plan needs its 'steps'"),
        (b'[[moves]]\nid = "x"\nkind = "reframe"\nsituations = []\ntext = "t"\n', "at least one situation"),
        (
            b'[[moves]]\nid = "x"\nkind = "reframe"\nsituations = ["a"]\nmoments = ["later"]\ntext = "t"\n',
            "'moments'",
        ),
        (b"[[moves]\nid = 1", "not a readable TOML playbook"),
    ],
)
def test_a_bad_move_is_refused_naming_the_file_and_the_move(text: bytes, message: str) -> None:
    with pytest.raises(PackError, match=message) as caught:
        parse_file("playbook/moves.toml", text)
    assert "playbook/moves.toml" in str(caught.value)


def test_move_ids_are_unique_across_files() -> None:
    assert [m.id for m in parse_files({"a.toml": GOOD})] == ["breathe"]
    with pytest.raises(PackError, match=r"'breathe' is already used in a\.toml"):
        parse_files({"a.toml": GOOD, "b.toml": GOOD})


def test_the_playbook_travels_in_the_pack_and_a_broken_one_fails_the_build(tmp_path: Path) -> None:
    src = tmp_path / "coach"
    shutil.copytree(REPO / "assets" / "coaches" / "wealth", src)
    models = Models()
    try:
        embedder = models.embedder
        report = build_pack(src, tmp_path / "w.coach", embedder=embedder)
        pack = open_pack(tmp_path / "w.coach")
        moves = pack.playbook()
        vectors = pack.playbook_vectors()
        assert report.manifest.sizes["moves"] == len(moves) >= 40
        assert vectors is not None and set(vectors[0]) == {m.id for m in moves}
        assert len(vectors[0]) == sum(len(m.situations) + 1 for m in moves)  # each situation and the text
        (src / "playbook" / "extra.toml").write_bytes(
            GOOD.replace(b'"breathe"', b'"x"').replace(b"steps", b"#")
        )
        with pytest.raises(PackError, match=r"extra\.toml, move 'x': a technique needs its 'steps'"):
            build_pack(src, tmp_path / "broken.coach", embedder=embedder)
        assert not (tmp_path / "broken.coach").exists()
    finally:
        models.close()


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("What should I say when she asks why I left?", "words"),
        ("How do I tell my partner I want to change jobs?", "words"),
        ("Could you write me a plan for the next three weeks?", "plan"),
        ("Should I take the offer or stay where I am?", "decision"),
        ("How can I stop checking my phone at night?", "advice"),
        ("My landlord raised the rent again and I'm exhausted.", "vent"),
    ],
)
def test_what_the_person_wants_is_recognised(message: str, intent: str) -> None:
    assert detect_intent(message) == intent


def test_each_coach_answers_a_request_for_words_with_a_script(tmp_path: Path) -> None:
    with Engine.create(tmp_path / "p", PASSPHRASE, kdf=FAST) as engine:
        engine.coaches.install_bundled()
        for coach, message in (
            ("wealth", "How do I ask my manager for a raise? What should I say?"),
            ("health", "What should I say to my family about cooking healthier meals?"),
        ):
            reply = engine.chat.send(coach, message)
            assert '> "' in reply.text, reply.text  # the words themselves, quoted line by line


@pytest.mark.slow
def test_eval_chat_reports_quotes_repetition_echo_and_latency(tmp_path: Path) -> None:
    stoic = SHARED / "data" / "stoic"
    scenarios = SHARED / "data" / "chat" / "scenarios.jsonl"
    if not scenarios.is_file() or not (stoic / "corpus.jsonl").is_file():
        pytest.skip("the shared evaluation data is not here")
    result = run_cli(
        "eval",
        "chat",
        "--corpus",
        str(stoic / "corpus.jsonl"),
        "--queries",
        str(stoic / "public" / "queries.jsonl"),
        "--qrels",
        str(stoic / "public" / "qrels.tsv"),
        "--vectors",
        str(REPO / "testkit" / "data" / "stoic_vectors.npz"),
        "--scenarios",
        str(scenarios),
        "--calibrate",
        "--json",
        passphrase=None,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    single, multi = out["single_turn"], out["multi_turn"]
    assert single["replies"] == 80 and single["quoting"] >= 5
    assert single["on_topic"] >= 0.7 and single["citation_precision"] >= 0.6  # floors below the target
    assert multi["replies"] == 30 and multi["repeated_sentences"] <= 0.02 and multi["echo"] <= 0.1
    assert out["calibration"]["rows"] and len(multi["transcripts"]) == 10
    bad = run_cli("eval", "chat", "--corpus", str(stoic / "corpus.jsonl"), passphrase=None)
    assert bad.returncode == 2 and "needs all three" in bad.stderr


def test_the_readme_example_move_is_valid() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    (move,) = parse_file("README.md", block.encode())
    assert move.kind == "script" and move.intents == ("words",) and len(move.steps) == 2
