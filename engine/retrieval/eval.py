"""Evaluating retrieval on a BEIR-format set: index the corpus once, run each method, score each query.

Used by `lifeos eval retrieval`, `bench/retrieval_eval.py` and the quality-floor tests, so all three
report the same numbers for the same set. It drives the engine through the two methods it needs
(`engine.knowledge`'s `add` and `search`), passed in as an object, so this module never imports the
facade that imports it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from engine.errors import UsageError
from engine.retrieval import beir, metrics
from engine.retrieval.knowledge import KnowledgeDoc, KnowledgeIndexReport, KnowledgeResults
from engine.retrieval.pipeline import METHODS

EVAL_COACH = "eval"
DEPTH = 100  # Recall@100 needs a hundred results


class Searchable(Protocol):
    def add(
        self, coach_id: str, docs: Sequence[KnowledgeDoc], progress: Callable[[int, int], None] | None = None
    ) -> KnowledgeIndexReport: ...

    def search(
        self, coach_id: str, query: str, *, method: Any = "full", limit: int = 10, rerank: bool | None = None
    ) -> KnowledgeResults: ...


@dataclass(frozen=True)
class EvalSet:
    corpus: list[beir.Passage]
    queries: list[beir.Query]  # only those with judgements
    qrels: beir.Qrels


@dataclass
class MethodReport:
    method: str
    ran_as: str  # "bm25" when dense was asked for but no embedder was available
    metrics: dict[str, float]
    per_query: dict[str, dict[str, Any]] = field(default_factory=dict)  # id → metrics and top ids
    seconds: float = 0.0


@dataclass
class EvalReport:
    corpus_size: int
    queries: int
    index_seconds: float
    vectors: int
    embedder_id: str | None
    methods: list[MethodReport]

    def table(self) -> str:
        """The metrics as a plain-text table, one row per method."""
        head = f"{'method':<8} " + " ".join(f"{m:>10}" for m in metrics.METRICS) + f" {'s/query':>8}"
        rows = [head]
        for r in self.methods:
            label = r.method if r.ran_as == r.method else f"{r.method}*"
            per = r.seconds / max(self.queries, 1)
            rows.append(
                f"{label:<8} " + " ".join(f"{r.metrics[m]:>10.3f}" for m in metrics.METRICS) + f" {per:>8.3f}"
            )
        return "\n".join(rows)


def load(corpus: Path, queries: Path, qrels: Path) -> EvalSet:
    """The three files, with the queries restricted to those that have judgements."""
    passages = beir.load_corpus(corpus)
    judged = beir.load_qrels(qrels)
    asked = [q for q in beir.load_queries(queries) if q.id in judged]
    if not asked:
        raise UsageError("no query in the queries file has a judgement in the qrels file")
    return EvalSet(passages, asked, judged)


def index(
    engine: Searchable, data: EvalSet, progress: Callable[[int, int], None] | None = None
) -> KnowledgeIndexReport:
    docs = [KnowledgeDoc(p.id, p.text, p.title) for p in data.corpus]
    return engine.add(EVAL_COACH, docs, progress)


def run_method(engine: Searchable, data: EvalSet, method: str, *, rerank: bool | None = None) -> MethodReport:
    """Search every query with `method` and score it (top 100 kept for Recall@100)."""
    if method not in METHODS:
        raise UsageError(f"unknown method {method!r}; one of: {', '.join(METHODS)}")
    rows: list[dict[str, float]] = []
    per_query: dict[str, dict[str, Any]] = {}
    ran_as = method
    start = time.perf_counter()
    for q in data.queries:
        result = engine.search(EVAL_COACH, q.text, method=method, limit=DEPTH, rerank=rerank)
        ran_as = result.method
        ranked = [h.ref for h in result.hits]
        scores = metrics.per_query(ranked, data.qrels[q.id])
        rows.append(scores)
        per_query[q.id] = {**scores, "top10": ranked[:10]}
    return MethodReport(method, ran_as, metrics.mean(rows), per_query, time.perf_counter() - start)


def evaluate(
    engine: Searchable,
    data: EvalSet,
    methods: Sequence[str] = METHODS,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> EvalReport:
    """Index `data` into `engine` (a fresh profile: the eval coach must be empty) and run `methods`."""
    start = time.perf_counter()
    report = index(engine, data, progress)
    seconds = time.perf_counter() - start
    runs = [run_method(engine, data, m) for m in methods]
    return EvalReport(len(data.corpus), len(data.queries), seconds, report.vectors, report.embedder_id, runs)
