"""The chat as a person uses it, in headless Chromium, at phone (390×844) and laptop (1280×800) size.

Every test opens a fresh page (a new browser context: its own session, unlocked like a returning
coachee) on a freshly seeded profile of its own, and types with real keystrokes at a person's pace
(``testkit.browser.type_text``), never ``fill``: the bugs these tests guard against only show when
the app renders between two keystrokes.

- `@`/`#` suggestions appear while the focus stays in the message box, and every character typed
  after them lands in it (the composer used to be rebuilt when the suggestions row appeared above it).
- The person's own long message wraps inside its bubble (it used to be cut to one line).
- The Chat tab reopens the coach last chatted with (it used to open the first coach).
- Sending while scrolled up into earlier messages brings the new message and its reply into view.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from engine.api import Engine
from testkit.browser import (
    ARTIFACTS,
    DESKTOP,
    PHONE,
    UI_TIMEOUT_MS,
    AppServer,
    ExternalRequests,
    Screenshots,
    block_external_requests,
    button,
    chip,
    destination,
    field,
    has_focus,
    open_app,
    scroll_until,
    serve_app,
    type_text,
    unlock,
)

pytestmark = pytest.mark.browser

PASSPHRASE = "a calm river at dawn"
REPLY_TIMEOUT_MS = 90_000  # the first reply of a fresh server loads the embedder and reranker
STOIC, HEALTH = "Stoic Mentor", "Everyday Health Coach"
EARLIER = [
    "How do I stay calm when a race goes badly?",
    "I get angry when my runs go badly.",
    "My coach shouted at me today.",
    "I keep comparing myself with faster runners.",
    "What should I do about the fear before a race?",
    "I skipped training again this week.",
    "Sarah says I am too hard on myself.",
    "How do I deal with an injury that will not heal?",
]
LINE_PX = 20  # Material's body text line height
SIZES = [pytest.param(PHONE, id="phone"), pytest.param(DESKTOP, id="desktop")]


def seed(home: Path) -> None:
    """Two coaches, a person and a project to mention, and a long conversation with the Stoic (the
    coach last chatted with), so there is something to scroll back into."""
    with Engine.create(home, PASSPHRASE, use_embedder=False) as engine:
        engine.coaches.install("health")
        engine.coaches.install("stoic")
        engine.memory.create_entity("person", "Sarah")
        engine.memory.create_entity("project", "Marathon 2026")
        for message in EARLIER:
            engine.chat.send("stoic", message)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[AppServer]:
    """A server of its own per test, over a freshly seeded profile: what one test says to a coach
    must not change what the next one finds (which coach was last, how long the conversation is)."""
    seed(tmp_path / "profile")
    with serve_app(tmp_path / "profile", tmp_path / "app.log") as running:
        yield running


@pytest.fixture
def page(request: pytest.FixtureRequest, browser: Browser, server: AppServer) -> Iterator[Page]:
    """A fresh page at the size the test asks for, unlocked; no request may leave the machine."""
    viewport = request.node.callspec.params["size"]
    context = browser.new_context(viewport=viewport)
    external: ExternalRequests = block_external_requests(context)
    fresh = context.new_page()
    fresh.set_default_timeout(UI_TIMEOUT_MS)
    expect.set_options(timeout=UI_TIMEOUT_MS)
    open_app(fresh, server.url)
    unlock(fresh, PASSPHRASE)
    try:
        yield fresh
    finally:
        context.close()
    assert external.urls == [], f"the page tried to reach other hosts: {external.urls}"


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Screenshots:
    return Screenshots(ARTIFACTS / request.node.name)


def open_chat(page: Page, coach: str | None = None) -> None:
    """The Chat tab, then (when given) the coach's chip, as a person taps them."""
    destination(page, "Chat").click()
    expect(field(page, "Message")).to_be_visible()
    if coach is not None:
        chip(page, coach).click()
        expect(chip(page, coach)).to_be_checked()


def send(page: Page, text: str) -> None:
    """Type a message and press Enter, then wait until the reply has been written (the message and
    the coach's pending bubble appear together; the reply replaces the pending bubble)."""
    type_text(page, "Message", text)
    page.keyboard.press("Enter")
    expect(page.get_by_text(text, exact=True)).to_be_attached()
    expect(button(page, "Send")).to_be_disabled()  # the box is empty again
    replying = page.get_by_label("The coach is replying").or_(page.get_by_text("The coach is replying"))
    expect(replying).to_have_count(0, timeout=REPLY_TIMEOUT_MS)


