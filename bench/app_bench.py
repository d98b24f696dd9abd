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

Both end points are taken in the page, not by polling from outside: a script injected before the
app's own (``WATCH_JS``) switches on Flutter's accessibility tree as soon as Flutter offers it, and a
MutationObserver stamps the moment each awaited button appears with a non-empty box. Playwright's
``expect(...).to_be_visible()`` still checks every state, but it polls with back-off (up to 500 ms
between tries), which used to add a random 0 to 0.5 s to each figure; its times are kept as
``*_polled_s`` for comparison. ``phases`` splits each page load by the page's own clocks: ``nav``
(navigation starts), ``index`` (the page is in), ``wasm`` (main.dart.wasm is downloaded),
``fonts_asked`` (the compiled client asks for its FontManifest), ``fonts`` (the last font is in),
``first_frame`` (Flutter's first frame), ``ws`` (the app's WebSocket opens) and ``unlock``; all in
seconds since the process was launched.

The browser process itself is started once, before the runs: it is the user's browser, not the app.
Runs come in two kinds: ``cold`` (a new browser context each time: nothing cached, a first visit)
and ``warm`` (one context whose HTTP cache already holds Flet's web client, as when a coachee opens
the app again; the priming load is not counted). The app process starts from scratch in both.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import emit, percentiles
from playwright.sync_api import Browser, BrowserContext, expect, sync_playwright

from engine.api import Engine
from testkit.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    ExternalRequests,
    block_external_requests,
    button,
    enter_text,
    serve_app,
)

PASSPHRASE = "a calm river at dawn"
TIMEOUT_MS = 120_000
UNLOCK = "Unlock"
GALLERY_BUTTON = "Chat with Stoic Mentor"

# Runs in every page before the app's scripts. Times are epoch milliseconds (performance.timeOrigin +
# performance.now()), comparable with Python's time.time().
WATCH_JS = """
(() => {
  const wanted = WANTED;
  const now = () => performance.timeOrigin + performance.now();
  const seen = {};
  const marks = {};
  window.__lifeosBench = { seen, marks };
  window.addEventListener('flutter-first-frame', () => { marks.first_frame ??= now(); });
  const named = (name) => {
    for (const el of document.querySelectorAll('[role=button]')) {
      const label = (el.getAttribute('aria-label') || el.textContent || '').trim();
      const wrapped = el.closest('flt-semantics[aria-label="' + CSS.escape(name) + '"]');
      if (label !== name && !wrapped) continue;
      const box = el.getBoundingClientRect();
      if (box.width > 0 && box.height > 0) return true;
    }
    return false;
  };
  let clicked = 0;
  const check = () => {
    const placeholder = document.querySelector('flt-semantics-placeholder');
    if (placeholder && now() - clicked > 100) {  // Flutter's "Enable accessibility" switch
      clicked = now();
      marks.semantics_asked ??= clicked;
      placeholder.click();
    }
    for (const name of wanted) if (!(name in seen) && named(name)) seen[name] = now();
  };
  new MutationObserver(check).observe(document, {
    subtree: true, childList: true, attributes: true, characterData: true,
  });
})();
""".replace("WANTED", json.dumps([UNLOCK, GALLERY_BUTTON]))

PAGE_PHASES_JS = r"""() => {
  const end = (suffix) => {
    const e = performance.getEntriesByType('resource').filter((r) => r.name.endsWith(suffix));
    return e.length ? performance.timeOrigin + Math.max(...e.map((r) => r.responseEnd)) : null;
  };
  const start = (suffix) => {
    const e = performance.getEntriesByType('resource').filter((r) => r.name.endsWith(suffix));
    return e.length ? performance.timeOrigin + Math.min(...e.map((r) => r.startTime)) : null;
  };
  const fonts = performance.getEntriesByType('resource').filter((r) => /\.(ttf|otf|woff2?)$/.test(r.name));
  const nav = performance.getEntriesByType('navigation')[0];
  return {
    nav: performance.timeOrigin,
    index: nav ? performance.timeOrigin + nav.responseEnd : null,
    wasm: end('main.dart.wasm') ?? end('main.dart.js'),
    fonts_asked: start('FontManifest.json'),
    fonts: fonts.length ? performance.timeOrigin + Math.max(...fonts.map((r) => r.responseEnd)) : null,
    first_frame: window.__lifeosBench.marks.first_frame ?? null,
  };
}"""


def prepare(home: Path) -> None:
    """A profile with one installed coach and a little memory: what a returning coachee opens."""
    with Engine.create(home, PASSPHRASE, use_embedder=False) as engine:
        engine.coaches.install("stoic")
        engine.memory.create_entity("project", "Marathon 2026")
        engine.notes.add("Long run with Sarah on Sunday.")


def new_context(browser: Browser) -> BrowserContext:
    context = browser.new_context(viewport=PHONE)
    context.add_init_script(WATCH_JS)
    return context


