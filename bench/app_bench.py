"""App benchmark in headless Chromium: cold start to the unlock screen, unlock to the gallery, and
Send to the last word of the coach's reply.

    .venv/bin/python bench/app_bench.py [--runs 3] [--messages 8] [--json out.json]
    .venv/bin/python bench/app_bench.py --runs 0 --messages 10     # the chat figures alone

Each run starts a fresh `python -m app` process on a loopback port over a prepared profile and opens
it in a fresh browser context (empty cache, as on a first visit) at laptop size (1280×800: the
installed coach's card is on screen without scrolling now that the gallery offers four demo coaches
and "Create a coach"), with every request to another host blocked. Measured, per run:

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

``chat``: then, on a copy of the profile with an ongoing conversation (``--history`` earlier
exchanges, as a returning coachee has), one session chats with the Stoic coach (the offline grounded
reasoner): ``--messages`` messages, each typed key by key and sent with Enter, as a person does. Per message, stamped in the page: ``send`` (the Enter key goes down), ``first_token`` (the
reply's first words are on the page) and ``last_token`` (its last words are). The page logs every
text that appears or changes (a MutationObserver: added nodes, changed text, changed
``aria-label``); afterwards the replies are read from the profile and each one's first and last
words are looked up in that log (the last words by a stretch that no earlier reply contains, since
replies can end on the same question). ``engine_ms`` is the same conversation through
``engine.chat.send`` in this process beforehand, on another copy of the profile: what the engine
itself takes, for comparison with what the person waits.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import emit, percentiles
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from engine.api import Engine
from testkit.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    ExternalRequests,
    block_external_requests,
    button,
    enter_text,
    field,
    serve_app,
    type_text,
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
  // The chat phase: Enter presses, and every text that appears or changes on the page.
  const chat = { sends: [], texts: [], pending: false, pendingSeen: 0, pendingGone: 0 };
  window.__lifeosBench.chat = chat;
  // On window, capturing, and before Flutter's own listeners (this script runs first): Flutter
  // stops key events from travelling further.
  window.addEventListener('keydown', (e) => {
    if (chat.logging && e.key === 'Enter' && !e.shiftKey) {
      chat.sends.push(now());
      chat.pendingSeen = chat.pendingGone = 0;
    }
  }, true);
  const PENDING = 'The coach is replying';
  const logText = (t, text) => { if (text && text.trim()) chat.texts.push([t, text]); };
  const watchChat = (mutations) => {
    if (!chat.logging) return;
    const t = now();
    for (const m of mutations) {
      if (m.type === 'childList') {
        for (const n of m.addedNodes) logText(t, n.nodeType === 1 ? (n.getAttribute('aria-label') || '') + ' ' + n.textContent : n.textContent);
      } else if (m.type === 'characterData') {
        logText(t, m.target.textContent);
      } else if (m.attributeName === 'aria-label' && m.oldValue !== m.target.getAttribute('aria-label')) {
        logText(t, m.target.getAttribute('aria-label'));
      }
    }
    const host = document.querySelector('flt-semantics-host');
    const pending = !!document.querySelector(`[aria-label="${PENDING}"]`) || !!host?.textContent.includes(PENDING);
    if (pending && !chat.pendingSeen) chat.pendingSeen = t;
    if (!pending && chat.pendingSeen && !chat.pendingGone) chat.pendingGone = t;
  };
  new MutationObserver(watchChat).observe(document, {
    subtree: true, childList: true, characterData: true, attributes: true,
    attributeFilter: ['aria-label'], attributeOldValue: true,
  });
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
    context = browser.new_context(viewport=DESKTOP)
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


CHAT_COACH = "stoic"
CHAT_MESSAGES = (
    "How do I stay calm when a race goes badly?",
    "I get angry when my runs go badly and I snap at people afterwards.",
    "My coach shouted at me today in front of the whole group.",
    "I keep comparing myself with faster runners.",
    "What should I do about the fear before a race?",
    "I skipped training again this week and I feel guilty.",
    "Sarah says I am too hard on myself. Is she right?",
    "How do I deal with an injury that will not heal?",
    "I want to quit the marathon plan.",
    "What is one small thing I can do tomorrow morning?",
)
REPLY_TIMEOUT_MS = 60_000
SETTLE_MS = 1_500
"""After a reply is rendered, how long the page is watched for its last words to come into view."""
HEAD_CHARS, TAIL_CHARS = 30, 40


def _letters(text: str) -> str:
    """Text reduced to lower-case letters and digits: what survives Markdown rendering unchanged."""
    return re.sub(r"[^0-9a-z]", "", text.lower())


def _last_words(reply: str, earlier: list[str]) -> str:
    """The reply's last ``TAIL_CHARS`` letters that no earlier reply contains (replies often end on
    the same question), searching back from the end; the plain tail if every stretch is shared."""
    letters = _letters(reply)
    seen = "|".join(_letters(r) for r in earlier)
    for end in range(len(letters), TAIL_CHARS - 1, -1):
        if letters[end - TAIL_CHARS : end] not in seen:
            return letters[end - TAIL_CHARS : end]
    return letters[-TAIL_CHARS:]


def _first_seen(texts: list[tuple[float, str]], since: float, needle: str) -> float | None:
    return next((t for t, text in texts if t >= since and needle in _letters(text)), None)


def add_history(home: Path, exchanges: int) -> None:
    """An ongoing conversation to come back to: ``exchanges`` earlier messages and their replies."""
    with Engine.open(home, PASSPHRASE, use_embedder=False) as engine:
        for i in range(exchanges):
            engine.chat.send(CHAT_COACH, f"{CHAT_MESSAGES[i % len(CHAT_MESSAGES)]} (earlier, {i + 1})")


def engine_reference(home: Path, messages: list[str]) -> list[float]:
    """The same conversation through the engine in this process: its own time per reply, in ms."""
    with Engine.open(home, PASSPHRASE) as engine:
        out = []
        for message in messages:
            start = time.perf_counter()
            engine.chat.send(CHAT_COACH, message)
            out.append((time.perf_counter() - start) * 1000)
    return out


def chat_turn(page: Page, message: str) -> None:
    """Type the message (real keystrokes), press Enter, wait until the reply is rendered and settled."""
    type_text(page, "Message", message, delay_ms=20)
    page.keyboard.press("Enter")
    page.wait_for_function("() => window.__lifeosBench.chat.pendingGone > 0", timeout=REPLY_TIMEOUT_MS)
    page.wait_for_timeout(SETTLE_MS)


def chat_run(browser: Browser, home: Path, log: Path, messages: list[str]) -> dict[str, object]:
    """One session chatting with the Stoic coach; per message, Send → first and last words."""
    context = new_context(browser)
    external = block_external_requests(context)
    with serve_app(home, log) as server:
        page = context.new_page()
        try:
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(server.url)
            expect(button(page, UNLOCK)).to_be_visible(timeout=TIMEOUT_MS)
            enter_text(page, "Passphrase", PASSPHRASE)
            button(page, UNLOCK).click()
            button(page, GALLERY_BUTTON).click()
            expect(field(page, "Message")).to_be_visible()
            page.evaluate("window.__lifeosBench.chat.logging = true")
            for message in messages:
                chat_turn(page, message)
            chat = page.evaluate("window.__lifeosBench.chat")
        except AssertionError:
            print(f"--- app log ({log}) ---\n{server.output()[-4000:]}", file=sys.stderr)
            raise
        finally:
            page.close()
            context.close()
    if external.urls:
        raise SystemExit(f"the page tried to reach other hosts: {external.urls}")
    with Engine.open(home, PASSPHRASE, use_embedder=False) as engine:
        stored = [m.content for m in engine.chat.conversation(CHAT_COACH) if m.role == "assistant"]
    replies = stored[-len(messages) :]
    earlier = stored[: -len(messages)]
    texts = [(float(t), str(text)) for t, text in chat["texts"]]
    turns = []
    for i, (send, reply) in enumerate(zip(chat["sends"], replies, strict=True)):
        seen = bool(_letters(reply))  # an empty reply has no words to find
        first = _first_seen(texts, send, _letters(reply)[:HEAD_CHARS]) if seen else None
        last = _first_seen(texts, send, _last_words(reply, earlier + replies[:i])) if seen else None
        turns.append(
            {
                "message": messages[i],
                "first_token_ms": None if first is None else round(first - send, 1),
                "last_token_ms": None if last is None else round(last - send, 1),
                "reply_chars": len(reply),
            }
        )
    return {"turns": turns}


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
    parser.add_argument(
        "--messages",
        type=int,
        default=8,
        help=f"chat messages to time (at most {len(CHAT_MESSAGES)}; 0: none)",
    )
    parser.add_argument(
        "--history", type=int, default=30, help="earlier exchanges in the conversation the chat opens on"
    )
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
            if args.runs:
                shared = new_context(browser)
                external = block_external_requests(shared)
                one_run(browser, home, Path(tmp) / "prime.log", shared)  # fills the cache; not counted
                for i in range(args.runs):
                    warm.append(one_run(browser, home, Path(tmp) / f"warm-{i}.log", shared))
                    report("warm", i, warm[-1])
                if external.urls:
                    raise SystemExit(f"the page tried to reach other hosts: {external.urls}")
            messages = list(CHAT_MESSAGES[: args.messages])
            chat: dict[str, object] | None = None
            if messages:
                reference, chatting = Path(tmp) / "engine-profile", Path(tmp) / "chat-profile"
                add_history(home, args.history)
                shutil.copytree(home, reference)
                shutil.copytree(home, chatting)
                engine_ms = engine_reference(reference, messages)
                chat = chat_run(browser, chatting, Path(tmp) / "chat.log", messages)
                chat["history"] = args.history
                turns = chat["turns"]
                assert isinstance(turns, list)
                for turn, ms in zip(turns, engine_ms, strict=True):
                    turn["engine_ms"] = round(ms, 1)
        finally:
            browser.close()
    results: dict[str, object] = {"target_ms": 2000}
    for kind, runs in (("cold", cold), ("warm", warm)) if args.runs else ():
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
    if chat is not None:
        results["chat"] = summarise_chat(chat)
    emit(results, args.json)


def summarise_chat(chat: dict[str, object]) -> dict[str, object]:
    """p50/p95 of each chat figure, printed with every message's own figures."""
    turns = chat["turns"]
    assert isinstance(turns, list)
    for i, t in enumerate(turns):
        first, last = t["first_token_ms"], t["last_token_ms"]
        print(
            f"chat message {i + 1}: send → first words {first} ms, → last words {last} ms "
            f"(engine alone {t['engine_ms']} ms, {t['reply_chars']} characters)"
        )
    summary: dict[str, object] = {"target_p95_ms": 500, "history": chat.get("history"), "turns": turns}
    for name in ("first_token", "last_token", "engine"):
        samples = [t[f"{name}_ms"] / 1000 for t in turns if t[f"{name}_ms"] is not None]
        summary[name] = percentiles(samples) if samples else None
    missing = sum(t["last_token_ms"] is None and t["reply_chars"] > 0 for t in turns)
    empty = sum(t["reply_chars"] == 0 for t in turns)
    last, engine = summary["last_token"], summary["engine"]
    if isinstance(last, dict) and isinstance(engine, dict):
        print(
            f"chat (grounded reasoner): send → last words p50 {last['p50_ms']:.0f} ms, "
            f"p95 {last['p95_ms']:.0f} ms (target p95 ≤ 500 ms); engine alone p50 {engine['p50_ms']:.0f} ms, "
            f"p95 {engine['p95_ms']:.0f} ms"
            + (f"; {missing} replies not found on the page" if missing else "")
            + (f"; {empty} empty replies, not timed" if empty else "")
        )
    return summary


if __name__ == "__main__":
    main()
