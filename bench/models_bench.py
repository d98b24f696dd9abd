"""Speed and memory of the on-device models, in one process as the app runs them.

    .venv/bin/python bench/models_bench.py [--json PATH] [--quick]

Measures: load time per model; embeddings per second for 16-token queries and 256-token chunks at
batch 1 and 32; reranks per second (one query, 30 candidates); NER sentences per second; the
speech-to-text real-time factor; the peak RSS of this process with embedder, reranker and NER loaded
and working (target ≤ 250 MB); and RSS before, during and after a voice memo, when the speech model
is loaded and unloaded again. Peak RSS is reset between phases on Linux (/proc/self/clear_refs).
The memo is spoken by espeak-ng when it is installed (Debian package 'espeak-ng').
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from engine.types import MB, Models, current_rss_bytes, peak_rss_bytes  # noqa: E402

WORDS = [
    "sleep",
    "running",
    "budget",
    "focus",
    "habit",
    "marathon",
    "coach",
    "morning",
    "energy",
    "stress",
    "family",
    "savings",
    "team",
    "project",
    "recovery",
    "journal",
    "walk",
    "deadline",
    "breathing",
    "water",
    "protein",
    "meeting",
    "feedback",
    "promotion",
    "rent",
    "weekend",
    "plan",
    "goal",
    "progress",
    "evening",
    "reading",
    "friends",
    "doctor",
    "stretch",
    "interval",
    "tempo",
    "race",
    "taper",
    "invest",
    "pension",
]
MEMO = (
    "Quick note after the call with my coach. I want to run three times a week, sleep before eleven, "
    "and put two hundred euros into savings every month. Remind me on Friday to book the physio."
)


def text_of(tokens: int, seed: int) -> str:
    """Deterministic filler text of roughly `tokens` WordPiece tokens (one per common word)."""
    return " ".join(WORDS[(seed * 7 + i * 13) % len(WORDS)] for i in range(tokens - 2))


def rss_mb() -> float:
    value = current_rss_bytes()
    return round(value / MB, 1) if value is not None else float("nan")


def peak_mb() -> float:
    value = peak_rss_bytes()
    return round(value / MB, 1) if value is not None else float("nan")


def reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def rate(count: int, fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm-up
    seconds = min(timed(fn) for _ in range(repeat))
    return round(count / seconds, 1)


def load_under_budget(model: object) -> Callable[[], None]:
    """Load a model the way a first call does (through the budget), and nothing else."""

    def run() -> None:
        with model.active():  # type: ignore[attr-defined]
            pass

    return run


def bench(quick: bool) -> dict:
    repeat = 1 if quick else 3
    result: dict = {
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
        "rss_mb": {"start": rss_mb()},
    }
    models = Models()
    embedder, reranker, ner = models.embedder, models.reranker, models.ner

    load = {"embedder": round(timed(load_under_budget(embedder)), 3)}
    load["reranker_first_call"] = round(timed(lambda: reranker.score("warm", "up")), 3)  # shares the embedder
    load["ner"] = round(timed(load_under_budget(ner)), 3)
    result["load_s"] = load
    result["rss_mb"]["embedder_reranker_ner_loaded"] = rss_mb()

    queries = [text_of(16, i) for i in range(32)]
    chunks = [text_of(256, i) for i in range(32)]
    result["embeddings_per_s"] = {
        "query16_batch1": rate(32, lambda: [embedder.embed(q) for q in queries], repeat),
        "query16_batch32": rate(32, lambda: embedder.embed_batch(queries, kind="query"), repeat),
        "chunk256_batch1": rate(8, lambda: [embedder.embed(c, kind="document") for c in chunks[:8]], repeat),
        "chunk256_batch32": rate(32, lambda: embedder.embed_batch(chunks), repeat),
    }
    candidates = [text_of(60, 100 + i) for i in range(30)]
    per_call = rate(1, lambda: reranker.rerank(queries[0], candidates), repeat)
    result["rerank"] = {"reranks_per_s_30_candidates": per_call, "passages_per_s": round(per_call * 30, 1)}
    sentences = [f"{s} {text_of(12, i)}" for i, s in enumerate(
        ["I met Sarah from Acme, call her next Tuesday about #marathon."] * 100)]  # fmt: skip
    result["ner_sentences_per_s"] = rate(len(sentences), lambda: ner.extract_batch(sentences), repeat)
    result["rss_mb"]["peak_embedder_reranker_ner"] = peak_mb()
    result["rss_mb"]["after_embedder_reranker_ner_work"] = rss_mb()
    result["target_peak_mb"] = 250

    result["asr"] = bench_asr(models)
    result["budget"] = {
        "budget_mb": models.budget.budget_bytes // MB,
        "arena_mb": models.budget.reserved_bytes // MB,
        "evictions": list(models.budget.evictions),
        "charged_mb": {r.name: round(r.memory_bytes / MB, 1) for r in models.status() if r.loaded},
    }
    models.close()
    return result


def bench_asr(models: Models) -> dict:
    asr = models.asr
    out: dict = {"load_s": round(timed(load_under_budget(asr)), 3)}  # transient: unloads right after
    if shutil.which("espeak-ng") is None:
        out["skipped"] = "espeak-ng is not installed (Debian package 'espeak-ng'); no memo to transcribe"
        return out
    with tempfile.TemporaryDirectory() as tmp:
        memo = Path(tmp) / "memo.wav"
        subprocess.run(["espeak-ng", "-s", "150", "-w", str(memo), MEMO], check=True, capture_output=True)
        out["rss_before_mb"] = rss_mb()
        reset_peak()
        transcript = models.transcribe(memo)
        out["rss_peak_during_mb"] = peak_mb()
        out["rss_after_unload_mb"] = rss_mb()
        out["still_loaded"] = asr.is_loaded
        out["audio_s"] = round(transcript.duration_s, 2)
        out["transcribe_s"] = round(transcript.seconds_taken, 2)
        out["real_time_factor"] = round(transcript.real_time_factor, 3)
        out["text"] = transcript.text
        transcript = models.transcribe(memo)  # a second memo: RSS must not ratchet up
        out["rss_after_second_memo_mb"] = rss_mb()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--quick", action="store_true", help="one timing run instead of best of three")
    args = parser.parse_args()
    result = bench(args.quick)
    print(json.dumps(result, indent=2))
    peak = result["rss_mb"]["peak_embedder_reranker_ner"]
    print(f"\npeak RSS with embedder + reranker + NER: {peak} MB (target ≤ {result['target_peak_mb']} MB)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
