"""App benchmark: cold start to the unlock screen, and unlock to the gallery, in headless Chromium.

    .venv/bin/python bench/app_bench.py [--runs 3] [--json out.json]

Each run starts a fresh `python -m app` process on a loopback port over a prepared profile and opens
it in a fresh browser context (empty cache, as on a first visit), with every request to another
host blocked. Measured, per run:

- ``cold_start_s``: from launching the process to the unlock screen being usable in the browser
  (the Unlock button present in Flutter's accessibility tree); split into ``server_listen_s`` (the
  process imports and binds its port) and the page load that follows.
- ``unlock_to_gallery_s``: from pressing Unlock (one Argon2id key derivation) to the gallery's coach
  cards being on screen.

The browser process itself is started once, before the runs: it is the user's browser, not the app.
Runs come in two kinds: ``cold`` (a new browser context each time: nothing cached, a first visit)
and ``warm`` (one context whose HTTP cache already holds Flet's web client, as when a coachee opens
the app again; the priming load is not counted). The app process starts from scratch in both.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from _common import emit, percentiles
from browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    ExternalRequests,
    block_external_requests,
    button,
    enter_text,
    open_app,
    serve_app,
)
from playwright.sync_api import Browser, BrowserContext, expect, sync_playwright

from engine.api import Engine

PASSPHRASE = "a calm river at dawn"
TIMEOUT_MS = 120_000


def prepare(home: Path) -> None:
    """A profile with one installed coach and a little memory: what a returning coachee opens."""
    with Engine.create(home, PASSPHRASE, use_embedder=False) as engine:
        engine.install_coach("stoic")
        engine.create_entity("project", "Marathon 2026")
        engine.add_note("Long run with Sarah on Sunday.")


def one_run(
    browser: Browser, home: Path, log: Path, shared: BrowserContext | None = None
) -> dict[str, float]:
    started = time.perf_counter()
    with serve_app(home, log) as server:
        listening = time.perf_counter()
        context = shared or browser.new_context(viewport=PHONE)
        external = block_external_requests(context) if shared is None else ExternalRequests()
        page = context.new_page()
        try:
            page.set_default_timeout(TIMEOUT_MS)
            open_app(page, server.url)
            expect(button(page, "Unlock")).to_be_visible(timeout=TIMEOUT_MS)
            unlock_ready = time.perf_counter()
            enter_text(page, "Passphrase", PASSPHRASE)
            pressed = time.perf_counter()
            button(page, "Unlock").click()
            expect(button(page, "Chat with Stoic Mentor")).to_be_visible(timeout=TIMEOUT_MS)
            gallery_ready = time.perf_counter()
        finally:
            page.close()
            if shared is None:
                context.close()
        if external.urls:
            raise SystemExit(f"the page tried to reach other hosts: {external.urls}")
    return {
        "server_listen_s": listening - started,
        "cold_start_s": unlock_ready - started,
        "unlock_to_gallery_s": gallery_ready - pressed,
    }


def report(kind: str, i: int, run: dict[str, float]) -> None:
    print(
        f"{kind} run {i + 1}: start → unlock screen {run['cold_start_s']:.2f} s "
        f"(listening after {run['server_listen_s']:.2f} s), unlock → gallery {run['unlock_to_gallery_s']:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} not found: install Debian's chromium to run this benchmark")
    cold: list[dict[str, float]] = []
    warm: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="lifeos-appbench-") as tmp, sync_playwright() as pw:
        home = Path(tmp) / "profile"
        prepare(home)
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for i in range(args.runs):
                cold.append(one_run(browser, home, Path(tmp) / f"cold-{i}.log"))
                report("cold", i, cold[-1])
            shared = browser.new_context(viewport=PHONE)
            external = block_external_requests(shared)
            one_run(browser, home, Path(tmp) / "prime.log", shared)  # fills the cache; not counted
            for i in range(args.runs):
                warm.append(one_run(browser, home, Path(tmp) / f"warm-{i}.log", shared))
                report("warm", i, warm[-1])
            if external.urls:
                raise SystemExit(f"the page tried to reach other hosts: {external.urls}")
        finally:
            browser.close()
    results: dict[str, object] = {"target_ms": 2000}
    for kind, runs in (("cold", cold), ("warm", warm)):
        results[kind] = {
            "runs": runs,
            "cold_start": percentiles([r["cold_start_s"] for r in runs]),
            "server_listen": percentiles([r["server_listen_s"] for r in runs]),
            "unlock_to_gallery": percentiles([r["unlock_to_gallery_s"] for r in runs]),
        }
        summary = results[kind]
        assert isinstance(summary, dict)
        print(
            f"{kind} cache: start → unlock screen p50 {summary['cold_start']['p50_ms'] / 1000:.2f} s · "
            f"unlock → gallery p50 {summary['unlock_to_gallery']['p50_ms'] / 1000:.2f} s (target ≤ 2 s each)"
        )
    emit(results, args.json)


if __name__ == "__main__":
    main()