def one_run(
    browser: Browser, home: Path, log: Path, shared: BrowserContext | None = None
) -> dict[str, object]:
    started = time.perf_counter()
    started_epoch = time.time()  # the page's stamps are epoch times

    def since_start(epoch_ms: float | None) -> float | None:
        return None if epoch_ms is None else epoch_ms / 1000 - started_epoch

    websocket: dict[str, float] = {}
    with serve_app(home, log) as server:
        listening = time.perf_counter()
        context = shared or new_context(browser)
        external = block_external_requests(context) if shared is None else ExternalRequests()
        page = context.new_page()
        page.on("websocket", lambda _ws: websocket.setdefault("ws", time.time()))
        try:
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(server.url)
            expect(button(page, UNLOCK)).to_be_visible(timeout=TIMEOUT_MS)
            unlock_polled = time.perf_counter()
            phases = page.evaluate(PAGE_PHASES_JS)
            enter_text(page, "Passphrase", PASSPHRASE)
            pressed = time.perf_counter()
            pressed_epoch = time.time()
            button(page, UNLOCK).click()
            expect(button(page, GALLERY_BUTTON)).to_be_visible(timeout=TIMEOUT_MS)
            gallery_polled = time.perf_counter()
            seen = page.evaluate("window.__lifeosBench.seen")
        except AssertionError:
            print(f"--- app log ({log}) ---\n{server.output()[-4000:]}", file=sys.stderr)
            raise
        finally:
            page.close()
            if shared is None:
                context.close()
        if external.urls:
            raise SystemExit(f"the page tried to reach other hosts: {external.urls}")
    unlock_seen = since_start(seen.get(UNLOCK))
    gallery_seen = seen.get(GALLERY_BUTTON)
    named = {k: since_start(v) for k, v in phases.items()}
    named["ws"] = websocket["ws"] - started_epoch if "ws" in websocket else None
    named["unlock"] = unlock_seen
    return {
        "server_listen_s": listening - started,
        "cold_start_s": unlock_seen if unlock_seen is not None else unlock_polled - started,
        "unlock_to_gallery_s": (
            gallery_seen / 1000 - pressed_epoch if gallery_seen is not None else gallery_polled - pressed
        ),
        "cold_start_polled_s": unlock_polled - started,
        "unlock_to_gallery_polled_s": gallery_polled - pressed,
        "phases": {k: None if v is None else round(v, 3) for k, v in named.items()},
    }


def report(kind: str, i: int, run: dict[str, object]) -> None:
    phases = run["phases"]
    assert isinstance(phases, dict)
    steps = " ".join(f"{k} {v:.2f}" for k, v in phases.items() if v is not None)
    print(
        f"{kind} run {i + 1}: start → unlock screen {run['cold_start_s']:.2f} s "
        f"(listening after {run['server_listen_s']:.2f} s; polled {run['cold_start_polled_s']:.2f} s), "
        f"unlock → gallery {run['unlock_to_gallery_s']:.2f} s (polled {run['unlock_to_gallery_polled_s']:.2f} s)"
        f"\n    phases (s since launch): {steps}"
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
    cold: list[dict[str, object]] = []
    warm: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="lifeos-appbench-") as tmp, sync_playwright() as pw:
        home = Path(tmp) / "profile"
        prepare(home)
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for i in range(args.runs):
                cold.append(one_run(browser, home, Path(tmp) / f"cold-{i}.log"))
                report("cold", i, cold[-1])
            shared = new_context(browser)
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
        summary: dict[str, object] = {"runs": runs}
        for name in (
            "cold_start",
            "server_listen",
            "unlock_to_gallery",
            "cold_start_polled",
            "unlock_to_gallery_polled",
        ):
            summary[name] = percentiles([float(r[f"{name}_s"]) for r in runs])  # type: ignore[arg-type]
        phase_names = runs[0]["phases"] if runs else {}
        assert isinstance(phase_names, dict)
        summary["phases_p50_s"] = {
            k: round(statistics.median(vs), 3)
            for k in phase_names
            if (vs := [r["phases"][k] for r in runs if r["phases"][k] is not None])  # type: ignore[index]
        }
        results[kind] = summary
        start_p50 = summary["cold_start"]["p50_ms"] / 1000  # type: ignore[index]
        gallery_p50 = summary["unlock_to_gallery"]["p50_ms"] / 1000  # type: ignore[index]
        listen_p50 = summary["server_listen"]["p50_ms"] / 1000  # type: ignore[index]
        print(
            f"{kind} cache: start → unlock screen p50 {start_p50:.2f} s (listening p50 {listen_p50:.2f} s) · "
            f"unlock → gallery p50 {gallery_p50:.2f} s (target ≤ 2 s each)\n"
            f"    phases p50 (s since launch): {summary['phases_p50_s']}"
        )
    emit(results, args.json)


if __name__ == "__main__":
    main()
