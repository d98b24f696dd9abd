"""Voice memo benchmark: from a spoken memo to a saved, linked note, as the chat's microphone does.

    .venv/bin/python bench/voice_bench.py [--memos 8] [--json out.json]

Memos of about 3 to 10 seconds are spoken by espeak-ng (Debian package `espeak-ng`) in rotation and
handed to `Engine.add_voice_memo` as WAV bytes, the form the chat's recorder produces. Measured per
memo: the whole call (length check, Whisper tiny.en in its child process, note + audio + memory
capture in one transaction) and the real-time factor (call time / audio length). The first memo of a
session also loads NER and the embedder; it is reported apart (``first_ms``) and left out of the
percentiles, which describe a coachee's later memos. Peak RSS is the app process's, Whisper's child
not included (it exits after each memo; see bench/models_bench.py).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import emit, peak_rss_mb, percentiles, timed

from engine.api import Engine

MEMOS = [
    "Long run on Sunday with Sarah.",
    "Call the bank about the mortgage before Friday, and ask Tom about the flat.",
    "I slept badly again. Too much coffee after four, I think. Try herbal tea this week.",
    "Finished chapter three of Meditations. The idea that we suffer more in imagination than in "
    "reality stayed with me all afternoon.",
]


def speak(text: str, path: Path) -> Path:
    subprocess.run(["espeak-ng", "-s", "140", "-w", str(path), text], check=True, capture_output=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memos", type=int, default=8, help="memos to save after the first (default 8)")
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args()
    if shutil.which("espeak-ng") is None:
        raise SystemExit("espeak-ng is needed to speak the memos (apt-get install espeak-ng)")

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        audio = [speak(text, folder / f"memo{i}.wav").read_bytes() for i, text in enumerate(MEMOS)]
        with Engine.create(folder / "profile", "a calm river at dawn") as engine:
            engine.memory.create_entity("person", "Sarah")
            first_s, first = timed(lambda: engine.memory.add_voice_memo(audio[0], name="memo0.wav"))
            print(
                f"first memo (loads NER and the embedder): {first_s * 1000:.0f} ms for {first.seconds:.1f} s"
            )
            times: list[float] = []
            factors: list[float] = []
            for i in range(args.memos):
                data = audio[i % len(audio)]
                took, memo = timed(
                    lambda data=data, i=i: engine.memory.add_voice_memo(data, name=f"memo{i}.wav")
                )
                times.append(took)
                factors.append(took / memo.seconds)
                print(
                    f"memo {i + 1}: {memo.seconds:4.1f} s of speech → note in {took * 1000:5.0f} ms  «{memo.transcript[:60]}»"
                )
            notes = engine.notes.count()
    results = {
        "voice_memo": {
            "memos": args.memos,
            "first_ms": round(first_s * 1000, 1),
            **percentiles(times),
            "real_time_factor_p50": round(sorted(factors)[len(factors) // 2], 3),
            "notes_saved": notes,
        },
        "peak_rss_mb": peak_rss_mb(),
    }
    summary = results["voice_memo"]
    print(
        f"\nmemo → note: p50 {summary['p50_ms']:.0f} ms, p95 {summary['p95_ms']:.0f} ms, "
        f"RTF p50 {summary['real_time_factor_p50']}, first {summary['first_ms']:.0f} ms; "
        f"peak RSS {results['peak_rss_mb']} MB"
    )
    emit(results, args.json)


if __name__ == "__main__":
    main()