def texts_between(page: Page, top: float, bottom: float) -> list[str]:
    """The texts on screen between two heights (a reply is a text, or a group named by its text)."""
    return page.evaluate(
        """([top, bottom]) => [...document.querySelectorAll('flt-semantics')].filter((e) => {
            const text = e.getAttribute('aria-label') || (e.childElementCount === 0 ? e.textContent : '');
            const box = e.getBoundingClientRect();
            return text.trim() && box.height > 0 && box.top >= top && box.bottom <= bottom;
        }).map((e) => e.getAttribute('aria-label') || e.textContent)""",
        [top, bottom],
    )


def in_view(page: Page, target: Locator) -> bool:
    """Whether ``target`` lies inside the window (not merely in the page, scrolled away)."""
    if target.count() == 0:
        return False
    box = target.first.bounding_box()
    height = page.viewport_size["height"] if page.viewport_size else 0
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


@pytest.mark.parametrize("size", SIZES)
def test_mentions_suggest_while_typing_goes_on(page: Page, shots: Screenshots, size: dict[str, int]) -> None:
    open_chat(page, STOIC)
    box = type_text(page, "Message", "Long run with @Sa")
    expect(chip(page, "@Sarah")).to_be_visible()
    assert has_focus(box), "the suggestions took the focus from the message box"
    shots.take(page, "people suggested")

    type_text(page, "Message", "rah and #mar")
    expect(chip(page, "#marathon-2026")).to_be_visible()
    expect(chip(page, "@Sarah")).to_have_count(0)
    type_text(page, "Message", " on Sunday, then a rest day")
    expect(chip(page, "#marathon-2026")).to_have_count(0)
    expect(field(page, "Capture a thought")).to_have_count(0)  # no keystroke went to another control
    expect(box).to_have_value("Long run with @Sarah and #mar on Sunday, then a rest day")

    # Picking a suggestion completes the exact markup, and typing goes on after it.
    type_text(page, "Message", " with @Sa")
    chip(page, "@Sarah").click()
    type_text(page, "Message", "tomorrow")
    expect(box).to_have_value("Long run with @Sarah and #mar on Sunday, then a rest day with @Sarah tomorrow")
    shots.take(page, "typed on")


@pytest.mark.parametrize("size", SIZES)
def test_own_long_message_wraps_in_its_bubble(page: Page, shots: Screenshots, size: dict[str, int]) -> None:
    open_chat(page, STOIC)
    long = (
        f"Race report {uuid.uuid4().hex[:6]}: the first half went to plan, then my legs went heavy "
        "at kilometre thirty, I walked the water stations, stopped looking at my watch, and finished "
        "twelve minutes over my goal, angry with myself and with everyone who told me I was ready."
    )
    send(page, long)
    box = page.get_by_text(long, exact=True).bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= size["width"], "the message runs off the window"
    assert box["height"] >= 2.5 * LINE_PX, f"the message is not wrapped onto lines: {box}"
    shots.take(page, "long message")


@pytest.mark.parametrize("size", SIZES)
def test_chat_tab_reopens_the_coach_last_chatted_with(
    page: Page, shots: Screenshots, size: dict[str, int]
) -> None:
    for coach in (STOIC, HEALTH):
        open_chat(page, coach)
        note = f"Checking in with {coach} {uuid.uuid4().hex[:6]}"
        send(page, note)
        destination(page, "Gallery").click()
        scroll_until(page, button(page, f"Chat with {coach}"))  # four cards: one may be below the fold
        open_chat(page)
        expect(chip(page, coach)).to_be_checked()
        expect(page.get_by_text(note, exact=True)).to_be_visible()
    shots.take(page, "reopened")


@pytest.mark.parametrize("size", SIZES)
def test_sending_while_scrolled_up_shows_the_reply(
    page: Page, shots: Screenshots, size: dict[str, int]
) -> None:
    open_chat(page, STOIC)
    first = f"Before scrolling {uuid.uuid4().hex[:6]}"
    send(page, first)
    newest = page.get_by_text(first, exact=True)
    assert in_view(page, newest)
    conversation = newest.bounding_box()
    assert conversation is not None
    page.mouse.move(size["width"] / 3, conversation["y"])
    for _ in range(20):  # scroll back a good way, as a person rereading the start would
        page.mouse.wheel(0, -400)
        page.wait_for_timeout(50)
    page.wait_for_timeout(500)
    assert not in_view(page, newest), "the conversation did not scroll back"
    shots.take(page, "scrolled up")

    text = f"One more question {uuid.uuid4().hex[:6]}: how do I start again?"
    send(page, text)
    mine = page.get_by_text(text, exact=True)
    assert in_view(page, mine), "the message just sent is out of sight"
    asked, composer = mine.bounding_box(), field(page, "Message").bounding_box()
    assert asked is not None and composer is not None
    reply = texts_between(page, asked["y"] + asked["height"], composer["y"])
    assert reply, "the reply is out of sight"
    shots.take(page, "reply in view")
