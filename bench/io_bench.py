"""Import/export benchmark: export and restore of a 10k-note profile; import of a 1,000-note Obsidian
vault and a 1,000-note Google Keep takeout (notes/s, peak RSS).

    .venv/bin/python bench/io_bench.py [--notes 10000] [--import-notes 1000] [--learn 200]
                                       [--big-vault 10000] [--json out.json]

Each stage runs in a child process of its own, so its peak RSS is its own. The 10k-note profile
holds notes of 20–120 Zipf-drawn words, 300 entities and 3,000 facts (some superseded), with the
embedder off (export reads rows, not vectors). "Import" is what the import call does until it
returns: read and check every file, judge each note (unchanged, duplicate, near-duplicate), write
everything in one transaction; the notes are searchable then. Learning from the notes (NER, facts,
embeddings) is what capture does per note and runs afterwards in the background: it is timed on
the first `--learn` imported notes and reported as notes/s. `--big-vault` imports a vault of that
many files as well (the "vault with 10,000 files" of issue 17), without learning.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import emit, peak_rss_mb, sentence, vocabulary

from engine.api import Engine
from engine.types import NewFact, NewNote
from testkit.notes_sources import VaultSpec, write_takeout, write_vault

PASSPHRASE = "benchmark passphrase, not a secret"


def build_profile(home: Path, notes: int) -> None:
    """Notes spread over the days before today (20 a day), so the vault has a daily page per day."""
    rng = random.Random(11)
    vocab = vocabulary()
    day = [datetime.now().astimezone() - timedelta(days=notes // 20 + 1)]
    with Engine.create(home, PASSPHRASE, use_embedder=False, clock=lambda: day[0]) as engine:
        for start in range(0, notes, 20):
            engine.notes.add_many(
                NewNote(sentence(rng, vocab, rng.randint(20, 120)), kind=rng.choice(["daily", "capture"]))
                for _ in range(start, min(notes, start + 20))
            )
            day[0] += timedelta(days=1)
        names = [f"Entity {i}" for i in range(300)]
        for i, name in enumerate(names):
            engine.memory.create_entity(("project", "area", "person", "resource")[i % 4], name)
        engine.memory.import_facts(
            [NewFact(sentence(rng, vocab, 12), entity=rng.choice(names)) for _ in range(3000)]
        )


def stage_export(work: str, notes: int) -> dict[str, Any]:
    home = Path(work) / "profile"
    build_profile(home, notes)
    out: dict[str, Any] = {}
    with Engine.open(home, PASSPHRASE, use_embedder=False) as engine:
        for name, password in (("export", None), ("export_encrypted", PASSPHRASE)):
            target = Path(work) / f"{name}.zip"
            started = time.perf_counter()
            report = engine.io.export(target, password=password)
            seconds = time.perf_counter() - started
            out[name] = {
                "seconds": round(seconds, 2),
                "notes_per_s": round(report.notes / seconds),
                "rows": sum(report.tables.values()),
                "mb": round(report.bytes / 1e6, 1),
                "vault_files": report.vault_files,
            }
    out["export_peak_rss_mb"] = peak_rss_mb()
    return out


def stage_restore(work: str, notes: int) -> dict[str, Any]:
    started = time.perf_counter()
    with Engine.restore(
        Path(work) / "export.zip", Path(work) / "restored", PASSPHRASE, use_embedder=False
    ) as e:
        count = e.notes.count()
    seconds = time.perf_counter() - started
    return {
        "restore": {"seconds": round(seconds, 2), "notes_per_s": round(count / seconds), "notes": count},
        "restore_peak_rss_mb": peak_rss_mb(),
    }


def _import(work: str, name: str, run: Callable[[Engine], Any], learn: int) -> dict[str, Any]:
    with Engine.create(Path(work) / f"{name}-profile", PASSPHRASE) as engine:
        started = time.perf_counter()
        report = run(engine)
        seconds = time.perf_counter() - started
        result: dict[str, Any] = {
            "notes": report.added,
            "seconds": round(seconds, 2),
            "notes_per_s": round(report.added / seconds),
        }
        if learn:
            # learn from the first `learn` notes only: mark the rest learned-later by running on a slice
            started = time.perf_counter()
            done = 0
            for note_id in report.note_ids[:learn]:
                engine.memory.learn_from_note(note_id)
                done += 1
            seconds = time.perf_counter() - started
            result["learn_notes_per_s"] = round(done / seconds, 1)
        result["peak_rss_mb"] = peak_rss_mb()
    return {name: result}


def stage_vault(work: str, notes: int, learn: int, name: str = "import_obsidian") -> dict[str, Any]:
    vault = write_vault(Path(work) / name, VaultSpec(notes=notes - 100, daily=96))
    return _import(work, name, lambda e: e.io.import_obsidian(vault), learn)


def stage_keep(work: str, notes: int, learn: int) -> dict[str, Any]:
    takeout = write_takeout(Path(work) / "takeout.zip", notes=notes - 1)
    return _import(work, "import_keep", lambda e: e.io.import_keep(takeout), learn)


def in_child(fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(fn, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=10_000)
    parser.add_argument("--import-notes", type=int, default=1000)
    parser.add_argument(
        "--learn", type=int, default=200, help="learn from this many imported notes (0: skip)"
    )
    parser.add_argument(
        "--big-vault", type=int, default=10_000, help="also import a vault this large (0: skip)"
    )
    parser.add_argument("--json")
    args = parser.parse_args()
    results: dict[str, Any] = {"profile_notes": args.notes, "import_notes": args.import_notes}
    with tempfile.TemporaryDirectory(prefix="lifeos-io-bench-") as work:
        results |= in_child(stage_export, work, args.notes)
        results |= in_child(stage_restore, work, args.notes)
        results |= in_child(stage_vault, work, args.import_notes, args.learn)
        results |= in_child(stage_keep, work, args.import_notes, args.learn)
        if args.big_vault:
            results |= in_child(stage_vault, work, args.big_vault, 0, f"import_obsidian_{args.big_vault}")
    for key, value in results.items():
        print(f"{key:>18}: {value}")
    emit(results, args.json)


if __name__ == "__main__":
    main()
