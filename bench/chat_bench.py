"""Chat speed: Stoic pack build and install, offline reply latency (Stoic coach, then with 100k chunks),
and time to first streamed token against an in-process OpenAI-compatible server.

- Build: `lifeos coach build` of assets/coaches/stoic, reusing the vectors of an earlier build of the
  same embedder (testkit/data/stoic_vectors.npz) as a rebuild does; a first build embeds 3,139 windows
  on top (minutes on two busy cores; run `--embed` to time that too).
- Install: the built pack into fresh encrypted profiles (verify every checksum, store passages and
  prebuilt vectors), best and median of `--installs` runs.
- Offline reply: full `engine.chat.send` turns with the `grounded` reasoner (retrieval of passages and
  memory, composition, write-back to the conversation and daily notes), over the public stoic queries
  (each a new message, so each query is embedded cold, as in real use).
- 100k: the Stoic coach's knowledge grown to `--big` passages with perturbed copies of its passages and
  vectors (bench/retrieval_bench.py's `synthesise`: real vectors plus noise, since embedding 100k
  passages for real takes hours here), then the same turns again.
- TTFT: the `openai` reasoner against testkit.coaches.MockCloudLLM through httpx's in-process
  transport: from `chat()` being called to the first streamed text (retrieval and context included),
  and from the request being sent.

    .venv/bin/python bench/chat_bench.py [--big 100000] [--queries 40] [--json bench/results/chat.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import SHARED_DATA, emit, peak_rss_mb, percentiles

from engine.api import Engine
from engine.types import KnowledgeDoc, Models, Passage, Prebuilt, build_pack, open_pack, token_counter

REPO = Path(__file__).resolve().parents[1]
PASSPHRASE = "bench passphrase for chat"
FALLBACK_QUERIES = [
    "My boss criticised me in front of everyone and I can't stop replaying it",
    "I'm terrified of failing my exams",
    "My friend betrayed my trust and I'm furious",
    "I can't stop worrying about the future",
    "My father died last month and I can't focus",
    "I have no motivation to start my work",
]


def _queries(n: int) -> list[str]:
    path = SHARED_DATA / "stoic" / "public" / "queries.jsonl"
    if path.is_file():
        texts = [json.loads(line)["text"] for line in path.read_text().splitlines() if line.strip()]
        return texts[:n]
    return (FALLBACK_QUERIES * (n // len(FALLBACK_QUERIES) + 1))[:n]


def _turns(engine: Engine, queries: list[str]) -> dict[str, Any]:
    totals: list[float] = []
    stages: dict[str, list[float]] = {}
    quoted = 0
    for q in queries:
        start = time.perf_counter()
        reply = engine.chat.send("stoic", q)
        totals.append(time.perf_counter() - start)
        for stage in ("knowledge", "memory", "moves", "reply"):
            stages.setdefault(stage, []).append(reply.timings_ms.get(stage, 0.0) / 1000)
        quoted += bool(reply.citations)
    return {
        "total": percentiles(totals),
        **{k: percentiles(v) for k, v in stages.items()},
        "quoting_share": round(quoted / len(queries), 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", type=int, default=100_000, help="passages for the large-coach run (0: skip)")
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--installs", type=int, default=3)
    parser.add_argument("--embed", action="store_true", help="also time a first build that embeds everything")
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {}
    models = Models()
    embedder = models.embedder
    embedder.load()
    queries = _queries(args.queries)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        pack = root / "stoic.coach"
        cache = REPO / "testkit" / "data" / "stoic_vectors.npz"
        start = time.perf_counter()
        report = build_pack(
            REPO / "assets" / "coaches" / "stoic",
            pack,
            embedder=embedder,
            count_tokens=token_counter(embedder),
            window=embedder.max_tokens,
            reuse=cache if cache.is_file() else None,
        )
        results["build_rebuild_s"] = round(time.perf_counter() - start, 3)
        results["pack"] = {
            "bytes": pack.stat().st_size,
            "passages": report.passages,
            "vectors": report.vectors,
        }
        if args.embed:
            start = time.perf_counter()
            build_pack(
                REPO / "assets" / "coaches" / "stoic",
                root / "fresh.coach",
                embedder=embedder,
                count_tokens=token_counter(embedder),
                window=embedder.max_tokens,
            )
            results["build_first_s"] = round(time.perf_counter() - start, 3)
        print(f"pack: {results['pack']}, rebuild {results['build_rebuild_s']} s")

        installs: list[float] = []
        for i in range(args.installs):
            with Engine.create(root / f"i{i}", PASSPHRASE, models=models) as engine:
                start = time.perf_counter()
                engine.coaches.install(pack)
                installs.append(time.perf_counter() - start)
        results["install_s"] = {
            "best": round(min(installs), 3),
            "median": round(statistics.median(installs), 3),
        }
        print(f"install: {results['install_s']}")

        with Engine.create(root / "chat", PASSPHRASE, models=models) as engine:
            engine.coaches.install(pack)
            engine.memory.capture("I lead the Q3 launch project")
            engine.chat.send("stoic", "warm-up")  # loads the embedder's session and warms the page cache
            results["offline_reply_stoic"] = _turns(engine, queries)
            print(
                f"offline reply, stoic ({report.passages} passages): {results['offline_reply_stoic']['total']}"
            )

            results["ttft"] = _ttft(engine, queries[:10])
            print(f"ttft (in-process server): {results['ttft']}")

            if args.big > report.passages:
                start = time.perf_counter()
                _grow(engine, pack, args.big - report.passages)
                results["grow_s"] = round(time.perf_counter() - start, 1)
                engine.chat.send("stoic", "warm-up again")
                results["offline_reply_big"] = {"passages": args.big, **_turns(engine, queries)}
                print(f"offline reply, {args.big} passages: {results['offline_reply_big']['total']}")
    results["peak_rss_mb"] = peak_rss_mb()
    models.close()
    emit(results, args.json)
    return 0


def _ttft(engine: Engine, queries: list[str]) -> dict[str, Any]:
    from testkit.coaches import MockCloudLLM

    from_send: list[float] = []
    from_request: list[float] = []
    for q in queries:
        reasoner = engine.chat.make_reasoner(
            "openai", base_url="http://mock/v1", model="m", transport=MockCloudLLM().transport()
        )
        start = time.perf_counter()
        first: list[float] = []
        reply = engine.chat.send(
            "stoic",
            q,
            reasoner=reasoner,
            on_text=lambda _t, first=first: first.append(time.perf_counter()) if not first else None,
        )
        assert reply.reasoner == "openai"
        from_send.append(first[0] - start)
        from_request.append(reply.timings_ms["first_token"] / 1000)
    return {"from_send": percentiles(from_send), "from_request": percentiles(from_request)}


def _grow(engine: Engine, pack_path: Path, count: int) -> None:
    from retrieval_bench import synthesise

    pack = open_pack(pack_path)
    vectors = pack.vectors() or {}
    base = [Passage(p.ref, p.title, p.text) for p in pack.passages()]
    done = 0
    while done < count:
        step = min(20_000, count - done)
        docs, vecs = synthesise(base, vectors, step, start_copy=1 + done // len(base), seed=done)
        docs = [KnowledgeDoc(f"{d.ref}#{done + i}", d.text, d.title) for i, d in enumerate(docs)]
        engine.knowledge.add(
            "stoic",
            docs,
            prebuilt=Prebuilt(
                pack.manifest.embedder_id or "", {d.ref: vecs[d.ref.split("#")[0]][:1] for d in docs}
            ),
        )
        done += step
        print(f"  grown by {done}/{count}", flush=True)
    engine.notes.optimize_indexes()


if __name__ == "__main__":
    sys.exit(main())
