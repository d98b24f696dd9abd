"""`lifeos eval chat`: measure the coach's offline replies (see engine/chat/evaluate.py).

Everything runs in a temporary encrypted profile made and deleted here (random passphrase; the
user's own profile is never touched). The coaches come from the bundled catalog or a pack file.

- With `--corpus/--queries/--qrels` (a BEIR set whose passages are the coach's books, such as
  ../shared/data/stoic): each judged query is a first message; prints on-topic, citation precision
  and the share of replies that quote nothing. The coach's own passages are kept and the corpus's
  other passages are added to its knowledge (embedded here, or taken from `--vectors`).
- With `--scenarios` (multi-turn conversations): prints the share of repeated sentences, of replies
  that echo the coachee, and latency per turn.
- `--calibrate` also prints the quote threshold's trade-off on the BEIR set.
Progress goes to stderr; `--json` prints every figure and every reply on stdout.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from app.cli_common import EXIT_OK, print_json
from app.cli_eval import _Bar
from engine.api import Engine
from engine.errors import UsageError
from engine.types import KnowledgeDoc, chat_eval, load_eval_set, load_prebuilt


def register(actions: Any) -> None:
    p = actions.add_parser(
        "chat",
        help="measure offline replies: quotes on topic (BEIR set), repetition and echo (scenarios), latency",
    )
    p.add_argument("--coach", default="stoic", help="coach for the BEIR set: a bundled id or a .coach file")
    p.add_argument("--corpus", type=Path, help="corpus.jsonl of the coach's books ({_id, title, text})")
    p.add_argument("--queries", type=Path, help="queries.jsonl ({_id, text} per line)")
    p.add_argument("--qrels", type=Path, help="qrels.tsv (query-id, corpus-id, score)")
    p.add_argument("--vectors", type=Path, help="prebuilt corpus vectors (.npz) of this device's embedder")
    p.add_argument("--scenarios", type=Path, help="scenarios.jsonl ({id, coach, turns} per line)")
    p.add_argument("--calibrate", action="store_true", help="also print the quote threshold's trade-off")
    p.add_argument("--json", action="store_true", help="every figure and reply as JSON")
    p.set_defaults(handler=cmd_eval_chat)


def cmd_eval_chat(args: argparse.Namespace) -> int:
    beir = (args.corpus, args.queries, args.qrels)
    if any(beir) and not all(beir):
        raise UsageError("a BEIR set needs all three of --corpus, --queries and --qrels")
    if not all(beir) and args.scenarios is None:
        raise UsageError("give a BEIR set (--corpus/--queries/--qrels), --scenarios, or both")
    out: dict[str, Any] = {}
    with (
        tempfile.TemporaryDirectory(prefix="lifeos-eval-") as tmp,
        Engine.create(Path(tmp) / "profile", secrets.token_urlsafe(24)) as engine,
    ):
        if all(beir):
            coach_id = _install(engine, args.coach)
            data = load_eval_set(args.corpus, args.queries, args.qrels)
            _add_corpus(engine, coach_id, data.corpus, args.vectors)
            queries = [(q.id, q.text) for q in data.queries]
            relevant = {q: {d for d, grade in docs.items() if grade > 0} for q, docs in data.qrels.items()}
            report = chat_eval.single_turn(engine.chat, coach_id, queries, relevant, _Bar("replying"))
            out["single_turn"] = asdict(report)
            if args.calibrate:
                out["calibration"] = asdict(chat_eval.calibrate(engine.chat, coach_id, queries, relevant))
        if args.scenarios is not None:
            scenarios = chat_eval.load_scenarios(args.scenarios)
            for coach in sorted({s.coach for s in scenarios}):
                _install(engine, coach)
            out["multi_turn"] = asdict(chat_eval.multi_turn(engine.chat, scenarios, _Bar("conversations")))
    if args.json:
        print_json(out)
    else:
        _print(out)
    return EXIT_OK


def _install(engine: Engine, coach: str) -> str:
    existing = {c.id for c in engine.coaches.list()}
    if coach in existing:
        return coach
    return engine.coaches.install(coach).coach_id


def _add_corpus(engine: Engine, coach_id: str, corpus: list[Any], vectors: Path | None) -> None:
    own = engine.knowledge.export_vectors(coach_id)
    have = set(own.vectors) if own else set()
    docs = [KnowledgeDoc(p.id, p.text, p.title) for p in corpus if p.id not in have]
    if not docs:
        return
    prebuilt = load_prebuilt(vectors, engine.models.embedder.embedder_id) if vectors else None
    if prebuilt is not None and not all(d.ref in prebuilt.vectors for d in docs):
        prebuilt = None
    print(f"adding {len(docs)} corpus passages to {coach_id}'s knowledge", file=sys.stderr)
    engine.knowledge.add(coach_id, docs, _Bar("indexing"), prebuilt=prebuilt)


def _print(out: dict[str, Any]) -> None:
    single = out.get("single_turn")
    if single:
        print(
            f"single turn: {single['replies']} replies, {single['quoting']} quote; "
            f"on topic {single['on_topic']:.2f}, citation precision {single['citation_precision']:.2f}, "
            f"no quote {single['no_quote']:.2f}; latency p50 {single['latency_ms']['p50']:.0f} ms, "
            f"p95 {single['latency_ms']['p95']:.0f} ms"
        )
    calibration = out.get("calibration")
    if calibration:
        print("quote threshold: quoting share, on-topic share")
        for row in calibration["rows"]:
            print(f"  {row['threshold']:.2f}  {row['quoting']:.2f}  {row['on_topic']:.2f}")
        print(f"lowest threshold on topic in >= {calibration['target']:.0%}: {calibration['chosen']}")
    multi = out.get("multi_turn")
    if multi:
        print(
            f"multi turn: {multi['conversations']} conversations, {multi['replies']} replies; "
            f"repeated sentences {multi['repeated_sentences']:.1%}, echo {multi['echo']:.1%}; "
            f"latency p50 {multi['latency_ms']['p50']:.0f} ms, p95 {multi['latency_ms']['p95']:.0f} ms"
        )
