"""Every control a screen reader meets has a name: a walk of the accessibility tree of each view.

Chromium computes each node's accessible name the way a screen reader would, and Playwright's ARIA
snapshot prints it; a control printed with no name ("- button", "- textbox") is one a blind coachee
hears as "button" and nothing else. Each view is opened from a fresh page (one app server for the
module, one page per test) at phone and laptop size, and walked top to bottom, scrolling as a
person would, so what is below the fold is checked too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from engine.api import Engine
from testkit.browser import (
    DESKTOP,
    PHONE,
    UI_TIMEOUT_MS,
    AppServer,
    block_external_requests,
    button,
    destination,
    enter_text,
    open_app,
    serve_app,
    type_text,
    unlock,
)

pytestmark = pytest.mark.browser

PASSPHRASE = "tide pools at noon"
CONTROL_ROLES = "button|checkbox|switch|tab|slider|textbox|combobox|radio|link|menuitem|searchbox|spinbutton"
UNNAMED = re.compile(rf"^\s*- ({CONTROL_ROLES})( \[[^\]]*\])*:?\s*$")
SCROLL_STEPS = 12


def seed(home: Path) -> None:
    """Something on every screen: a coach with a conversation, projects, a person, notes."""
    with Engine.create(home, PASSPHRASE, use_embedder=False) as engine:
        engine.memory.create_entity("project", "Garden shed", deadline="2031-05-01")
        engine.memory.create_entity("person", "Noor")
        engine.memory.add_fact("Noor lends the ladder on weekends", "Noor", category="relationship")
        engine.memory.add_fact("The shed needs a concrete base first", "Garden shed", category="goal")
        engine.memory.link_entities("Garden shed", "Noor")
        engine.notes.add("Measured the plot for the #garden-shed with @Noor.")
    with Engine.open(home, PASSPHRASE) as engine:
        engine.coaches.install("stoic")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    folder = tmp_path_factory.mktemp("a11y")
    seed(folder / "profile")
    with serve_app(folder / "profile", folder / "app.log") as running:
        yield running


def unnamed_controls(page: Page) -> list[str]:
    """The unnamed controls in the tree now, each with the line above it for context."""
    lines = page.locator("body").aria_snapshot().splitlines()
    return [
        f"{lines[i - 1].strip() if i else ''} → {line.strip()}"
        for i, line in enumerate(lines)
        if UNNAMED.match(line)
    ]


def walk(page: Page) -> list[str]:
    """Unnamed controls from the top of the view to its bottom (scrolled with the wheel)."""
    page.wait_for_timeout(1_500)  # let the view load what it shows
    found = dict.fromkeys(unnamed_controls(page))
    size = page.viewport_size or DESKTOP
    page.mouse.move(size["width"] * 0.6, size["height"] * 0.6)
    for _ in range(SCROLL_STEPS):
        page.mouse.wheel(0, size["height"] * 0.6)
        page.wait_for_timeout(400)
        found.update(dict.fromkeys(unnamed_controls(page)))
    return list(found)


def open_unlocked(browser: Browser, server: AppServer, viewport: dict[str, int]) -> Page:
    context = browser.new_context(viewport=viewport)
    external = block_external_requests(context)
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    expect.set_options(timeout=UI_TIMEOUT_MS)
    open_app(page, server.url)
    unlock(page, PASSPHRASE)
    assert external.urls == [], external.urls
    return page


def _tab(label: str) -> Callable[[Page], None]:
    return lambda page: destination(page, label).click()


def _header(label: str) -> Callable[[Page], None]:
    return lambda page: button(page, label).click()


def _entity_page(page: Page) -> None:
    destination(page, "PARA").click()
    page.get_by_text("Garden shed").first.click()
    expect(page.get_by_text("The shed needs a concrete base first").first).to_be_attached()


VIEWS: dict[str, Callable[[Page], None]] = {
    "gallery": _tab("Gallery"),
    "chat": _tab("Chat"),
    "para": _tab("PARA"),
    "entity page": _entity_page,
    "daily notes": _tab("Daily notes"),
    "inbox": _tab("Inbox"),
    "settings": _header("Settings"),
    "training": _header("Training"),
}


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "laptop"])
@pytest.mark.parametrize("view", list(VIEWS))
def test_every_control_has_a_name(
    browser: Browser, server: AppServer, view: str, viewport: dict[str, int]
) -> None:
    page = open_unlocked(browser, server, viewport)
    try:
        VIEWS[view](page)
        unnamed = walk(page)
    finally:
        page.context.close()
    assert unnamed == [], f"{view}: controls without a name:\n" + "\n".join(unnamed)


def test_the_lock_and_first_run_screens_name_their_controls(browser: Browser, tmp_path: Path) -> None:
    with serve_app(tmp_path / "new profile", tmp_path / "app.log") as fresh:
        context = browser.new_context(viewport=PHONE)
        page = context.new_page()
        try:
            open_app(page, fresh.url)
            expect(page.get_by_text("Create your profile")).to_be_visible(timeout=60_000)
            unnamed = walk(page)
            enter_text(page, "Passphrase", "short")
            button(page, "Create profile").click()
            expect(page.get_by_text("Use at least 8 characters.")).to_be_visible()
            tree = page.locator("body").aria_snapshot()
        finally:
            context.close()
    assert unnamed == [], "first run: controls without a name:\n" + "\n".join(unnamed)
    assert "Use at least 8 characters." in tree, "a form's error must reach a screen reader"


def test_the_persons_own_message_reaches_a_screen_reader(browser: Browser, server: AppServer) -> None:
    page = open_unlocked(browser, server, DESKTOP)
    try:
        destination(page, "Chat").click()
        type_text(page, "Message", "Which habit should I keep this week?")
        button(page, "Send").click()
        expect(page.get_by_text("Which habit should I keep this week?").first).to_be_visible(timeout=60_000)
        tree = page.locator("body").aria_snapshot()
    finally:
        page.context.close()
    assert "Which habit should I keep this week?" in tree
