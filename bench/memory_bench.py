"""Memory benchmark: quick capture, recall over a large memory, weekly synthesis.

    .venv/bin/python bench/memory_bench.py [--facts 25000] [--notes 25000] [--json out.json]

The profile is seeded with 300 entities (projects, areas, people), `--facts` facts about them
(first-person sentences from templates filled with Zipf-drawn coaching words) and `--notes` notes of
20–120 words; every fact and note is embedded (`engine.memory.refresh_index`), so recall runs the full
hybrid path: query embedding, BM25 and int8 KNN over facts and notes, fusion, graph, tiers. The clock
is spread over 120 days so all three tiers occur.

Embedding 50k texts takes this 2-core machine far longer than the measurement itself, so by default
`--embed-pool 3000` facts and 3000 notes are embedded for real and every other row gets a copy of a
random pooled vector. KNN cost depends on the number of vectors, not on which they are, so latency is
measured faithfully; retrieval *quality* is measured elsewhere (bench/retrieval_eval.py). Pass
`--embed-pool 0` to embed every row (about 15–30 minutes here). Captures use #project and @person markup plus free
text, through NER, the embedder and contradiction checks, as the app does.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import emit, peak_rss_mb, percentiles, sentence, timed, vocabulary

from engine.api import Engine
from engine.types import NewFact, NewNote

TEMPLATES = [
    "I want to {a} more {b} before {c}",
    "My {a} plan is to {b} every {c}",
    "I prefer {a} in the {b}",
    "I'm worried about {a} and {b}",
    "We agreed to {a} the {b} by {c}",
    "I finished the {a} {b} today",
    "My {a} coach suggested {b} and {c}",
]


class StepClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def fact_text(rng: random.Random, vocab: list[str]) -> str:
    a, b, c = (sentence(rng, vocab, 1, skip_top=5) for _ in range(3))
    return rng.choice(TEMPLATES).format(a=a, b=b, c=c)


def copy_pooled_vectors(engine: Engine, rng: random.Random) -> int:
    """Give every row still without a vector a copy of a random embedded one (see the docstring)."""
    db = engine._session.db  # a benchmark shortcut below the facade, for the vector fill only
    copied = 0
    with db.atomic() as conn:
        for table in ("facts", "notes"):
            pool = [r[0] for r in conn.execute(f"SELECT embedding FROM {table}_vec")]
            if not pool:
                continue
            rows = conn.execute(
                f"SELECT seq FROM {table} WHERE seq NOT IN (SELECT rowid FROM {table}_vec)"
            ).fetchall()
            conn.executemany(
                f"INSERT INTO {table}_vec (rowid, embedding) VALUES (?, vec_int8(?))",
                [(r[0], rng.choice(pool)) for r in rows],
            )
            copied += len(rows)
    return copied


def seed(
    engine: Engine,
    clock: StepClock,
    n_facts: int,
    n_notes: int,
    rng: random.Random,
    vocab: list[str],
    pool: int,
) -> dict:
    start = clock.now
    names: list[str] = []
    for i in range(300):
        kind = ("project", "area", "person")[i % 3]
        name = f"{kind}-{i}-{vocab[100 + i]}"
        engine.memory.create_entity(kind, name)
        names.append(name)
    span_s = 120 * 86400
    batch = 2500
    for done in range(0, n_facts, batch):
        clock.now = start + timedelta(seconds=span_s * done / max(1, n_facts))
        engine.memory.import_facts(
            [NewFact(fact_text(rng, vocab), rng.choice(names)) for _ in range(min(batch, n_facts - done))]
        )
        print(f"  facts {min(done + batch, n_facts):>7,}/{n_facts:,}", end="\r", flush=True)
    print()
    for done in range(0, n_notes, batch):
        clock.now = start + timedelta(seconds=span_s * done / max(1, n_notes))
        engine.notes.add_many(
            [NewNote(sentence(rng, vocab, rng.randint(20, 120))) for _ in range(min(batch, n_notes - done))]
        )
        print(f"  notes {min(done + batch, n_notes):>7,}/{n_notes:,}", end="\r", flush=True)
    print()
    clock.now = start + timedelta(days=121)
    index_s, report = timed(
        lambda: engine.memory.refresh_index(
            limit=pool or None, progress=lambda d, t: print(f"  embedded {d:>7,}", end="\r", flush=True)
        )
    )
    print()
    copied = copy_pooled_vectors(engine, rng) if pool else 0
    return {
        "entities": len(names),
        "facts": n_facts,
        "notes": n_notes,
        "embed_s": round(index_s, 1),
        "embedded": report.notes + report.facts,
        "embedded_per_s": round((report.notes + report.facts) / index_s, 1),
        "vectors_copied_from_pool": copied,
        "names": names,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--facts", type=int, default=25_000)
    parser.add_argument("--notes", type=int, default=25_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument(
        "--embed-pool", type=int, default=3000, help="rows per table embedded for real (0: all)"
    )
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args()
    rng = random.Random(3)
    vocab = vocabulary()
    clock = StepClock(datetime(2026, 1, 1, 8, tzinfo=UTC))
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="lifeos-membench-") as tmp:
        engine = Engine.create(Path(tmp) / "p", "benchmark passphrase", clock=clock)
        seeded = seed(engine, clock, args.facts, args.notes, rng, vocab, args.embed_pool)
        names = seeded.pop("names")
        results["seed"] = seeded
        engine.notes.optimize_indexes()

        engine.memory.capture("warm up the models for #warmup with @Someone")
        captures = []
        for i in range(args.queries):
            who, what = rng.choice(names), fact_text(rng, vocab)
            text = f"{what} for #{who} with @person-{i % 7} on 2026-05-0{1 + i % 9}"
            clock.now += timedelta(minutes=7)
            captures.append(timed(lambda text=text: engine.memory.capture(text))[0])
        results["capture"] = percentiles(captures)
        print(f"capture: {results['capture']}")

        queries = [
            " ".join(sentence(rng, vocab, rng.randint(2, 4), skip_top=5).split()) for _ in range(args.queries)
        ]
        queries += [f"what did I say about {rng.choice(names)}" for _ in range(args.queries // 4)]
        engine.memory.recall(queries[0])
        results["recall"] = percentiles([timed(lambda q=q: engine.memory.recall(q))[0] for q in queries])
        print(f"recall over {args.facts:,} facts + {args.notes:,} notes: {results['recall']}")

        synthesis = engine.memory.weekly_synthesis()
        results["weekly_synthesis"] = {
            "seconds": round(synthesis.seconds, 2),
            "tiers": synthesis.tiers,
            "summaries": synthesis.summaries,
            "archive_proposals": len(synthesis.proposals),
        }
        print(f"weekly synthesis: {results['weekly_synthesis']}")
        engine.close()
    results["peak_rss_mb"] = peak_rss_mb()
    print(f"peak RSS: {results['peak_rss_mb']} MB")
    emit(results, args.json)


if __name__ == "__main__":
    main()
