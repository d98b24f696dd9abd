"""Sync benchmark: a 1,000-note delta, the first sync of a 10k-note profile, the server under N
concurrent devices, and the convergence scenario over many seeds, on SQLite and on PostgreSQL.

    .venv/bin/python bench/sync_bench.py [--notes 1000] [--profile 10000] [--devices 8] [--rounds 20]
                                         [--seeds 20] [--backend sqlite|postgres|both] [--json out.json]

Everything runs on this machine: the real server (backend/ on uvicorn) on 127.0.0.1 in this process,
real encrypted profiles, real pairing. "Delta" is one device pushing `--notes` new notes (about 60
words each) and another pulling them (decrypt, merge, write, index). "Concurrent" is `--devices`
devices, one account each, each in its own thread doing `--rounds` syncs of 10 new notes: latency is
one whole sync as the device sees it (push, pull, apply), throughput is changes logged per second.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import emit, percentiles, sentence, vocabulary

from engine.types import NewNote
from testkit import sync_scenario
from testkit.sync_devices import account, new_device, pair
from testkit.sync_server import postgres, postgres_binaries, sync_server


def notes(rng: random.Random, vocab: list[str], n: int) -> list[NewNote]:
    return [NewNote(text=sentence(rng, vocab, 60)) for _ in range(n)]


def delta(tmp: Path, url: str, n: int, rng: random.Random, vocab: list[str]) -> dict[str, Any]:
    a, b = account([tmp / "delta-a", tmp / "delta-b"], url)
    try:
        a.sync.now()
        b.sync.now()
        a.notes.add_many(notes(rng, vocab, n))
        start = time.perf_counter()
        pushed = a.sync.now()
        push_s = time.perf_counter() - start
        start = time.perf_counter()
        pulled = b.sync.now()
        pull_s = time.perf_counter() - start
        assert pushed.pushed == n and pulled.applied == n, (pushed, pulled)
        return {
            "notes": n,
            "push_s": round(push_s, 3),
            "pull_s": round(pull_s, 3),
            "total_s": round(push_s + pull_s, 3),
        }
    finally:
        a.close()
        b.close()


def first_sync(tmp: Path, url: str, n: int, rng: random.Random, vocab: list[str]) -> dict[str, Any]:
    a = new_device(tmp / "first-a")
    b = new_device(tmp / "first-b")
    try:
        for start in range(0, n, 1000):
            a.notes.add_many(notes(rng, vocab, min(1000, n - start)))
        a.sync.setup(url)
        started = time.perf_counter()
        a.sync.now()
        upload_s = time.perf_counter() - started
        pair(a, b)
        started = time.perf_counter()
        report = b.sync.now()
        download_s = time.perf_counter() - started
        assert report.applied == n, report
        return {"notes": n, "upload_s": round(upload_s, 2), "new_device_download_s": round(download_s, 2)}
    finally:
        a.close()
        b.close()


def concurrent(
    tmp: Path, url: str, devices: int, rounds: int, rng: random.Random, vocab: list[str]
) -> dict[str, Any]:
    engines = [new_device(tmp / f"load-{i}") for i in range(devices)]
    for engine in engines:
        engine.sync.setup(url)
        engine.sync.now()
    batches = [[notes(rng, vocab, 10) for _ in range(rounds)] for _ in engines]
    latencies: list[list[float]] = [[] for _ in engines]
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for r in range(rounds):  # bounded: `rounds` syncs per device
                engines[i].notes.add_many(batches[i][r])
                started = time.perf_counter()
                engines[i].sync.now()
                latencies[i].append(time.perf_counter() - started)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(devices)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    wall = time.perf_counter() - started
    for engine in engines:
        engine.close()
    if errors:
        raise errors[0]
    samples = [s for per in latencies for s in per]
    stats = percentiles(samples)
    ms = sorted(s * 1000 for s in samples)
    stats["p99_ms"] = round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 3)
    changes = devices * rounds * 10
    return {
        "devices": devices,
        "rounds": rounds,
        **stats,
        "changes_per_s": round(changes / wall, 1),
        "syncs_per_s": round(devices * rounds / wall, 1),
    }


def convergence(tmp: Path, seeds: int, database_url: str | None) -> dict[str, Any]:
    passed, failures, seconds, histories = 0, [], 0.0, 0
    for seed in range(seeds):
        folder = tmp / f"seed-{seed}"
        with sync_server(folder / "server", database_url=database_url) as server:
            result = sync_scenario.run(folder, server, seed=seed)
        ok = not result.differences and not result.missing and result.doctor_ok
        passed += ok
        seconds += result.seconds
        histories += result.history
        if not ok:
            failures.append({"seed": seed, "differences": result.differences, "missing": result.missing[:5]})
        print(
            f"  seed {seed}: {'ok' if ok else 'FAILED'} ({result.edits} edits, {result.history} kept as history, {result.seconds:.1f} s)",
            flush=True,
        )
    return {
        "seeds": seeds,
        "passed": passed,
        "failures": failures,
        "history_versions": histories,
        "mean_s": round(seconds / max(seeds, 1), 1),
    }


@contextlib.contextmanager
def backend(name: str, tmp: Path) -> Iterator[str | None]:
    if name == "sqlite":
        yield None
        return
    with postgres() as pg:
        yield pg.url


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--notes", type=int, default=1000)
    parser.add_argument("--profile", type=int, default=10_000)
    parser.add_argument("--devices", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args()
    names = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    if "postgres" in names and postgres_binaries() is None:
        print("PostgreSQL is not installed (Debian package: postgresql); measuring SQLite only")
        names = ["sqlite"]
    results: dict[str, Any] = {}
    vocab = vocabulary()
    for name in names:
        rng = random.Random(7)
        with tempfile.TemporaryDirectory() as folder:
            tmp = Path(folder)
            with backend(name, tmp) as database_url:
                out: dict[str, Any] = {}
                with sync_server(tmp / "server", database_url=database_url) as server:
                    out["delta"] = delta(tmp, server.url, args.notes, rng, vocab)
                    print(
                        f"[{name}] {args.notes}-note delta: push {out['delta']['push_s']} s, pull {out['delta']['pull_s']} s",
                        flush=True,
                    )
                    out["first_sync"] = first_sync(tmp, server.url, args.profile, rng, vocab)
                    print(
                        f"[{name}] first sync of {args.profile} notes: upload {out['first_sync']['upload_s']} s, new device {out['first_sync']['new_device_download_s']} s",
                        flush=True,
                    )
                    out["concurrent"] = concurrent(tmp, server.url, args.devices, args.rounds, rng, vocab)
                    c = out["concurrent"]
                    print(
                        f"[{name}] {args.devices} devices: sync p50 {c['p50_ms']} ms, p99 {c['p99_ms']} ms, {c['changes_per_s']} changes/s",
                        flush=True,
                    )
                if args.seeds:
                    print(f"[{name}] convergence over {args.seeds} seeds:", flush=True)
                    out["convergence"] = convergence(tmp, args.seeds, database_url)
                    print(
                        f"[{name}] convergence: {out['convergence']['passed']}/{args.seeds} seeds", flush=True
                    )
                results[name] = out
    emit(results, args.json)


if __name__ == "__main__":
    main()
