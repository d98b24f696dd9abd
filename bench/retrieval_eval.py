"""Retrieval quality on a BEIR-format set: nDCG@10, Recall@10, Recall@100 and MRR@10 per method.

The same numbers as `lifeos eval retrieval` (both call `engine.retrieval.eval` through the Engine):
the corpus is indexed into a temporary encrypted profile with the default embedder, then every
method answers every judged query. Defaults to ../shared/data/stoic with its public queries.

    .venv/bin/python bench/retrieval_eval.py [--data DIR] [--method M ...] [--json PATH]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import SHARED_DATA, emit, peak_rss_mb

from engine.api import Engine
from engine.types import RETRIEVAL_METHODS, EvalSet, evaluate_retrieval, load_eval_set


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED_DATA / "stoic", help="folder with corpus.jsonl")
    parser.add_argument("--queries", type=Path, help="default: DATA/public/queries.jsonl")
    parser.add_argument("--qrels", type=Path, help="default: DATA/public/qrels.tsv")
    parser.add_argument(
        "--method", action="append", choices=RETRIEVAL_METHODS, help="repeatable; default: all"
    )
    parser.add_argument("--per-query", action="store_true", help="include per-query results in the JSON")
    parser.add_argument("--json", help="write the results here as JSON")
    args = parser.parse_args(argv)
    data: EvalSet = load_eval_set(
        args.data / "corpus.jsonl",
        args.queries or args.data / "public" / "queries.jsonl",
        args.qrels or args.data / "public" / "qrels.tsv",
    )

    def progress(done: int, total: int) -> None:
        print(f"\rindexing: {done}/{total} vectors", end="" if done < total else "\n", file=sys.stderr)

    with (
        tempfile.TemporaryDirectory() as tmp,
        Engine.create(Path(tmp) / "profile", "retrieval-eval-pass") as eng,
    ):
        report = evaluate_retrieval(eng.knowledge, data, args.method or RETRIEVAL_METHODS, progress=progress)
    print(report.table())
    print(
        f"\n{report.corpus_size} passages, {report.queries} queries, {report.vectors} vectors "
        f"({report.embedder_id}), indexed in {report.index_seconds:.1f} s"
    )
    result = asdict(report)
    if not args.per_query:
        for m in result["methods"]:
            m.pop("per_query")
    emit({"benchmark": "retrieval_eval", "peak_rss_mb": peak_rss_mb(), **result}, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
