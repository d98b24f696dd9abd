"""Knowledge search latency per stage at growing corpus sizes, and index build throughput.

How the corpora are made:
- The base is the stoic corpus (../shared/data/stoic, 1,985 passages), indexed for real through
  `engine.knowledge.add` with the default embedder (passage vectors plus 128-token windows); this
  measures build throughput (passages/s and vectors/s, embedding included). `--real N` embeds only
  the first N passages for real, to keep a run short; the rest of the base is then synthesised too.
- Larger sizes repeat the base with perturbed copies, each its own document: every copy drops about
  one word in ten, replaces about one in twenty with a word drawn from the corpus, and shuffles its
  sentences; its vectors are the base passage's real vectors plus Gaussian noise (σ = 0.03 per
  dimension, renormalised: cosine about 0.86 to the original), stored as a prebuilt index
  (`Engine.knowledge.add(prebuilt=...)`) since embedding 100k passages for real takes hours on two
  cores. So FTS5 postings, vector neighbourhoods and document sizes grow as a real library would.
- Queries are the 80 public stoic queries. Each query runs once untimed (embedding it and warming the
  page cache); the timed runs reuse the cached query vector, as a chat turn would, and the cost of
  embedding a new query is measured on its own (`query_embed_cold`).

    .venv/bin/python bench/retrieval_bench.py [--sizes 2000,20000,100000] [--real 1985] [--json PATH]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import SHARED_DATA, emit, peak_rss_mb, percentiles

from engine.api import Engine
from engine.types import KnowledgeDoc, Passage, Prebuilt, load_corpus, load_queries

COACH = "bench"
NOISE = 0.03
METHODS = ("bm25", "dense", "hybrid", "full")


def perturb_text(text: str, rng: random.Random, vocab: list[str]) -> str:
    sentences = re.split(r"(?<=[.;:!?])\s+", text)
    rng.shuffle(sentences)
    words = " ".join(sentences).split()
    out = []
    for w in words:
        roll = rng.random()
        if roll < 0.10:
            continue
        out.append(rng.choice(vocab) if roll < 0.15 else w)
    return " ".join(out) or text


def perturb_vectors(matrix: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    noisy = matrix + rng.normal(0.0, NOISE, size=matrix.shape).astype(np.float32)
    return noisy / np.linalg.norm(noisy, axis=1, keepdims=True)


def synthesise(
    base: list[Passage], base_vectors: dict[str, np.ndarray], count: int, start_copy: int, seed: int
) -> tuple[list[KnowledgeDoc], dict[str, np.ndarray]]:
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    vocab = sorted({w for p in base[:500] for w in p.text.split() if w.isalpha()})
    docs: list[KnowledgeDoc] = []
    vecs: dict[str, np.ndarray] = {}
    copy = start_copy
    while len(docs) < count:
        for p in base:
            if len(docs) >= count:
                break
            ref = f"{p.id}~{copy}"
            docs.append(KnowledgeDoc(ref, perturb_text(p.text, rng, vocab), f"{p.title} [copy {copy}]"))
            vecs[ref] = perturb_vectors(base_vectors[p.id], nrng)
        copy += 1
    return docs, vecs


def time_queries(engine: Engine, queries: list[str], method: str, rerank: bool = False) -> dict[str, Any]:
    totals: list[float] = []
    stages: dict[str, list[float]] = {}
    for q in queries:
        start = time.perf_counter()
        result = engine.knowledge.search(COACH, q, method=method, limit=10, rerank=rerank)  # type: ignore[arg-type]
        totals.append(time.perf_counter() - start)
        for stage, ms in result.timings_ms.items():
            stages.setdefault(stage, []).append(ms / 1000)
    return {"total": percentiles(totals), **{s: percentiles(v) for s, v in stages.items() if s != "embed"}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,20000,100000", help="comma-separated passage counts")
    parser.add_argument(
        "--real", type=int, default=1985, help="passages embedded for real (the rest synthesised)"
    )
    parser.add_argument("--queries", type=int, default=80, help="queries timed per method and size")
    parser.add_argument("--rerank-queries", type=int, default=10, help="queries timed with the rerank (slow)")
    parser.add_argument("--json", help="write the results here as JSON")
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    data = SHARED_DATA / "stoic"
    base = load_corpus(data / "corpus.jsonl")
    queries = [q.text for q in load_queries(data / "public" / "queries.jsonl")][: args.queries]
    results: dict[str, Any] = {"benchmark": "retrieval", "noise_sigma": NOISE, "sizes": {}}

    with (
        tempfile.TemporaryDirectory() as tmp,
        Engine.create(Path(tmp) / "p", "retrieval-bench-pass") as engine,
    ):
        real = base[: args.real]
        start = time.perf_counter()
        report = engine.knowledge.add(COACH, [KnowledgeDoc(p.id, p.text, p.title) for p in real])
        seconds = time.perf_counter() - start
        results["queries_timed"] = len(queries)
        results["build_real"] = {
            "passages": report.passages,
            "vectors": report.vectors,
            "seconds": round(seconds, 1),
            "passages_per_s": round(report.passages / seconds, 2),
            "vectors_per_s": round(report.vectors / seconds, 2),
            "embedder_id": report.embedder_id,
        }
        print(f"real build: {results['build_real']}", file=sys.stderr)
        exported = engine.knowledge.export_vectors(COACH)
        if exported is None:
            raise SystemExit("no embedder: the latency bench needs the default embedder installed")
        base_vectors = dict(exported.vectors)
        stocked = len(real)
        copy = 1
        for size in sizes:
            added, build_s = max(0, size - stocked), 0.0
            if added:
                docs, vecs = synthesise(real, base_vectors, added, copy, seed=size)
                copy += added // max(len(real), 1) + 1
                start = time.perf_counter()
                engine.knowledge.add(COACH, docs, prebuilt=Prebuilt(exported.embedder_id, vecs))
                build_s = time.perf_counter() - start
                stocked = size
            engine.notes.optimize_indexes()
            for q in queries:  # cold pass: embeds every query once, warms the page cache
                engine.knowledge.search(COACH, q, method="full", limit=10)
            row: dict[str, Any] = {
                "passages": stocked,
                "synthesised_added": added,
                "prebuilt_insert_s": round(build_s, 1),
                "prebuilt_passages_per_s": round(added / build_s, 1) if build_s else None,
            }
            for method in METHODS:
                row[method] = time_queries(engine, queries, method)
            row["full+rerank"] = time_queries(engine, queries[: args.rerank_queries], "full", rerank=True)
            results["sizes"][str(size)] = row
            print(
                f"{stocked:>7} passages  full p50 {row['full']['total']['p50_ms']:.1f} ms  "
                f"p95 {row['full']['total']['p95_ms']:.1f} ms  (+rerank p95 "
                f"{row['full+rerank']['total']['p95_ms']:.0f} ms)",
                file=sys.stderr,
            )
        results["query_embed_cold"] = _cold_embed(engine, queries)
    results["peak_rss_mb"] = peak_rss_mb()
    _print(results)
    emit(results, args.json)
    return 0


def _cold_embed(engine: Engine, queries: list[str]) -> dict[str, float]:
    """Query embedding cost on texts never seen (search caches query vectors, hiding it)."""
    embedder = engine.models.embedder
    samples = []
    for q in queries[:40]:
        start = time.perf_counter()
        embedder.embed_batch([q + " (asked again, differently)"], kind="query")
        samples.append(time.perf_counter() - start)
    return percentiles(samples)


def _print(results: dict[str, Any]) -> None:
    print(f"\nbuild (real embedder): {results['build_real']}")
    print(f"query embedding, cold: {results['query_embed_cold']}")
    print(f"\n{'passages':>9} {'method':<12} {'stage':<8} {'p50 ms':>9} {'p95 ms':>9}")
    for size, row in results["sizes"].items():
        for method in (*METHODS, "full+rerank"):
            for stage, stats in row[method].items():
                print(f"{size:>9} {method:<12} {stage:<8} {stats['p50_ms']:>9.2f} {stats['p95_ms']:>9.2f}")


if __name__ == "__main__":
    raise SystemExit(main())
