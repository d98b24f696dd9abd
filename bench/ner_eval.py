"""Entity-level precision, recall and F1 of our NER on WNUT-17 "emerging entities" (test split).

    .venv/bin/python bench/ner_eval.py [--json PATH] [--limit N]

WNUT-17 is noisy social-media text full of rare names, so it is a hard floor, not a flattering one.
Type mapping (WNUT → ours):
    person → person;  location → place;  corporation → organization;  group → organization
    product, creative-work → no counterpart. Our types are what the coachee's memory keeps (people,
    organizations, places, dates, PARA items); products and works of art are not among them. Those gold
    entities are left out of recall, and a prediction landing on one counts as a false positive.
Our date, project, milestone, area and link predictions have no WNUT counterpart and are ignored.
Matching is exact (same type, same first and last token); an "overlap" figure (same type, any shared
token) is printed beside it for context.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from engine.types import Models  # noqa: E402

SHARED_DATA = REPO.parent / "shared" / "data"
TEST_FILE = SHARED_DATA / "wnut17" / "emerging.test.annotated"
WNUT_TO_OURS = {
    "person": "person",
    "location": "place",
    "corporation": "organization",
    "group": "organization",
}
EVALUATED = ("person", "organization", "place")


@dataclass(frozen=True)
class Span:
    type: str
    first: int  # token index
    last: int


def read_conll(path: Path) -> list[tuple[list[str], list[str]]]:
    sentences, tokens, tags = [], [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            if tokens:
                sentences.append((tokens, tags))
            tokens, tags = [], []
            continue
        token, _, tag = line.partition("\t")
        tokens.append(token)
        tags.append(tag.strip() or "O")
    if tokens:
        sentences.append((tokens, tags))
    return sentences


def gold_spans(tags: list[str]) -> tuple[set[Span], set[Span]]:
    """(spans of our types, spans of WNUT types we do not map) from BIO tags."""
    mapped, unmapped = set(), set()
    start, kind = None, None
    for i, tag in enumerate([*tags, "O"]):
        if tag.startswith("I-") and kind == tag[2:]:
            continue
        if kind is not None and start is not None:
            span_type = WNUT_TO_OURS.get(kind)
            (mapped if span_type else unmapped).add(Span(span_type or kind, start, i - 1))
        start, kind = (i, tag[2:]) if tag[:2] in ("B-", "I-") else (None, None)
    return mapped, unmapped


def predicted_spans(tokens: list[str], entities: list) -> set[Span]:
    offsets, pos = [], 0
    for token in tokens:
        offsets.append((pos, pos + len(token)))
        pos += len(token) + 1
    spans = set()
    for e in entities:
        if e.type not in EVALUATED:
            continue
        covered = [i for i, (s, t) in enumerate(offsets) if s < e.end and e.start < t]
        if covered:
            spans.add(Span(e.type, covered[0], covered[-1]))
    return spans


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(2 * p * r / (p + r), 3) if p + r else 0.0,
            "tp": tp, "fp": fp, "fn": fn}  # fmt: skip


def evaluate(limit: int | None = None) -> dict:
    sentences = read_conll(TEST_FILE)[:limit]
    models = Models(today=lambda: date(2017, 6, 1))
    texts = [" ".join(tokens) for tokens, _ in sentences]
    started = time.perf_counter()
    predictions = models.ner.extract_batch(texts)
    seconds = time.perf_counter() - started
    exact, overlap = Counter(), Counter()
    for (tokens, tags), entities in zip(sentences, predictions, strict=True):
        gold, _ = gold_spans(tags)
        pred = predicted_spans(tokens, entities)
        for kind in EVALUATED:
            g = {s for s in gold if s.type == kind}
            p = {s for s in pred if s.type == kind}
            exact[kind, "tp"] += len(g & p)
            exact[kind, "fp"] += len(p - g)
            exact[kind, "fn"] += len(g - p)
            hit_g = {a for a in g if any(a.first <= b.last and b.first <= a.last for b in p)}
            hit_p = {b for b in p if any(a.first <= b.last and b.first <= a.last for a in g)}
            overlap[kind, "tp"] += len(hit_p)
            overlap[kind, "fp"] += len(p - hit_p)
            overlap[kind, "fn"] += len(g - hit_g)
    result: dict = {"sentences": len(sentences), "seconds": round(seconds, 2), "model": models.ner.name}
    for name, counts in (("exact", exact), ("overlap", overlap)):
        per_type = {k: prf(counts[k, "tp"], counts[k, "fp"], counts[k, "fn"]) for k in EVALUATED}
        micro = prf(*(sum(counts[k, part] for k in EVALUATED) for part in ("tp", "fp", "fn")))
        result[name] = {"per_type": per_type, "micro": micro}
    models.close()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--limit", type=int, help="only the first N sentences")
    args = parser.parse_args()
    if not TEST_FILE.is_file():
        print(f"WNUT-17 test file not found: {TEST_FILE}", file=sys.stderr)
        return 4
    result = evaluate(args.limit)
    print(f"WNUT-17 test: {result['sentences']} sentences in {result['seconds']} s with {result['model']}")
    for name in ("exact", "overlap"):
        print(f"\n{name} match      precision  recall     F1     (tp/fp/fn)")
        rows = {**result[name]["per_type"], "micro": result[name]["micro"]}
        for kind, m in rows.items():
            print(f"  {kind:<14} {m['precision']:>9.3f} {m['recall']:>7.3f} {m['f1']:>6.3f}   "
                  f"({m['tp']}/{m['fp']}/{m['fn']})")  # fmt: skip
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
