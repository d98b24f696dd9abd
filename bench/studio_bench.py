"""Coach studio speed: a ~50 MB set of PDF books from extraction to an installed, signed coach.

The books are generated with fpdf2 (uncompressed text pages of ~2,600 characters, Zipf-distributed
words from a coaching vocabulary, so the full-text index has realistic postings) into a cache folder
and reused by later runs; generating is not timed. Then, through the Engine facade as the app does:

1. extract + chunk: `studio.add_path` on the folder (pypdf page by page, flags, chunking, every page
   and chunk written into the encrypted profile) — pages/s and MB/s;
2. content check: `studio.check` over every chunk (patterns, the NER on chunks with contact-like
   spans, copied-passage shingles);
3. install: `studio.install` — the draft written out, built into a signed pack (knowledge zstd,
   checksums, Ed25519 signature) and installed (verified, stored, full-text indexed);
4. seconds to an installed pack = 1 + 3 (the check is the creator's own pace).

The profile keeps knowledge lexical (BM25) by default: embedding 40k+ chunks with MiniLM takes tens
of minutes on two busy cores, so `--embed-mb` (default 0.25) times the embedder on a smaller set of the
same books instead and reports its rate; `--embed-mb 0` skips it, and `--embed-all` embeds the full set.

    .venv/bin/python bench/studio_bench.py [--mb 50] [--books 10] [--embed-mb 0.25] [--json bench/results/studio.json]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import emit, peak_rss_mb, vocabulary, zipf_weights

from engine.api import Engine

PASSPHRASE = "bench studio passphrase"
PAGE_BYTES = 5_300  # an uncompressed fpdf2 page of five ~90-word paragraphs (measured)
CACHE = Path(tempfile.gettempdir()) / "lifeos-studio-bench"
SEED_FLOOR_S = 8.0  # DESIGN.md: local index build for a 50 MB coach under 8 s


def make_books(folder: Path, megabytes: float, books: int, seed: int = 7) -> list[Path]:
    """`books` PDFs adding up to about `megabytes` MB; reused when already there."""
    from fpdf import FPDF

    folder.mkdir(parents=True, exist_ok=True)
    pages_per_book = max(1, int(megabytes * 1_000_000 / PAGE_BYTES / books))
    rng = random.Random(seed)
    vocab = vocabulary(3000, seed)
    weights = zipf_weights(len(vocab))
    paths = []
    for number in range(books):
        path = folder / f"book-{number + 1:02d}.pdf"
        paths.append(path)
        if path.exists():
            continue
        pdf = FPDF()
        pdf.set_compression(False)
        pdf.set_font("Helvetica", size=10)
        for _page in range(pages_per_book):
            pdf.add_page()
            y = 20.0
            for _para in range(5):
                words = rng.choices(vocab, weights, k=90)
                text = " ".join(words).capitalize() + "."
                for line in textwrap.wrap(text, 95):
                    pdf.text(15, y, line)
                    y += 5
                y += 4
        pdf.output(str(path))
    return paths


def run(folder: Path, *, embed: bool) -> dict[str, Any]:
    size = sum(p.stat().st_size for p in folder.glob("*.pdf"))
    load_before = os.getloadavg()[0]
    with (
        tempfile.TemporaryDirectory() as tmp,
        Engine.create(Path(tmp) / "p", PASSPHRASE, use_embedder=embed) as engine,
    ):
        draft = engine.studio.create("Bench Coach", domain="Wisdom")
        t0 = time.perf_counter()
        sources = engine.studio.add_path(draft.id, folder)
        extract_s = time.perf_counter() - t0
        pages = sum(s.pages for s in sources)
        chunks = sum(s.chunks for s in sources)
        t1 = time.perf_counter()
        report = engine.studio.check(draft.id)
        check_s = time.perf_counter() - t1
        for source in sources:
            engine.studio.set_source(source.id, licence="CC BY 4.0")
        engine.studio.create_key("Bench Publisher")
        t2 = time.perf_counter()
        installed = engine.studio.install(draft.id)
        install_s = time.perf_counter() - t2
        return {
            "pdf_mb": round(size / 1e6, 1),
            "books": len(sources),
            "pages": pages,
            "chunks": chunks,
            "extract_chunk_s": round(extract_s, 2),
            "pages_per_s": round(pages / extract_s, 1),
            "mb_per_s": round(size / 1e6 / extract_s, 2),
            "content_check_s": round(check_s, 2),
            "personal_findings": sum(len(c.findings) for c in report.personal),
            "build_sign_install_s": round(install_s, 2),
            "seconds_to_installed_pack": round(extract_s + install_s, 2),
            "installed_passages": installed.passages,
            "vectors": installed.vectors,
            "embedder": embed,
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "load_average_1min": [round(load_before, 1), round(os.getloadavg()[0], 1)],  # others' work too
        }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mb", type=float, default=50.0, help="size of the PDF set (default 50)")
    parser.add_argument("--books", type=int, default=10)
    parser.add_argument(
        "--embed-mb", type=float, default=0.25, help="also time the embedder on a set this big"
    )
    parser.add_argument("--embed-all", action="store_true", help="embed the full set too (slow on a CPU)")
    parser.add_argument("--json", metavar="PATH", help="write the figures as JSON")
    args = parser.parse_args()

    t = time.perf_counter()
    folder = CACHE / f"{args.mb:g}mb-{args.books}"
    make_books(folder, args.mb, args.books)
    print(f"PDF set: {folder} (ready in {time.perf_counter() - t:.1f} s, not timed below)")

    results: dict[str, Any] = {"lexical": run(folder, embed=args.embed_all)}
    r = results["lexical"]
    print(
        f"\n{r['pdf_mb']} MB, {r['books']} books, {r['pages']:,} pages → {r['chunks']:,} chunks\n"
        f"  extract + chunk      {r['extract_chunk_s']:>7.2f} s   {r['pages_per_s']:,.0f} pages/s, {r['mb_per_s']} MB/s\n"
        f"  content check        {r['content_check_s']:>7.2f} s   ({r['personal_findings']} findings)\n"
        f"  build, sign, install {r['build_sign_install_s']:>7.2f} s   ({r['installed_passages']:,} passages, "
        f"{r['vectors']:,} vectors)\n"
        f"  to an installed pack {r['seconds_to_installed_pack']:>7.2f} s   (seed floor for a 50 MB index: "
        f"{SEED_FLOOR_S:g} s)\n"
        f"  peak RSS             {r['peak_rss_mb']:>7.1f} MB\n"
        f"  load average         {r['load_average_1min'][0]} → {r['load_average_1min'][1]} (1 min, before → after)"
    )
    if args.embed_mb > 0 and not args.embed_all:
        small = CACHE / f"{args.embed_mb:g}mb-1"
        make_books(small, args.embed_mb, 1, seed=11)
        e = results["embedded_sample"] = run(small, embed=True)
        rate = e["chunks"] / max(e["build_sign_install_s"] + e["extract_chunk_s"], 1e-9)
        e["chunks_per_s_with_embedder"] = round(rate, 1)
        e["estimated_full_set_s"] = round(r["chunks"] / rate, 0)
        print(
            f"\nwith the embedder, {e['pdf_mb']} MB sample: {e['chunks']:,} chunks, {e['vectors']:,} vectors, "
            f"{e['seconds_to_installed_pack']:.1f} s to an installed pack ({rate:.1f} chunks/s; the full "
            f"set would take about {e['estimated_full_set_s']:,.0f} s at that rate)"
        )
    emit(results, args.json)


if __name__ == "__main__":
    main()
