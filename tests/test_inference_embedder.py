"""The default embedder on the real MiniLM int8 model: meaning, batching, int8, identity, errors."""

from __future__ import annotations

import shutil
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from engine.errors import ModelCorrupt, ModelUnavailable
from engine.inference import packages, quantize_int8
from engine.inference.embedder import OnnxSentenceEmbedder
from engine.inference.tokens import sub_batches
from engine.types import Models

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def models():
    m = Models()
    yield m
    m.close()


def test_importing_the_engine_loads_no_model_runtime():
    import subprocess

    code = (
        "import sys, engine.inference; m = engine.inference.Models(); m.status(); "
        "print('onnxruntime' in sys.modules, 'spacy' in sys.modules, 'ctranslate2' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "False"]


def test_paraphrase_ranks_above_unrelated(models):
    query = "How can I stick to my running plan when I lose motivation?"
    paraphrase = "Ways to keep training for runs even when motivation fades"
    unrelated = "The quarterly VAT return must be filed with the tax office."
    q = models.embedder.embed(query)
    docs = models.embedder.embed_batch([paraphrase, unrelated])
    similarities = docs @ q
    assert similarities[0] > similarities[1] + 0.3


def test_vectors_are_unit_length_float32_and_batch_independent(models):
    texts = ["short", "a somewhat longer sentence about sleep and recovery", "x " * 400]
    batch = models.embedder.embed_batch(texts)
    assert batch.shape == (3, 384) and batch.dtype == np.float32
    assert np.allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    single = np.stack([models.embedder.embed(t, kind="document") for t in texts])
    assert np.allclose(batch, single, atol=1e-4)


def test_int8_output_scales_by_127_for_sqlite_vec(models):
    vectors = models.embedder.embed_batch(["sleep", "bedtime routine"])
    as_int8 = models.embedder.embed_int8(["sleep", "bedtime routine"])
    assert as_int8.dtype == np.int8
    assert np.array_equal(as_int8, np.rint(vectors * 127).astype(np.int8))
    cosine_from_int8 = float(as_int8[0].astype(np.int32) @ as_int8[1].astype(np.int32)) / 127**2
    assert abs(cosine_from_int8 - float(vectors[0] @ vectors[1])) < 0.02
    assert np.array_equal(quantize_int8(np.array([[1.0, -1.0, 0.003]])), np.array([[127, -127, 0]], np.int8))


def test_concurrent_requests_are_merged_into_fewer_runs(models):
    embedder = models.embedder
    embedder.embed("warm up")
    before = embedder._coalescer.runs
    results: dict[int, np.ndarray] = {}
    barrier = threading.Barrier(8)

    def worker(i: int) -> None:
        barrier.wait()
        results[i] = embedder.embed(f"note number {i} about a morning run")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 8
    assert embedder._coalescer.runs - before < 8
    for i, vector in results.items():
        assert np.allclose(vector, embedder.embed(f"note number {i} about a morning run"), atol=1e-4)


def test_sub_batches_keep_long_texts_apart_and_short_ones_together():
    groups = list(sub_batches([256, 256, 16, 16, 16, 200]))
    assert all(len(g) == 1 for g in groups[:3])
    assert sorted(i for g in groups for i in g) == list(range(6))
    assert len(groups[-1]) == 3  # the three 16-token texts share one run


def test_embedder_id_names_the_model_and_its_bytes(models, tmp_path):
    embedder = models.embedder
    assert embedder.embedder_id.startswith("minilm-l6-v2-int8@")
    assert len(embedder.embedder_id.split("@")[1]) == 12
    copy = tmp_path / "model.onnx"
    shutil.copyfile(embedder.model_file, copy)
    same = OnnxSentenceEmbedder("minilm-l6-v2-int8", "copy", copy, embedder.tokenizer_file, dimension=384)
    assert same.embedder_id == embedder.embedder_id
    with copy.open("ab") as handle:  # a different file (even by one byte) is a different vector space
        handle.write(b"\0")
    changed = OnnxSentenceEmbedder("minilm-l6-v2-int8", "copy", copy, embedder.tokenizer_file, dimension=384)
    assert changed.embedder_id != embedder.embedder_id
    prefixed = OnnxSentenceEmbedder(
        "minilm-l6-v2-int8",
        "pkg",
        embedder.model_file,
        embedder.tokenizer_file,
        dimension=384,
        query_prefix="q: ",
    )
    assert prefixed.embedder_id != embedder.embedder_id


def test_corrupt_model_file_gives_a_clear_error(tmp_path):
    bad = tmp_path / "model.onnx"
    bad.write_bytes(b"this is not an onnx model" * 100)
    embedder = OnnxSentenceEmbedder("broken", "test", bad, packages.minilm_tokenizer().path, dimension=384)
    with pytest.raises(
        ModelCorrupt, match=r"cannot load the embedder 'broken' model .*damaged or not an ONNX"
    ):
        embedder.embed("hello")
    truncated = tmp_path / "truncated.onnx"
    truncated.write_bytes(packages.minilm_onnx().path.read_bytes()[:1_000_000])
    embedder = OnnxSentenceEmbedder("cut", "test", truncated, packages.minilm_tokenizer().path, dimension=384)
    with pytest.raises(ModelCorrupt, match="cut"):
        embedder.embed("hello")


def test_missing_model_file_names_the_path(tmp_path):
    embedder = OnnxSentenceEmbedder(
        "gone", "test", tmp_path / "nope.onnx", packages.minilm_tokenizer().path, dimension=384
    )
    with pytest.raises(ModelUnavailable, match=r"nope\.onnx"):
        embedder.embed("hello")


def test_corrupt_tokenizer_gives_a_clear_error(tmp_path):
    bad = tmp_path / "tokenizer.json"
    bad.write_text("{ not json")
    embedder = OnnxSentenceEmbedder("tok", "test", packages.minilm_onnx().path, bad, dimension=384)
    with pytest.raises(ModelCorrupt, match="tokenizer"):
        embedder.embed("hello")


def test_graph_rewrite_is_exact():
    import onnxruntime as ort

    from engine.inference.onnx_graph import gather_before_dequantize

    data = packages.minilm_onnx().path.read_bytes()
    rewritten, count = gather_before_dequantize(data)
    assert count == 2  # word and position embedding tables
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    original = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    lean = ort.InferenceSession(rewritten, options, providers=["CPUExecutionProvider"])
    ids = np.random.default_rng(0).integers(1000, 30000, (2, 9)).astype(np.int64)
    feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
    assert np.array_equal(original.run(None, feeds)[0], lean.run(None, feeds)[0])


def test_missing_package_path_is_reported(tmp_path):
    assert isinstance(packages.minilm_onnx().path, Path)
    assert packages.package_dir("no_such_package_lifeos") is None
