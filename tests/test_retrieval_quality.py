"""Quality floors on the public stoic set (../shared/data/stoic), after qmd's eval tests.

The passages' vectors come from `testkit/data/stoic_vectors.npz`: the real default embedder's output
for every passage and window, saved once (as a coach pack ships its prebuilt index) because
embedding 7,000 vectors takes many minutes on two cores. `test_cached_vectors_are_the_embedders`
re-embeds a sample live to prove they are current; when the embedder changes (another embedder id),
the fixture embeds the corpus live instead, slowly, and the floors still apply. Queries are always
embedded live. Floors sit a little under the measured figures, so a regression fails and noise
does not.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.api import Engine
from engine.retrieval import eval as retrieval_eval
from engine.retrieval.knowledge import embedding_text
from engine.types import EvalSet, KnowledgeDoc, Models, Prebuilt
from tests.conftest import PASSPHRASE, SHARED

pytestmark = pytest.mark.slow

STOIC = SHARED / "data" / "stoic"
CACHE = Path(__file__).resolve().parents[1] / "testkit" / "data" / "stoic_vectors.npz"
TOLERANCE = 0.02
# Measured on the public queries (see the retrieval report); floors are these minus TOLERANCE.
MEASURED = {
    "bm25": {"ndcg@10": 0.131, "recall@10": 0.127, "recall@100": 0.333},
    "dense": {"ndcg@10": 0.240, "recall@10": 0.231, "recall@100": 0.517},
    "hybrid": {"ndcg@10": 0.225, "recall@10": 0.218, "recall@100": 0.540},
    "full": {"ndcg@10": 0.318, "recall@10": 0.307, "recall@100": 0.571},
}


def load_cache(embedder_id: str) -> Prebuilt | None:
    if not CACHE.is_file():
        return None
    saved = np.load(CACHE)
    if str(saved["embedder_id"]) != embedder_id:
        return None
    matrix = saved["int8"].astype(np.float32) / 127.0
    out: dict[str, np.ndarray] = {}
    row = 0
    for ref, n in zip(saved["refs"], saved["counts"], strict=True):
        out[str(ref)] = matrix[row : row + int(n)]
        row += int(n)
    return Prebuilt(embedder_id, out)


@pytest.fixture(scope="module")
def models():
    m = Models()
    yield m
    m.close()


@pytest.fixture(scope="module")
def stoic() -> EvalSet:
    if not (STOIC / "corpus.jsonl").is_file():
        pytest.fail(f"the stoic evaluation set is missing: {STOIC}")
    return retrieval_eval.load(
        STOIC / "corpus.jsonl", STOIC / "public" / "queries.jsonl", STOIC / "public" / "qrels.tsv"
    )


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory, models: Models, stoic: EvalSet):
    home = tmp_path_factory.mktemp("stoic") / "profile"
    with Engine.create(home, PASSPHRASE, models=models) as engine:
        prebuilt = load_cache(models.embedder.embedder_id)
        if prebuilt is not None:
            docs = [KnowledgeDoc(p.id, p.text, p.title) for p in stoic.corpus]
            engine.knowledge.add(retrieval_eval.EVAL_COACH, docs, prebuilt=prebuilt)
        else:
            retrieval_eval.index(engine.knowledge, stoic)
        yield engine


@pytest.fixture(scope="module")
def reports(indexed: Engine, stoic: EvalSet) -> dict[str, retrieval_eval.MethodReport]:
    return {
        m: retrieval_eval.run_method(indexed.knowledge, stoic, m) for m in ("bm25", "dense", "hybrid", "full")
    }


def test_cached_vectors_are_the_embedders(models: Models, stoic: EvalSet):
    prebuilt = load_cache(models.embedder.embedder_id)
    if prebuilt is None:
        pytest.skip("no cached vectors for this embedder: the quality tests embed the corpus live")
    sample = stoic.corpus[::400]
    live = models.embedder.embed_batch([embedding_text(p.title, p.text) for p in sample])
    for passage, vector in zip(sample, live, strict=True):
        cached = prebuilt.vectors[passage.id][0]
        assert float(cached @ vector) / float(np.linalg.norm(cached)) > 0.99


@pytest.mark.parametrize("method", list(MEASURED))
def test_quality_floor(reports: dict[str, retrieval_eval.MethodReport], method: str):
    got = reports[method]
    assert got.ran_as == method
    for metric, measured in MEASURED[method].items():
        assert got.metrics[metric] >= measured - TOLERANCE, f"{method} {metric}: {got.metrics[metric]:.3f}"


def test_full_beats_every_single_method(reports: dict[str, retrieval_eval.MethodReport]):
    full = reports["full"].metrics
    for single in ("bm25", "dense"):
        assert full["ndcg@10"] >= reports[single].metrics["ndcg@10"] + 0.03
        assert full["recall@10"] >= reports[single].metrics["recall@10"]
        assert full["recall@100"] >= reports[single].metrics["recall@100"]


def test_full_reaches_the_target(reports: dict[str, retrieval_eval.MethodReport]):
    assert reports["full"].metrics["ndcg@10"] >= 0.30


def test_keyword_questions_are_not_lost_to_vectors(
    reports: dict[str, retrieval_eval.MethodReport], stoic: EvalSet
):
    """Where BM25 is at its best (queries sharing words with the answers), full must not fall below it."""
    import json

    styles = {}
    with (STOIC / "public" / "queries.jsonl").open() as handle:
        for line in handle:
            row = json.loads(line)
            styles[row["_id"]] = row.get("metadata", {}).get("style")
    keyword = [q.id for q in stoic.queries if styles.get(q.id) == "keyword-overlap"]
    assert keyword

    def mean(method: str) -> float:
        return float(np.mean([reports[method].per_query[q]["ndcg@10"] for q in keyword]))

    assert mean("full") >= mean("bm25")
