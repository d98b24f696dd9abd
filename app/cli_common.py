"""What every `lifeos` command module shares: opening the profile, printing JSON, exit codes."""

from __future__ import annotations

import argparse
import dataclasses
import json
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

from app import passphrase
from engine.api import Engine, default_home

EXIT_OK, EXIT_USAGE, EXIT_LOCKED, EXIT_DATA = 0, 2, 3, 4


def home_of(args: argparse.Namespace) -> Path:
    return Path(args.home).expanduser() if getattr(args, "home", None) else default_home()


def open_engine(args: argparse.Namespace) -> Engine:
    return Engine.open(home_of(args), passphrase.ask())


def to_jsonable(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, datetime):
        return obj.isoformat()
    return obj


def print_json(value: Any) -> None:
    print(json.dumps(to_jsonable(value), ensure_ascii=False, indent=2))


def local_time(stamp: str) -> str:
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return stamp


MAX_COUNT = 100_000
"""The largest count, limit or number of minutes/hours any command takes."""
MAX_SECONDS = 3600.0


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= MAX_COUNT:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_COUNT:,}")
    return value


def positive_seconds(text: str) -> float:
    """A duration in seconds: finite, above zero, at most an hour (``nan``, ``inf`` and ``-1`` are
    refused here, before they are stored and break every later use)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= MAX_SECONDS:  # also false for nan
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most {MAX_SECONDS:g} seconds")
    return value


def iso_moment(text: str) -> datetime:
    """A date or date-time for `--as-of`; a bare date means the end of that day, local time."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-03-01") from None
    if len(text) <= 10:
        moment = moment.replace(hour=23, minute=59, second=59)
    return moment if moment.tzinfo else moment.astimezone()
