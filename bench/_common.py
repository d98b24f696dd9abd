"""Shared helpers for the benchmarks: percentiles, peak RSS, synthetic text, JSON output."""

from __future__ import annotations

import functools
import json
import platform
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"

# A coaching-flavoured vocabulary so that FTS5 postings have realistic, skewed lengths.
_WORDS = [
    "run",
    "marathon",
    "training",
    "sunday",
    "river",
    "sarah",
    "coffee",
    "launch",
    "project",
    "deadline",
    "budget",
    "savings",
    "invoice",
    "client",
    "meeting",
    "boss",
    "feedback",
    "anger",
    "calm",
    "breath",
    "journal",
    "gratitude",
    "sleep",
    "tired",
    "energy",
    "focus",
    "habit",
    "week",
    "month",
    "goal",
    "plan",
    "review",
    "retro",
    "team",
    "manager",
    "promotion",
    "salary",
    "rent",
    "groceries",
    "family",
    "kids",
    "school",
    "doctor",
    "knee",
    "injury",
    "stretch",
    "yoga",
    "protein",
    "dinner",
    "walk",
    "park",
    "friend",
    "call",
    "email",
    "draft",
    "slides",
    "demo",
    "seneca",
    "epictetus",
    "marcus",
    "virtue",
    "fear",
    "worry",
    "control",
    "choice",
    "judgement",
    "death",
    "time",
    "money",
    "health",
    "wisdom",
    "morning",
    "evening",
    "tomorrow",
    "yesterday",
    "weekend",
    "holiday",
    "flight",
    "hotel",
    "berlin",
    "valencia",
    "paris",
    "lisbon",
    "anxious",
    "proud",
    "stuck",
    "hopeful",
    "grateful",
    "frustrated",
    "lonely",
    "motivated",
    "curious",
    "ready",
    "late",
    "early",
]


def vocabulary(size: int = 4000, seed: int = 1) -> list[str]:
    """The base words plus made-up rare words, so the long tail of a real vocabulary exists."""
    rng = random.Random(seed)
    rare = {
        "".join(rng.choice("abcdefghijklmnoprstuvw") for _ in range(rng.randint(5, 10))) for _ in range(size)
    }
    return _WORDS + sorted(rare)


@functools.cache
def zipf_weights(n: int, s: float = 1.0) -> list[float]:
    """Cumulative Zipf weights (P(rank r) ∝ 1/r^s), the shape of word frequencies in real text."""
    total, cumulative = 0.0, []
    for rank in range(1, n + 1):
        total += 1.0 / rank**s
        cumulative.append(total)
    return cumulative


def sentence(rng: random.Random, vocab: list[str], n_words: int, skip_top: int = 0) -> str:
    """Words drawn Zipf-wise; `skip_top` drops the most frequent ranks (as queries drop stop words)."""
    words = vocab[skip_top:]
    weights = zipf_weights(len(words))
    return " ".join(rng.choices(words, cum_weights=weights, k=n_words))


def percentiles(samples_s: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in samples_s)
    q = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else [ms[0]] * 99
    return {
        "p50_ms": round(q[49], 3),
        "p95_ms": round(q[94], 3),
        "mean_ms": round(statistics.fmean(ms), 3),
        "n": len(ms),
    }


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def peak_rss_mb() -> float:
    """Peak resident set size of this process (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def machine() -> dict[str, Any]:
    import os

    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()}


def emit(results: dict[str, Any], json_path: str | None) -> None:
    results = {"machine": machine(), **results}
    if json_path:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(json_path).write_text(json.dumps(results, indent=2))
        print(f"\nwrote {json_path}")
