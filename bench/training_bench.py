"""Training benchmark: importing 1,000 activity files, and load/ACWR/goal confidence over 5 years.

    .venv/bin/python bench/training_bench.py [--files 1000] [--years 5] [--json out.json]

Import: `--files` runs of 30-75 minutes with a point every second (as a watch records), 80 % GPX,
15 % TCX and 5 % FIT, written by a child process (so this process's peak RSS is the import's),
then imported as one folder: files per second and peak RSS.
Five years: one activity a day (from a Strava export's activities.csv, no files) over `--years`
years, then the reads the Training screen and the coach's tools make: today's load status (both
ACWRs), the daily loads with both ratios for the whole span, the goal confidence with its 12-week
history, and the spike check the heartbeat makes; p50/p95 over `--runs` runs.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import emit, peak_rss_mb, percentiles, timed

from engine.api import Engine
from engine.types import KdfParams
from testkit.training import ExportItem, SyntheticRun, strava_export, write

PASSPHRASE = "benchmark passphrase"
FAST_KDF = KdfParams()


def generate(folder: Path, count: int) -> None:
    rng = random.Random(7)
    start = datetime(2022, 1, 1, 6, tzinfo=UTC)
    for i in range(count):
        kind = "fit" if i % 20 == 0 else "tcx" if i % 7 == 0 else "gpx"
        run = SyntheticRun(
            start + timedelta(days=i, minutes=rng.randrange(0, 600)),
            rng.randrange(30, 76),
            rng.uniform(270, 390),
            hr=rng.uniform(130, 165),
            lat0=51 + rng.random(),
        )
        write(run, folder / f"{i:04d}.{kind}")
        if (i + 1) % 100 == 0:
            print(f"  written {i + 1}/{count}", file=sys.stderr)


def bench_import(count: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "files"
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, __file__, "--generate", str(folder), "--files", str(count)], check=True
        )
        written = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in folder.iterdir())
        with Engine.create(Path(tmp) / "p", PASSPHRASE, kdf=FAST_KDF, use_embedder=False) as engine:
            seconds, report = timed(lambda: engine.training.import_activities(folder))
            assert len(report.imported) == count, (len(report.imported), len(report.duplicates))
            again, repeat = timed(lambda: engine.training.import_activities(folder))
            assert repeat.imported == []
    return {
        "files": count,
        "megabytes": round(size / 1e6, 1),
        "seconds": round(seconds, 2),
        "files_per_s": round(count / seconds, 1),
        "reimport_all_duplicates_s": round(again, 2),
        "peak_rss_mb": peak_rss_mb(),
        "generation_s": round(written, 1),
    }


def bench_years(years: int, runs: int) -> dict[str, object]:
    rng = random.Random(11)
    days = 365 * years
    end = datetime(2026, 12, 1, 7, tzinfo=UTC)
    items = []
    for back in range(days, 0, -1):
        if rng.random() < 0.2:
            continue  # rest days
        run = SyntheticRun(end - timedelta(days=back), rng.randrange(25, 100), rng.uniform(280, 380), hr=None)
        items.append(ExportItem(str(back), run, None, rng.randrange(3, 9)))
    now = end + timedelta(hours=5)
    with tempfile.TemporaryDirectory() as tmp:
        export = strava_export(Path(tmp) / "export.zip", items)
        with Engine.create(
            Path(tmp) / "p", PASSPHRASE, kdf=FAST_KDF, clock=lambda: now, use_embedder=False
        ) as e:
            e.training.import_activities(export)
            e.training.set_goal("marathon", "3:30:00", (now + timedelta(days=90)).date().isoformat())
            calls = {
                "load_status": e.training.load_status,
                "daily_loads_all": lambda: e.training.daily_loads(days),
                "goal_confidence_12w": e.training.goal_confidence,
                "load_spike": e.training.load_spike,
            }
            out: dict[str, object] = {"days": days, "activities": len(items)}
            for name, call in calls.items():
                call()  # warm the page cache once
                out[name] = percentiles([timed(call)[0] for _ in range(runs)])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--generate", metavar="DIR", help=argparse.SUPPRESS)
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args()
    if args.generate:
        generate(Path(args.generate), args.files)
        return
    imported = bench_import(args.files)  # first, so the peak RSS is the import's
    print(
        f"import of {imported['files']} files ({imported['megabytes']} MB): {imported['seconds']} s, "
        f"{imported['files_per_s']} files/s, peak RSS {imported['peak_rss_mb']} MB; "
        f"re-import (all duplicates) {imported['reimport_all_duplicates_s']} s"
    )
    years = bench_years(args.years, args.runs)
    print(f"{args.years} years of daily load ({years['activities']} activities):")
    for name in ("load_status", "daily_loads_all", "goal_confidence_12w", "load_spike"):
        figures = years[name]
        assert isinstance(figures, dict)
        print(f"  {name:<20} p50 {figures['p50_ms']:8.1f} ms   p95 {figures['p95_ms']:8.1f} ms")
    emit({"five_years": years, "import": imported}, args.json)


if __name__ == "__main__":
    main()
