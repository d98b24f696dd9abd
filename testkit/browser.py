"""Helpers for driving the real LifeOS Coach web app in headless Chromium (tests marked ``browser``).

What we learned about Flet 1.0.5 web + Playwright, and what these helpers rely on:

* Flutter draws on a canvas; the DOM holds nothing to select until accessibility is switched on.
  Flutter offers that through a 1x1 off-screen ``<flt-semantics-placeholder role="button"
  aria-label="Enable accessibility">``; a DOM ``click()`` on it (Playwright's own click refuses an
  off-screen element) makes Flutter build ``<flt-semantics>`` nodes in the light DOM (no shadow root).
* Text fields become real ``<input>`` / ``<textarea>`` elements whose ``aria-label`` is the field's
  label (password fields too), plus the hint text while focused; ``Locator.fill`` types into them
  and Flet receives ``on_change``. ``type_text`` types key by key instead, as a person does: use it
  wherever the app reacts while someone types (suggestions, a button enabling).
* A text button becomes ``role="button"`` named by its text. A tooltip becomes ``aria-label`` on a
  wrapper node around the button, so an icon-only button is ``[aria-label="Lock"] [role="button"]``.
* Plain ``Text`` is a node whose text content is the string (``get_by_text`` works); a
  ``semantics_label`` replaces that text. NavigationBar destinations are ``role="tab"``,
  NavigationRail destinations ``role="button"`` named "<label> Tab n of 4".
* flet-web 1.0.5's client loads ``rive_native.js`` from cdn.jsdelivr.net at start-up even with
  ``no_cdn=True`` (the Rive plugin compiled into the client). The app serves a client whose Rive
  address points at itself, and a Content-Security-Policy forbids any other host (``app/web_root.py``);
  ``block_external_requests`` proves in every test that no request to another host is even attempted
  (aborted requests and the policy's refusals alike).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Locator, Page, Route, expect

REPO_ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO_ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
SERVER_START_TIMEOUT_S = 60.0
UI_TIMEOUT_MS = 20_000
ENTER_ATTEMPTS = 3
ENTER_SETTLE_MS = 5_000
FOCUS_SETTLE_MS = 400
FOCUS_ATTEMPTS = 6
UNLOCK_TIMEOUT_MS = 15_000  # one Argon2id derivation, on a busy machine
TYPING_DELAY_MS = 60
"""Between two keystrokes: a quick typist (about 200 characters a minute)."""
FIRST_PAINT_TIMEOUT_MS = 60_000
SETTLE_BEFORE_SCREENSHOT_MS = 400

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def require_chromium() -> Path:
    """Debian's chromium, or skip (fail under CI=true, where a missing browser is a broken setup)."""
    if CHROMIUM.exists():
        return CHROMIUM
    message = (
        f"{CHROMIUM} not found: install the Debian package 'chromium' "
        "(`apt-get install chromium`, or `make system-deps` as root) to run the browser tests"
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class AppServer:
    """A running ``python -m app`` subprocess serving one profile folder."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextmanager
def serve_app(home: Path, log: Path, env_extra: dict[str, str] | None = None) -> Iterator[AppServer]:
    """Start the real app on a free loopback port, wait (bounded) until it accepts connections."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIFEOS_", "FLET_"))}
    env |= {
        "LIFEOS_PORT": str(port),
        "LIFEOS_HOST": "127.0.0.1",
        "FLET_FORCE_WEB_SERVER": "true",
        "PYTHONUNBUFFERED": "1",
    } | (env_extra or {})
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "--home", str(home)],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = AppServer(process, f"http://127.0.0.1:{port}", log)
    try:
        _wait_for_port(server, port)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_for_port(server: AppServer, port: int) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"the app exited with {server.process.returncode}:\n{server.output()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.02)  # fine-grained: the app benchmark times this wait
    waited = f"{SERVER_START_TIMEOUT_S:.0f} s"
    pytest.fail(f"the app did not listen on port {port} within {waited}:\n{server.output()}")


@dataclass
class ExternalRequests:
    """Requests the page tried to send to a host other than this machine (all were aborted)."""

    urls: list[str] = field(default_factory=list)


