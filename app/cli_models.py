"""`lifeos models`, `lifeos ner` and `lifeos transcribe`: see what the on-device models do.

These commands touch no profile data, so they never ask for a passphrase; they only read the user's
models folder (`<home>/models`) beside the repository's `models/`. Errors are raised as the engine's
typed errors and printed as one line by `app.cli.main` (exit 4 for unreadable data, 2 for usage).
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from app.cli_common import EXIT_OK, home_of, print_json
from engine.errors import DataError


def register(subparsers: Any) -> None:
    """Add the model commands to `lifeos`'s argparse subparsers."""
    p = subparsers.add_parser("models", help="list the on-device models: role, source, size, memory")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_models)

    p = subparsers.add_parser("ner", help="show the people, places, dates, projects… found in a text")
    p.add_argument("text", nargs="+")
    p.add_argument(
        "--today", type=_iso_day, metavar="YYYY-MM-DD", help="resolve relative dates from this day"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_ner)

    p = subparsers.add_parser("transcribe", help="transcribe a voice memo (WAV, MP3, M4A, OGG) offline")
    p.add_argument("audio", type=Path)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_transcribe)


def _iso_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-03-01") from None


def _models(args: argparse.Namespace) -> Any:
    from engine.api import load_models

    return load_models(home_of(args))


def _mb(n: int | None) -> str:
    return "-" if n is None else f"{n / (1024 * 1024):.0f} MB"


def cmd_models(args: argparse.Namespace) -> int:
    models = _models(args)
    rows = models.status()
    budget = models.budget_status()
    if args.json:
        print_json({"models": rows, "budget": budget, "problems": models.problems})
        return EXIT_OK
    print(f"{'ROLE':<9} {'NAME':<26} {'BACKEND':<26} {'SIZE':>7} {'LOADED':<7} {'MEMORY':>7}  SOURCE")
    for r in rows:
        mark = "*" if r.default else " "
        print(
            f"{r.role:<9} {mark}{r.name:<25} {r.backend:<26} {_mb(r.file_bytes):>7} "
            f"{'yes' if r.loaded else 'no':<7} {_mb(r.memory_bytes if r.loaded else None):>7}  {r.source}"
        )
        if r.detail:
            print(f"{'':<11}{r.detail}")
    print(
        f"\n* serves its role. Budget {_mb(budget.budget_bytes)}, of which {_mb(budget.arena_bytes)} reserved "
        "for the shared ONNX Runtime arena; models load on first use and unload least recently used first."
    )
    for problem in models.problems:
        print(f"problem: {problem}")
    return EXIT_OK


def cmd_ner(args: argparse.Namespace) -> int:
    text = " ".join(args.text)
    entities = _models(args).ner.extract(text, today=args.today)
    if args.json:
        print_json(entities)
        return EXIT_OK
    if not entities:
        print("no entities found")
    for e in entities:
        value = f"  → {e.value}" if e.value and e.value != e.text else ""
        print(f"{e.type:<12} {e.text}{value}  ({e.source})")
    return EXIT_OK


def cmd_transcribe(args: argparse.Namespace) -> int:
    transcript = _models(args).transcribe(args.audio)
    if args.json:
        print_json(transcript)
        return EXIT_OK
    if not transcript.text:
        raise DataError(
            f"no speech was heard in {Path(args.audio).name} ({transcript.duration_s:.1f} s of audio)"
        )
    print(transcript.text)
    return EXIT_OK
