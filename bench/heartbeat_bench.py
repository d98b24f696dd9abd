"""Heartbeat benchmark: a run with nothing to do, and the weekly synthesis, over a large memory.

    .venv/bin/python bench/heartbeat_bench.py [--facts 50000] [--json out.json]

The profile holds 300 entities and `--facts` facts spread over 120 days (see memory_bench.py for the
text). Memory is lexical here (no embedder): vectors are the index role's work, measured by the
memory benchmark. "Idle" is a forced run of all four roles right after a complete one: every role
checks for work and finds none.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import emit, peak_rss_mb, percentiles, timed, vocabulary
from memory_bench import StepClock, fact_text

from engine.api import Engine
from engine.types import NewFact


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--facts", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args()
    rng, vocab = random.Random(5), vocabulary()
    start = datetime(2026, 1, 1, 8, tzinfo=UTC)
    clock = StepClock(start)
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="lifeos-hbbench-") as tmp:
        engine = Engine.create(Path(tmp) / "p", "benchmark passphrase", clock=clock, use_embedder=False)
        names = []
        for i in range(300):
            kind = ("project", "area", "person")[i % 3]
            names.append(
                engine.memory.create_entity(
                    kind, f"{kind}-{i}", deadline="2026-06-01" if kind == "project" else None
                ).name
            )
        for done in range(0, args.facts, 5000):
            clock.now = start + timedelta(days=120 * done / args.facts)
            engine.memory.import_facts(
                [
                    NewFact(fact_text(rng, vocab), rng.choice(names))
                    for _ in range(min(5000, args.facts - done))
                ]
            )
            print(f"  facts {min(done + 5000, args.facts):>7,}/{args.facts:,}", end="\r", flush=True)
        print()
        clock.now = start + timedelta(days=121, hours=12)
        first_s, _ = timed(lambda: engine.heartbeat.run(force=True, notify_os=False))
        results["first_full_run_s"] = round(first_s, 2)
        idle = []
        for _ in range(args.runs):
            clock.now += timedelta(minutes=30)
            elapsed, report = timed(
                lambda: engine.heartbeat.run(
                    force=True, roles=["extract", "index", "checkins"], notify_os=False
                )
            )
            assert not report.delivered
            idle.append(elapsed)
        results["idle_run"] = percentiles(idle)
        synthesis = [
            timed(lambda: engine.heartbeat.run(force=True, roles=["synthesis"], notify_os=False))[0]
            for _ in range(3)
        ]
        results["weekly_synthesis_s"] = round(max(synthesis), 2)
        engine.close()
    results["facts"] = args.facts
    results["peak_rss_mb"] = peak_rss_mb()
    print(f"first full run: {results['first_full_run_s']} s")
    print(f"idle run (all roles, nothing to do): {results['idle_run']}")
    print(f"weekly synthesis over {args.facts:,} facts: {results['weekly_synthesis_s']} s (max of 3)")
    print(f"peak RSS: {results['peak_rss_mb']} MB")
    emit(results, args.json)


if __name__ == "__main__":
    main()
