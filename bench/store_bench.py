"""Store benchmark: unlock, insert throughput, FTS5 search and vec0 KNN latency on encrypted files.

    .venv/bin/python bench/store_bench.py [--sizes 10000,100000] [--vectors 100000] [--json out.json]

Notes are synthetic: 20–120 words drawn Zipf-wise (P(rank r) ∝ 1/r) from a coaching vocabulary plus a
tail of 4,000 made-up rare words. Queries are two or three words drawn the same way, leaving out the 20
most frequent words, as a person's query leaves out stop words. Vectors are random unit vectors in 384-d
(KNN cost does not depend on their content). Every figure is measured on a real SQLCipher file.

Unlock, inserts and search go through engine.api; the raw vec0 KNN figures open the store layer
directly, because they measure sqlite-vec itself (the facade scans in-memory copies instead).
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import emit, peak_rss_mb, percentiles, sentence, timed, vocabulary

from engine.api import Engine
from engine.retrieval import vectors
from engine.store.connection import open_encrypted
from engine.store.migrations import migrate
from engine.store.schema import EMBEDDING_DIM
from engine.types import NewNote

PASSPHRASE = "benchmark passphrase"


def bench_unlock(home: Path, runs: int = 7) -> dict[str, float]:
    samples = []
    for _ in range(runs):
        elapsed, engine = timed(lambda: Engine.open(home, PASSPHRASE))
        samples.append(elapsed)
        engine.close()
    return percentiles(samples)


def fill_notes(engine: Engine, target: int, rng: random.Random, vocab: list[str], batch: int = 2000) -> float:
    """Grow the profile to `target` notes; return inserted notes per second."""
    have = engine.notes.count()
    todo = target - have
    elapsed = 0.0
    while todo > 0:
        n = min(batch, todo)
        texts = [NewNote(sentence(rng, vocab, rng.randint(20, 120))) for _ in range(n)]
        elapsed += timed(lambda texts=texts: engine.notes.add_many(texts))[0]
        todo -= n
        print(f"  notes {target - todo:>7,}/{target:,}", end="\r", flush=True)
    print()
    return round((target - have) / elapsed, 1) if elapsed else 0.0


def bench_fts(engine: Engine, rng: random.Random, vocab: list[str], queries: int = 200) -> dict[str, float]:
    texts = [sentence(rng, vocab, rng.randint(2, 3), skip_top=20) for _ in range(queries)]
    for q in texts[:10]:  # warm the page cache, as a running app has
        engine.notes.search(q)
    return percentiles([timed(lambda q=q: engine.notes.search(q, limit=10))[0] for q in texts])


def _unit(rng: random.Random) -> list[float]:
    v = [rng.gauss(0, 1) for _ in range(EMBEDDING_DIM)]
    norm = math.sqrt(sum(x * x for x in v))
    return [x / norm for x in v]


def bench_knn(directory: Path, n: int, rng: random.Random, queries: int = 50) -> dict[str, dict[str, float]]:
    conn = open_encrypted(directory / "vectors.db", bytes(range(32)), cache_mib=256)
    migrate(conn)
    conn.execute(f"CREATE VIRTUAL TABLE float_vec USING vec0(embedding float[{EMBEDDING_DIM}])")
    done = 0
    while done < n:
        chunk = [(done + i + 1, _unit(rng)) for i in range(min(5000, n - done))]
        conn.execute("BEGIN")
        vectors.upsert(conn, "notes", chunk, "bench")
        conn.executemany(
            "INSERT INTO float_vec (rowid, embedding) VALUES (?, ?)",
            [(seq, vectors.pack_float32(v)) for seq, v in chunk],
        )
        conn.execute("COMMIT")
        done += len(chunk)
        print(f"  vectors {done:>7,}/{n:,}", end="\r", flush=True)
    print()
    probes = [_unit(rng) for _ in range(queries)]
    out: dict[str, dict[str, float]] = {}
    vectors.nearest(conn, "notes", probes[0], "bench", k=10)  # warm
    out["int8"] = percentiles(
        [timed(lambda p=p: vectors.nearest(conn, "notes", p, "bench", k=10))[0] for p in probes]
    )
    float_sql = "SELECT rowid, distance FROM float_vec WHERE embedding MATCH ? AND k = 10"
    conn.execute(float_sql, (vectors.pack_float32(probes[0]),)).fetchall()
    out["float"] = percentiles(
        [timed(lambda p=p: conn.execute(float_sql, (vectors.pack_float32(p),)).fetchall())[0] for p in probes]
    )
    conn.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000", help="note counts for FTS5 search")
    parser.add_argument("--vectors", type=int, default=100_000, help="vectors for the KNN benchmark")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    rng = random.Random(42)
    vocab = vocabulary()
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="lifeos-bench-") as tmp:
        home = Path(tmp) / "profile"
        create_s, engine = timed(lambda: Engine.create(home, PASSPHRASE))
        results["create_profile_ms"] = round(create_s * 1000, 1)
        fts: dict[str, object] = {}
        throughput: list[float] = []
        for size in sizes:
            throughput.append(fill_notes(engine, size, rng, vocab))
            fresh = bench_fts(engine, rng, vocab)
            optimize_s, _ = timed(engine.notes.optimize_indexes)
            fts[str(size)] = {
                "after_bulk_insert": fresh,
                "after_optimize": bench_fts(engine, rng, vocab),
                "optimize_s": round(optimize_s, 2),
            }
            print(f"FTS5 search at {size:,} notes: {fts[str(size)]}")
        results["insert_notes_per_s"] = throughput
        results["fts5_search"] = fts
        engine.close()
        results["unlock"] = bench_unlock(home)
        results["db_size_mb_at_max"] = round((home / "lifeos.db").stat().st_size / 1e6, 1)
        print(f"unlock: {results['unlock']}")
        print(f"insert throughput (notes/s, per size step): {throughput}")
        results["vec0_knn_k10"] = {str(args.vectors): bench_knn(Path(tmp), args.vectors, rng)}
        print(f"vec0 KNN at {args.vectors:,}: {results['vec0_knn_k10']}")
    results["peak_rss_mb"] = peak_rss_mb()
    print(f"peak RSS: {results['peak_rss_mb']} MB")
    emit(results, args.json)


if __name__ == "__main__":
    main()
