"""Pure parts of retrieval: metrics, fusion, blending, windows, BEIR loading, query words, rowids."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest

from engine.errors import DataError
from engine.retrieval import beir, chunking, fts, fusion, knowledge, metrics

# -- metrics -------------------------------------------------------------------------------------


def test_ndcg_recall_mrr_match_hand_computed_values():
    qrels = {"a": 2, "b": 1, "c": 1}
    ranked = ["x", "a", "y", "b"]
    dcg = 2 / math.log2(3) + 1 / math.log2(5)
    idcg = 2 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(4)
    assert metrics.ndcg_at_k(ranked, qrels) == pytest.approx(dcg / idcg)
    assert metrics.recall_at_k(ranked, qrels, 10) == pytest.approx(2 / 3)
    assert metrics.recall_at_k(ranked, qrels, 1) == 0.0
    assert metrics.mrr_at_k(ranked, qrels) == 0.5
    assert metrics.ndcg_at_k(["a", "b", "c"], qrels) == pytest.approx(1.0)


def test_metrics_ignore_zero_grades_and_empty_judgements():
    assert metrics.mrr_at_k(["z"], {"z": 0}) == 0.0
    assert metrics.recall_at_k(["z"], {"z": 0}, 10) == 0.0
    assert metrics.ndcg_at_k(["z"], {}) == 0.0
    assert metrics.mean([]) == dict.fromkeys(metrics.METRICS, 0.0)


# -- fusion --------------------------------------------------------------------------------------


def test_rrf_sums_reciprocal_ranks_and_weights():
    fused = fusion.rrf([["a", "b"], ["b", "c"]], k=60)
    assert fused == {"a": 1 / 61, "b": 1 / 62 + 1 / 61, "c": 1 / 62}
    assert fusion.ranking(fused) == ["b", "a", "c"]
    weighted = fusion.rrf([["a"], ["b"]], weights=[1.0, 0.5])
    assert weighted["a"] == pytest.approx(2 * weighted["b"])
    with pytest.raises(ValueError):
        fusion.rrf([["a"]], weights=[1.0, 2.0])


def test_normalise_and_weighted_sum():
    assert fusion.normalise({"a": 2.0, "b": 4.0, "c": 3.0}) == {"a": 0.0, "b": 1.0, "c": 0.5}
    assert fusion.normalise({"a": 5.0}) == {"a": 1.0}
    assert fusion.normalise({}) == {}
    fused = fusion.weighted_sum([{"a": 0.9, "b": 0.5}, {"b": 10.0, "c": 2.0}], [1.0, 0.3])
    assert fused == pytest.approx({"a": 1.0, "b": 0.3, "c": 0.0})


def test_ranking_is_stable_for_ties():
    assert fusion.ranking({"x": 1.0, "y": 1.0, "z": 2.0}) == ["z", "x", "y"]


def test_position_aware_blend_protects_the_top():
    fused_order = ["a", "b", "c", "d"]
    fused_scores = {"a": 4.0, "b": 3.0, "c": 2.0, "d": 1.0}
    # The reranker prefers d strongly; a keeps 75 % of its (normalised) fusion score, d only 60 %.
    blended = fusion.position_aware_blend(fused_order, fused_scores, {"a": 0.0, "b": 0.1, "c": 0.2, "d": 1.0})
    assert blended["a"] == pytest.approx(0.75)
    assert blended["d"] == pytest.approx(0.40)
    assert fusion.ranking(blended)[0] == "a"
    assert (
        fusion.blend_weight(1) == 0.75 and fusion.blend_weight(4) == 0.60 and fusion.blend_weight(11) == 0.40
    )
    # A key the reranker did not score keeps only its weighted fusion share.
    partial = fusion.position_aware_blend(fused_order, fused_scores, {"a": 1.0})
    assert partial["b"] == pytest.approx(0.75 * (2 / 3))


# -- windows -------------------------------------------------------------------------------------


def _words(texts):
    return [len(t.split()) + 2 for t in texts]


def test_short_passage_is_one_window_of_itself():
    assert chunking.passage_windows("One short thought.", 50, _words) == ["One short thought."]


def test_windows_fit_overlap_by_a_sentence_and_cover_everything():
    sentences = [f"Sentence number {i} has exactly seven words." for i in range(12)]
    text = " ".join(sentences)
    pieces = chunking.passage_windows(text, 30, _words)
    assert len(pieces) > 1
    assert all(_words([p])[0] <= 30 for p in pieces)
    for left, right in itertools.pairwise(pieces):
        assert chunking.split_sentences(left)[-1] == chunking.split_sentences(right)[0]
    covered = {s for p in pieces for s in chunking.split_sentences(p)}
    assert covered == set(sentences)


def test_an_overlong_sentence_is_cut_by_words():
    text = "word " * 100
    pieces = chunking.passage_windows(text.strip() + ".", 20, _words)
    assert all(_words([p])[0] <= 20 for p in pieces)
    assert sum(len(p.split()) for p in pieces) >= 100


def test_windows_point_back_at_their_passage():
    ws = chunking.windows(["Short.", "A. " * 40], 12, _words)
    assert ws[0] == chunking.Window(0, 0, "Short.")
    assert {w.passage for w in ws[1:]} == {1}
    assert [w.index for w in ws if w.passage == 1] == list(range(len(ws) - 1))


def test_window_rowids_round_trip():
    for seq in (1, 77, 2**31):
        for w in (0, 1, 63):
            assert knowledge.passage_seq(knowledge.window_rowid(seq, w)) == seq
    assert knowledge.window_rowid(5, 0) == 5


def test_document_key_groups_parts_of_one_letter():
    assert knowledge.document_key("sen-5-p2", "Letter 5: The Philosopher's Mean (part 2)") == (
        "Letter 5: The Philosopher's Mean"
    )
    assert knowledge.document_key("med-1-1", "Meditations, Book I, 1") == "Meditations, Book I, 1"
    assert knowledge.document_key("x-1", "") == "x-1"


# -- query words ---------------------------------------------------------------------------------


def test_content_words_drop_stop_words_but_never_everything():
    assert fts.content_words("How do I stop my anger taking over?") == ["stop", "anger", "taking"]
    assert fts.content_words("what is it") == ["what", "is", "it"]
    assert fts.content_words("Anger, anger: ANGER") == ["anger"]


# -- BEIR files ----------------------------------------------------------------------------------


def test_beir_loader_reads_a_set(tmp_path: Path):
    (tmp_path / "c.jsonl").write_text(
        '{"_id": "d1", "title": "T", "text": "x"}\n\n{"_id": "d2", "text": "y"}\n'
    )
    (tmp_path / "q.jsonl").write_text('{"_id": "q1", "text": "x?"}\n')
    (tmp_path / "r.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t2\n")
    assert beir.load_corpus(tmp_path / "c.jsonl") == [
        beir.Passage("d1", "T", "x"),
        beir.Passage("d2", "", "y"),
    ]
    assert beir.load_queries(tmp_path / "q.jsonl") == [beir.Query("q1", "x?")]
    assert beir.load_qrels(tmp_path / "r.tsv") == {"q1": {"d1": 2}}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("c.jsonl", '{"_id": "d1", "text": "x"}\n{"_id": "d2", "text": \n', "c.jsonl:2: not valid JSON"),
        ("c.jsonl", '{"_id": "d1"}\n', 'c.jsonl:1: expected an object with "_id"'),
        ("c.jsonl", '{"_id": "d1", "text": "a"}\n{"_id": "d1", "text": "b"}\n', "appears more than once"),
        ("c.jsonl", "", "empty"),
        ("r.tsv", "q1\td1\n", "r.tsv:1: expected query-id"),
        ("r.tsv", "q1\td1\thigh\n", "r.tsv:1: score 'high' is not an integer"),
    ],
)
def test_beir_loader_names_file_and_line(tmp_path: Path, name: str, content: str, message: str):
    path = tmp_path / name
    path.write_text(content)
    loader = beir.load_corpus if name.endswith("jsonl") else beir.load_qrels
    with pytest.raises(DataError, match=message.replace("(", r"\(")):
        loader(path)


def test_beir_loader_missing_file(tmp_path: Path):
    with pytest.raises(DataError, match="corpus file not found"):
        beir.load_corpus(tmp_path / "nope.jsonl")
