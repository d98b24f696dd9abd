"""`lifeos eval retrieval`: measure search quality on a BEIR-format set.

The corpus is indexed into a temporary encrypted profile (made and deleted here, with a random
passphrase, so the user's own profile is never touched and no passphrase is asked for), then each
method answers every judged query. Prints nDCG@10, Recall@10, Recall@100 and MRR@10 per method;
`--json` prints the same plus every query's metrics and top ten. Progress goes to stderr, so stdout
stays clean for `--json`. Errors are the engine's typed errors, printed as one line by `app.cli.main`
(exit 2 for usage, 4 for unreadable data).
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from app.cli_common import EXIT_OK, print_json
from engine.api import Engine
from engine.types import RETRIEVAL_METHODS, EvalReport, evaluate_retrieval, load_eval_set


def register(subparsers: Any) -> None:
    """Add `eval retrieval` to `lifeos`'s argparse subparsers."""
    group = subparsers.add_parser("eval", help="measure quality (retrieval, chat) on labelled sets")
    actions = group.add_subparsers(dest="eval_command", metavar="WHAT", required=True)
    p = actions.add_parser(
        "retrieval",
        help="index a BEIR-format set into a temporary profile; print nDCG@10, Recall@10/100, MRR@10",
    )
    p.add_argument("--corpus", type=Path, required=True, help="corpus.jsonl ({_id, title, text} per line)")
    p.add_argument("--queries", type=Path, required=True, help="queries.jsonl ({_id, text} per line)")
    p.add_argument("--qrels", type=Path, required=True, help="qrels.tsv (query-id, corpus-id, score)")
    p.add_argument(
        "--method",
        choices=RETRIEVAL_METHODS,
        action="append",
        help="bm25, dense, hybrid (RRF) or full (the whole pipeline); repeatable; default: all four",
    )
    p.add_argument("--json", action="store_true", help="JSON with per-query results instead of a table")
    p.set_defaults(handler=cmd_eval_retrieval)
    from app import cli_eval_chat

    cli_eval_chat.register(actions)


class _Bar:
    """A one-line progress bar on stderr (redrawn in place on a terminal, sparse lines otherwise)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.tty = sys.stderr.isatty()
        self.last = -1

    def __call__(self, done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        if percent == self.last or (not self.tty and percent % 10 and done < total):
            return
        self.last = percent
        filled = percent // 4
        line = f"{self.label} [{'#' * filled}{'.' * (25 - filled)}] {done}/{total}"
        sys.stderr.write(("\r" + line) if self.tty else (line + "\n"))
        if self.tty and done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def cmd_eval_retrieval(args: argparse.Namespace) -> int:
    data = load_eval_set(args.corpus, args.queries, args.qrels)
    methods = list(dict.fromkeys(args.method or RETRIEVAL_METHODS))
    print(f"{len(data.corpus)} passages, {len(data.queries)} judged queries", file=sys.stderr)
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="lifeos-eval-") as tmp,
        Engine.create(Path(tmp) / "profile", secrets.token_urlsafe(24)) as engine,
    ):
        report = evaluate_retrieval(engine.knowledge, data, methods, progress=_Bar("indexing"))
    print(f"done in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if args.json:
        print_json(report)
    else:
        _print_table(report)
    return EXIT_OK


def _print_table(report: EvalReport) -> None:
    print(report.table())
    fallback = [m.method for m in report.methods if m.ran_as != m.method]
    if fallback:
        print(f"* no embedder was available: {', '.join(fallback)} ran as BM25 alone")
    print(
        f"{report.corpus_size} passages, {report.queries} queries; {report.vectors} vectors "
        f"({report.embedder_id or 'no embedder'}); indexed in {report.index_seconds:.1f} s"
    )