def block_external_requests(context: BrowserContext) -> ExternalRequests:
    """Abort and record every request that would leave the machine; the test asserts none happened."""
    seen = ExternalRequests()

    def handle(route: Route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob") or (parts.hostname or "") in LOOPBACK_HOSTS:
            route.continue_()
        else:
            seen.urls.append(url)
            route.abort("blockedbyclient")

    def console(message: ConsoleMessage) -> None:
        # A request the page's Content-Security-Policy refused never reaches `route`: it is still an
        # attempt to leave the machine, and the console is the only place that tells of it.
        if "Content Security Policy" in message.text:
            seen.urls.append(f"refused by the page's policy: {message.text}")

    context.route("**/*", handle)
    context.on("console", console)
    return seen


@dataclass
class Screenshots:
    """Numbered screenshots of one test, for a human to look at the layout."""

    folder: Path
    count: int = 0

    def take(self, page: Page, step: str) -> Path:
        self.count += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{self.count:02d}-{re.sub(r'[^a-z0-9]+', '-', step.lower()).strip('-')}.png"
        page.mouse.move(1, 1)  # no hover tooltip left over from the last click
        # The test already waited for the state it checks; this only lets Material's short
        # transitions (fades, ~200 ms) finish so the picture shows the settled layout.
        page.wait_for_timeout(SETTLE_BEFORE_SCREENSHOT_MS)
        page.screenshot(path=str(path))
        return path


def open_app(page: Page, url: str) -> None:
    """Load the app and switch on Flutter's semantics tree so controls can be found by label."""
    page.goto(url)
    placeholder = page.locator("flt-semantics-placeholder")
    placeholder.wait_for(state="attached", timeout=FIRST_PAINT_TIMEOUT_MS)
    placeholder.evaluate("element => element.click()")
    page.locator("flt-semantics").first.wait_for(state="attached", timeout=UI_TIMEOUT_MS)


def field(page: Page, label: str) -> Locator:
    """A text field by its label (single-line fields are ``<input>``, multiline ``<textarea>``).

    Prefix match: while a field is focused Flutter appends its hint text to the ``aria-label``
    ("New note\nWhat's on your mind today?").
    """
    quoted = json.dumps(label)
    return page.locator(f"input[aria-label^={quoted}], textarea[aria-label^={quoted}]")


def enter_text(page: Page, label: str, text: str) -> None:
    """Replace what a field holds the way a person does: click in, select all, type the new text.

    Every character is a key press with its own round trip to the app (never ``fill``, one synthetic
    input event that a field Flutter has not wired up yet takes into the DOM but never reports). If
    the field ends up holding something else, a render from the server landed between the click and
    the typing and reset it; a person would type again, and so does the test, a bounded number of
    times. For typing after what a field already holds, use ``type_text``.
    """
    target = field(page, label)
    for attempt in range(ENTER_ATTEMPTS):
        if not has_focus(target):
            focus_field(page, label)
        page.keyboard.press("Control+A")
        if text:
            page.keyboard.type(text, delay=TYPING_DELAY_MS)
        else:
            page.keyboard.press("Backspace")
        try:
            expect(target).to_have_value(text, timeout=ENTER_SETTLE_MS)
            return
        except AssertionError:
            if attempt == ENTER_ATTEMPTS - 1:
                raise


def has_focus(target: Locator) -> bool:
    """Whether the browser's keyboard focus is on ``target`` (where the next keystroke goes)."""
    return bool(target.evaluate("element => document.activeElement === element"))


def focus_field(page: Page, label: str) -> Locator:
    """Click into a field the way a person does, and wait until the keyboard is really there.

    With the accessibility tree on, Flutter sometimes rebuilds the tree's root a moment after a text
    field first takes focus (the ``<textarea>`` is moved, and the browser drops its focus while the
    field still looks focused). A person would click again when their letters did not appear; so
    does this, before typing anything. It is a quirk of the test harness (a screen reader's mode),
    unrelated to the app's own focus handling, which ``type_text`` then checks keystroke by keystroke.
    """
    target = field(page, label)
    for attempt in range(FOCUS_ATTEMPTS):
        target.click()
        # A page that has just loaded may rebuild its tree more than once, later on a busy machine.
        page.wait_for_timeout(FOCUS_SETTLE_MS * (attempt + 1))
        if has_focus(target):
            return target
    raise AssertionError(f"the field {label!r} did not keep the keyboard focus")


def type_text(page: Page, label: str, text: str, *, delay_ms: int = TYPING_DELAY_MS) -> Locator:
    """Type ``text`` into a field with real keystrokes, at a person's pace, after what it holds.

    Unlike ``enter_text`` (``fill``, one input event), every character is a key press with its own
    events and round trip to the app, so whatever the app does between two keystrokes (a render,
    suggestions appearing) happens as it does for a person. Fails if the focus leaves the field on
    the way or a character is lost or moved.
    """
    target = field(page, label)
    if not has_focus(target):
        focus_field(page, label)
    if target.input_value():
        page.keyboard.press("Control+End")  # go on after the text (a click lands the caret where it points)
    before = target.input_value()
    page.keyboard.type(text, delay=delay_ms)
    if not has_focus(target):
        raise AssertionError(f"typing {text!r} took the keyboard focus away from {label!r}")
    expect(target).to_have_value(before + text)
    return target


def scroll_until(page: Page, target: Locator, *, steps: int = 50) -> None:
    """Scroll the page under the mouse with the wheel, as a person does, until `target` is on screen.

    Long screens (Settings) are lazy lists: a card joins the page only once scrolled near, so a
    field below the fold does not exist until then. Bounded: `steps` turns of the wheel.
    """
    size = page.viewport_size or DESKTOP
    page.mouse.move(size["width"] / 2, size["height"] / 2)
    for _ in range(steps):
        if target.count() and target.first.is_visible():
            return
        page.mouse.wheel(0, 400)
        page.wait_for_timeout(300)
    expect(target.first).to_be_visible()


def button(page: Page, name: str) -> Locator:
    """A button by its text, or an icon button by its tooltip."""
    return page.get_by_role("button", name=name, exact=True).or_(
        page.locator(f"flt-semantics[aria-label={json.dumps(name)}] [role=button]")
    )


def destination(page: Page, label: str) -> Locator:
    """A navigation destination: a tab of the NavigationBar or a button of the NavigationRail."""
    # Exact label, optionally followed by Flutter's "Tab n of m": a "Chat with …" button must not match.
    name = re.compile(rf"^{re.escape(label)}(\s+Tab \d+ of \d+)?$")
    return page.get_by_role("tab", name=name).or_(page.get_by_role("button", name=name))


def chip(page: Page, label: str) -> Locator:
    """A Chip: Flutter exposes a selectable chip as ``role="checkbox"`` named by its label."""
    return page.get_by_role("checkbox", name=label, exact=True)


def unlock(page: Page, passphrase: str) -> None:
    """Enter the (right) passphrase on the unlock screen and press Unlock.

    While the page is still building its accessibility tree, Flutter may move the focused field
    (see ``focus_field``) just as the passphrase lands: the DOM then holds it but the app does not,
    and the unlock screen stays. A person would type it again; so does this, a bounded number of
    times. (Unlocking itself, wrong passphrases included, is tested in test_app_browser.py.)
    """
    expect(button(page, "Unlock")).to_be_visible(timeout=FIRST_PAINT_TIMEOUT_MS)
    for attempt in range(ENTER_ATTEMPTS):
        try:
            enter_text(page, "Passphrase", passphrase)
        except AssertionError:
            if attempt == ENTER_ATTEMPTS - 1:
                raise
            # The field never kept the keyboard on this freshly loaded page: load it again, as a
            # person would after a page that does not take their typing.
            open_app(page, page.url)
            expect(button(page, "Unlock")).to_be_visible(timeout=FIRST_PAINT_TIMEOUT_MS)
            continue
        button(page, "Unlock").click()
        try:
            expect(button(page, "Unlock")).to_have_count(0, timeout=UNLOCK_TIMEOUT_MS)
        except AssertionError:
            if attempt == ENTER_ATTEMPTS - 1:
                raise
            continue
        # The unlock form gives way while the profile is still opening (key derivation, then the
        # first views' reads): the app is the person's only once its header is there.
        expect(button(page, "Lock")).to_be_visible(timeout=FIRST_PAINT_TIMEOUT_MS)
        return


def create_profile(page: Page, passphrase: str) -> None:
    """Fill in the create-profile form with a good passphrase twice and press Create profile.

    The first field has the keyboard while Flutter is still building its accessibility tree (see
    ``focus_field``); if what was typed there never reached the app, the form answers with its own
    error (too short, or the two do not match) and stays. A person types both again; so does this, a
    bounded number of times. The form's errors themselves are tested in test_app_browser.py.
    """
    title = page.get_by_text("Create your profile")
    expect(title).to_be_visible(timeout=FIRST_PAINT_TIMEOUT_MS)
    for attempt in range(ENTER_ATTEMPTS):
        enter_text(page, "Passphrase", passphrase)
        enter_text(page, "Confirm passphrase", passphrase)
        button(page, "Create profile").click()
        try:
            expect(title).to_have_count(0, timeout=UNLOCK_TIMEOUT_MS)
            return
        except AssertionError:
            if attempt == ENTER_ATTEMPTS - 1:
                raise


def shoot_both(page: Page, shots: Screenshots, step: str, check: Locator | None = None) -> None:
    """Screenshot the current screen at phone and laptop size (the app re-lays out without reloading).

    ``check`` is waited for at each size, so a picture is only taken of a settled screen.
    """
    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(viewport)
        if check is not None:
            expect(check.first).to_be_visible()
        shots.take(page, f"{step} {name}")


def shown(page: Page, text: str) -> Locator:
    """Text on screen, as Flutter exposes it: a node's text, or part of a merged node's ``aria-label``
    (a ListTile, a Card or a tooltip-wrapped control announces its texts together)."""
    return page.get_by_text(text, exact=False).or_(page.get_by_label(text, exact=False)).first
