"""Rerankers: the default MaxSim on real MiniLM, and the ONNX cross-encoder on a graph built here."""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import pytest

from engine.errors import ModelCorrupt
from engine.inference import packages
from engine.inference.onnx_graph import _encode_node, _len_field, _varint_field
from engine.inference.reranker import OnnxCrossEncoder
from engine.types import Models

pytestmark = pytest.mark.slow

COACHING = [
    (
        "How do I stay motivated to keep running?",
        [
            "File your expenses before the end of the quarter.",
            "Runners stay motivated by setting small weekly distance goals and joining a club.",
            "A balanced breakfast includes protein and fibre.",
            "Meditation can start with two minutes of breathing a day.",
        ],
        1,
    ),
    (
        "What should I do when I can't fall asleep?",
        [
            "If you cannot sleep after twenty minutes, get up and read in dim light until you feel drowsy.",
            "Interval training improves your 5k time.",
            "Negotiate a raise by preparing evidence of your impact.",
            "Compound interest rewards starting to save early.",
        ],
        0,
    ),
    (
        "How can I save money for an emergency fund?",
        [
            "Stretch your hamstrings after every run.",
            "Journaling before bed helps you process the day.",
            "Automate a monthly transfer into a separate savings account until it covers three months of costs.",
            "Ask open questions in one-to-one meetings.",
        ],
        2,
    ),
    (
        "Tips for giving feedback to my team",
        [
            "Drink water before you feel thirsty.",
            "Index funds have low fees.",
            "Sleep in a cool, dark room.",
            "Give feedback soon, describe the specific behaviour and its impact, then ask for their view.",
        ],
        3,
    ),
    (
        "How to reduce stress at work",
        [
            "Take short breaks, set boundaries on after-hours email and practise slow breathing when stressed.",
            "Marathon tapering starts three weeks before race day.",
            "Budget apps categorise your spending.",
            "A good mattress lasts about eight years.",
        ],
        0,
    ),
]


@pytest.fixture(scope="module")
def models():
    m = Models()
    yield m
    m.close()


@pytest.mark.parametrize(("query", "passages", "relevant"), COACHING)
def test_maxsim_puts_the_relevant_passage_first(models, query, passages, relevant):
    ranked = models.reranker.rerank(query, passages)
    assert ranked[0].index == relevant
    assert [r.score for r in ranked] == sorted((r.score for r in ranked), reverse=True)


def test_rerank_of_nothing_is_nothing(models):
    assert models.reranker.rerank("anything", []) == []


# -- a tiny cross-encoder, built as ONNX protobuf bytes ------------------------------------------


def _tensor(name: str, data_type: int, dims: list[int], raw: bytes) -> bytes:
    body = b"".join(_varint_field(1, d) for d in dims) + _varint_field(2, data_type)
    body += _len_field(8, name.encode()) + _len_field(9, raw)
    return _len_field(5, body)  # GraphProto.initializer


def _value_info(field: int, name: str, elem_type: int, dims: list[str]) -> bytes:
    shape = b"".join(_len_field(1, _len_field(2, d.encode())) for d in dims)
    tensor_type = _varint_field(1, elem_type) + _len_field(2, shape)
    return _len_field(field, _len_field(1, name.encode()) + _len_field(2, _len_field(1, tensor_type)))


def tiny_cross_encoder(path: Path, vocab_size: int, relevant_ids: list[int]) -> None:
    """score = how many passage tokens (token_type 1) are among `relevant_ids`; shape (batch, 1)."""
    table = [0.0] * vocab_size
    for i in relevant_ids:
        table[i] = 1.0
    nodes = _encode_node("Gather", ["table", "input_ids"], ["hits"], "lookup", axis=0)
    nodes += _encode_node("Cast", ["attention_mask"], ["maskf"], "mask", to=1)
    nodes += _encode_node("Cast", ["token_type_ids"], ["segf"], "segment", to=1)
    nodes += _encode_node("Mul", ["hits", "maskf"], ["masked"], "m1")
    nodes += _encode_node("Mul", ["masked", "segf"], ["passage_hits"], "m2")
    nodes += _encode_node("ReduceSum", ["passage_hits", "axes"], ["logits"], "sum", keepdims=1)
    graph = nodes + _len_field(2, b"tiny-cross-encoder")
    graph += _tensor("table", 1, [vocab_size], struct.pack(f"<{vocab_size}f", *table))
    graph += _tensor("axes", 7, [1], struct.pack("<q", 1))
    for name in ("input_ids", "attention_mask", "token_type_ids"):
        graph += _value_info(11, name, 7, ["batch", "sequence"])
    graph += _value_info(12, "logits", 1, ["batch", "one"])
    opset = _len_field(8, _len_field(1, b"") + _varint_field(2, 13))
    path.write_bytes(_varint_field(1, 8) + opset + _len_field(7, graph))


@pytest.fixture(scope="module")
def cross_encoder_dir(tmp_path_factory) -> Path:
    from tokenizers import Tokenizer

    folder = tmp_path_factory.mktemp("models") / "tiny-ce"
    folder.mkdir()
    tokenizer_file = packages.minilm_tokenizer().path
    shutil.copyfile(tokenizer_file, folder / "tokenizer.json")
    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    relevant = [tokenizer.token_to_id(w) for w in ("marathon", "training")]
    tiny_cross_encoder(folder / "model.onnx", tokenizer.get_vocab_size(), relevant)
    manifest = {"name": "tiny-ce", "role": "reranker", "backend": "onnx-cross-encoder", "default": True}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def test_cross_encoder_loads_and_scores_pairs(cross_encoder_dir):
    encoder = OnnxCrossEncoder(
        "tiny", "test", cross_encoder_dir / "model.onnx", cross_encoder_dir / "tokenizer.json"
    )
    scores = encoder.score_batch(
        "marathon training", ["I baked bread", "my marathon training plan", "marathon marathon marathon"]
    )
    assert scores.tolist() == [0.0, 2.0, 3.0]  # the query's own tokens (segment 0) do not count
    assert [
        r.index for r in encoder.rerank("marathon", ["bread", "marathon day", "a marathon training"])
    ] == [2, 1, 0]
    assert encoder.is_loaded


def test_user_added_cross_encoder_becomes_the_reranker(cross_encoder_dir):
    models = Models(extra_dirs=[cross_encoder_dir.parent])
    assert models.reranker.name == "tiny-ce"
    assert models.reranker.rerank("marathon", ["bread", "a marathon"])[0].index == 1
    rows = {r.name: r for r in models.status()}
    assert rows["tiny-ce"].default and not rows["maxsim-minilm-l6-v2-int8"].default
    assert rows["tiny-ce"].loaded and rows["tiny-ce"].memory_bytes > 0
    models.close()
    assert not models.reranker.is_loaded


def test_corrupt_cross_encoder_gives_a_clear_error(tmp_path, cross_encoder_dir):
    bad = tmp_path / "model.onnx"
    bad.write_bytes((cross_encoder_dir / "model.onnx").read_bytes()[:200])
    encoder = OnnxCrossEncoder("half", "test", bad, cross_encoder_dir / "tokenizer.json")
    with pytest.raises(ModelCorrupt, match=r"cross-encoder 'half'.*damaged or not an ONNX model"):
        encoder.score("q", "p")
