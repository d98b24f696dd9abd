"""Every screen of the unlocked app, in headless Chromium, at phone (390×844) and laptop (1280×800) size.

One app server and one unlocked browser page serve the whole module (starting Flutter is the slow
part on two cores); each test navigates inside the app like a user, checks what the screen must
show, and saves a screenshot per size under ``test-artifacts/<test name>/``. The profile is seeded
through the Engine before the server starts, so each screen has something real to show.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from app.ui.app_prefs import PREFS_FILE, TAMPERED_NOTICE
from app.ui.note_display import day_heading, day_title, full_date
from engine.api import Engine
from testkit.browser import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    DESKTOP,
    PHONE,
    UI_TIMEOUT_MS,
    ExternalRequests,
    Screenshots,
    block_external_requests,
    button,
    chip,
    destination,
    enter_text,
    field,
    open_app,
    require_chromium,
    scroll_until,
    serve_app,
    shoot_both,
    shown,
    type_text,
    unlock,
)

pytestmark = pytest.mark.browser

PASSPHRASE = "a calm river at dawn"
CITING_QUESTION = "What does Seneca say about the shortness of life?"
"""The offline composer quotes (and so cites) a passage only when it fits the message closely."""
SOON = (date.today() + timedelta(days=1)).isoformat()
LATER = (date.today() + timedelta(days=40)).isoformat()


def seed(home: Path) -> None:
    """A small, realistic profile: projects (one due tomorrow), areas, a person, a resource, an
    archived project, facts with a superseded one, links, notes, and one check-in in the inbox."""
    moved: list[datetime] = []  # while set, the clock reads this moment instead of now

    def clock() -> datetime:
        return moved[-1] if moved else datetime.now().astimezone()

    with Engine.create(home, PASSPHRASE, clock=clock, use_embedder=False) as engine:
        engine.memory.create_entity("project", "Marathon 2026", deadline=LATER)
        engine.memory.create_entity("project", "Move flat", deadline=SOON)
        engine.memory.create_entity("project", "Learn Spanish")
        engine.memory.archive_entity("Learn Spanish")
        for type_, name in (
            ("area", "Health"),
            ("area", "Money"),
            ("person", "Sarah"),
            ("resource", "Born to Run"),
        ):
            engine.memory.create_entity(type_, name)
        first = engine.memory.add_fact("I run 30 km a week", "Marathon 2026", category="health")
        engine.memory.supersede_fact(first.fact.id, "I run 45 km a week")
        engine.memory.add_fact("Race day is 12 April in Rotterdam", "Marathon 2026", category="goal")
        engine.memory.add_fact("Sarah paces the long runs on Sundays", "Sarah", category="relationship")
        for a, b in (
            ("Marathon 2026", "Sarah"),
            ("Marathon 2026", "Health"),
            ("Marathon 2026", "Born to Run"),
        ):
            engine.memory.link_entities(a, b)
        engine.memory.link_entities("Move flat", "Money")
        engine.notes.add("Walked by the river before work. Felt calm.")
        engine.notes.add("Long run with Sarah: 24 km, legs heavy after 18.")
        for hour, text in (  # two notes three days ago, for a day's own page
            (7, "Hill repeats in the rain.\nSix of them, the last one slow."),
            (21, "Early night."),
        ):
            moved.append(clock().replace(hour=hour, minute=0) - timedelta(days=3))
            engine.notes.add(text)
            moved.clear()
        engine.heartbeat.set_active_hours("0-24")
        engine.heartbeat.set_quiet_hours(None)
        engine.heartbeat.run(roles=["checkins"], notify_os=False)
    # The coach is installed with the embedder, as the app would: its passages get their vectors, and
    # the offline composer quotes (and cites) a passage only when it is close to the message.
    with Engine.open(home, PASSPHRASE) as engine:
        engine.coaches.install("stoic")
    # Auto-lock turned off by editing the preference file by hand (no seal): Settings must say so.
    (home / PREFS_FILE).write_text('{"auto_lock_minutes": 0}')


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Page, ExternalRequests]]:
    """One seeded profile, one server, one unlocked page for the module; each test starts from its
    own destination (a tab or a button), so the order of the tests does not matter."""
    executable = require_chromium()
    folder = tmp_path_factory.mktemp("views")
    seed(folder / "profile")
    with serve_app(folder / "profile", folder / "app.log") as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=PHONE)
        external = block_external_requests(context)
        page = context.new_page()
        page.set_default_timeout(UI_TIMEOUT_MS)
        expect.set_options(timeout=UI_TIMEOUT_MS)
        open_app(page, server.url)
        unlock(page, PASSPHRASE)
        try:
            yield page, external
        finally:
            browser.close()
    assert external.urls == [], f"the page tried to reach other hosts: {external.urls}"


@pytest.fixture
def page(session: tuple[Page, ExternalRequests]) -> Iterator[Page]:
    page, external = session
    page.set_viewport_size(PHONE)
    yield page
    assert external.urls == [], f"the page tried to reach other hosts: {external.urls}"


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Screenshots:
    return Screenshots(ARTIFACTS / request.node.name)


def test_para_lists(page: Page, shots: Screenshots) -> None:
    destination(page, "PARA").click()
    expect(page.get_by_text("Move flat")).to_be_visible()
    expect(page.get_by_text("Due tomorrow", exact=False)).to_be_visible()
    shoot_both(page, shots, "projects", page.get_by_text("Marathon 2026"))

    chip(page, "People").click()
    expect(page.get_by_text("Sarah")).to_be_visible()
    shoot_both(page, shots, "people", page.get_by_text("Sarah"))

    chip(page, "Archives").click()
    expect(page.get_by_text("Learn Spanish")).to_be_visible()
    chip(page, "Areas").click()
    expect(page.get_by_text("Health")).to_be_visible()
    enter_text(page, "New area", "Family")
    button(page, "Add area").click()
    expect(page.get_by_text("Family")).to_be_visible()
    shoot_both(page, shots, "areas", page.get_by_text("Family"))


def test_entity_page_facts_history_archive_restore(page: Page, shots: Screenshots) -> None:
    destination(page, "PARA").click()
    chip(page, "Projects").click()
    page.get_by_text("Marathon 2026").first.click()
    expect(page.get_by_text("I run 45 km a week").first).to_be_visible()
    expect(page.get_by_text("Earlier versions (1)")).to_be_visible()
    expect(page.get_by_text("I run 30 km a week")).to_be_visible()
    expect(shown(page, "Tier hot")).to_be_attached()  # read out with its fact
    shoot_both(page, shots, "entity", page.get_by_text("What stands now (2)"))

    button(page, "Archive").click()
    expect(button(page, "Restore")).to_be_visible()
    button(page, "Back to Archives").click()
    expect(page.get_by_text("Marathon 2026")).to_be_visible()
    page.get_by_text("Marathon 2026").first.click()
    button(page, "Restore").click()
    expect(button(page, "Archive")).to_be_visible()


def test_graph(page: Page, shots: Screenshots) -> None:
    destination(page, "PARA").click()
    chip(page, "Graph").click()
    expect(page.get_by_text("Born to Run")).to_be_visible()
    shoot_both(page, shots, "graph", page.get_by_text("Born to Run"))
    page.get_by_role("button", name=re.compile(r"^Open Sarah \(Person\)")).click()
    expect(page.get_by_text("Sarah paces the long runs on Sundays").first).to_be_visible()


def test_daily_notes_by_day_with_search(page: Page, shots: Screenshots) -> None:
    destination(page, "Daily notes").click()
    expect(page.get_by_text("Today", exact=True)).to_be_visible()
    expect(page.get_by_text("Walked by the river before work.", exact=False)).to_be_visible()
    shoot_both(page, shots, "timeline", page.get_by_text("Today", exact=True))
    enter_text(page, "Search notes", "legs")
    expect(page.get_by_text("1 note match “legs”")).to_be_visible()
    shoot_both(page, shots, "search", page.get_by_text("1 note match “legs”"))
    button(page, "Clear search").click()


def test_daily_notes_open_a_day_step_and_add_to_today(page: Page, shots: Screenshots) -> None:
    today = date.today()
    hills, before, after = (today - timedelta(days=n) for n in (3, 4, 2))  # seed: notes today and on `hills`
    destination(page, "Daily notes").click()
    button(page, day_heading(hills.isoformat(), today)).click()
    title = page.get_by_text(full_date(hills), exact=True)
    expect(title).to_be_visible()
    expect(page.get_by_text("2 notes", exact=True)).to_be_visible()
    expect(shown(page, "Six of them, the last one slow.")).to_be_visible()  # the full text, not a preview
    morning, evening = (page.get_by_text(t, exact=False).first for t in ("Hill repeats", "Early night."))
    assert morning.bounding_box()["y"] < evening.bounding_box()["y"], "a day reads in time order"
    shoot_both(page, shots, "day", title)

    button(page, "Previous day").click()
    empty = page.get_by_text(f"Nothing written on {full_date(before)}.", exact=True)
    expect(empty).to_be_visible()
    shoot_both(page, shots, "empty day", empty)
    button(page, "Next day").click()
    expect(shown(page, "Early night.")).to_be_visible()
    button(page, "Next day").click()
    expect(page.get_by_text(f"Nothing written on {full_date(after)}.", exact=True)).to_be_visible()
    button(page, "Later notes: Today").click()  # skips the empty yesterday

    expect(page.get_by_text("Today", exact=True)).to_be_visible()
    expect(shown(page, "Walked by the river before work.")).to_be_visible()
    enter_text(page, "New note", "Stretched for ten minutes after the run.")
    button(page, "Add note").click()
    expect(shown(page, "Stretched for ten minutes after the run.")).to_be_visible()
    expect(button(page, "Add note")).to_be_disabled()  # the draft was cleared (the DOM copy of a
    # blurred Flutter field keeps its old text, so its value says nothing)
    shoot_both(page, shots, "today", shown(page, "Stretched for ten minutes"))

    button(page, "All notes").click()
    enter_text(page, "Search notes", "hill")
    expect(page.get_by_text("1 note match “hill”")).to_be_visible()
    shown(page, "Hill repeats").click()
    expect(page.get_by_text(full_date(hills), exact=True)).to_be_visible()

    button(page, "All notes").click()
    button(page, "Pick a day").click()
    target = hills if hills.month == today.month else today
    expect(button(page, "Cancel")).to_be_visible()
    shoot_both(page, shots, "pick a day", button(page, "Cancel"))
    calendar_day = re.compile(rf"^{target.day}, {target:%A}, {target:%B} {target.day}, {target.year}")
    page.get_by_role("button", name=calendar_day).click()
    button(page, "Open").click()
    expect(page.get_by_text(day_title(target, today), exact=True)).to_be_visible()

    # A mistyped day in the address bar (routed in place: reloading would lock the app).
    page.evaluate(
        "() => { history.pushState({}, '', '/notes/day/2026-13-45');"
        " window.dispatchEvent(new PopStateEvent('popstate', {state: {}})); }"
    )
    expect(shown(page, "“2026-13-45” is not a date")).to_be_visible()
    shoot_both(page, shots, "not a day", button(page, "All notes"))
    button(page, "All notes").click()
    expect(field(page, "Search notes")).to_be_visible()


def test_quick_capture_from_any_screen(page: Page, shots: Screenshots) -> None:
    destination(page, "Inbox").click()
    button(page, "Quick capture").click()
    enter_text(page, "Capture a thought", "Tempo run Thursday for #marathon-2026 with @Sarah")
    button(page, "Capture").click()
    expect(page.get_by_text("Saved to today's notes")).to_be_visible(timeout=90_000)
    expect(shown(page, "Projects: Marathon 2026")).to_be_visible()
    expect(shown(page, "Because it mentions the project Marathon 2026.")).to_be_visible()
    expect(chip(page, "Sarah")).to_be_visible()
    shoot_both(page, shots, "capture result", page.get_by_text("Saved to today's notes"))
    button(page, "Close").click()
    expect(page.get_by_text("Saved to today's notes")).to_have_count(0)


def test_inbox_check_in_with_reason_and_actions(page: Page, shots: Screenshots) -> None:
    destination(page, "Daily notes").click()
    destination(page, "Inbox").click()
    # The app's own heartbeat may be in its first pass (models loading on two busy cores), and the
    # inbox reads the profile after it: wait as long as the other first reads of a busy profile.
    expect(shown(page, "Move flat is due tomorrow")).to_be_visible(timeout=60_000)
    expect(shown(page, "Why: the deadline of Move flat")).to_be_visible()
    expect(button(page, "Open chat")).to_be_visible()
    shoot_both(page, shots, "inbox", shown(page, "Move flat is due tomorrow"))
    button(page, "Done").first.click()
    expect(shown(page, "Move flat is due tomorrow")).to_have_count(0)
    button(page, "Run heartbeat now").click()
    expect(shown(page, "Heartbeat done")).to_be_visible(timeout=90_000)
    expect(shown(page, "Check-in with Stoic Mentor")).to_be_visible()
    shoot_both(page, shots, "inbox after heartbeat", shown(page, "Check-in with Stoic Mentor"))


def test_settings(page: Page, shots: Screenshots) -> None:
    button(page, "Settings").click()
    expect(button(page, "Lock now")).to_be_visible()
    expect(shown(page, TAMPERED_NOTICE)).to_be_visible()
    expect(field(page, "Active hours")).to_be_visible()
    shoot_both(page, shots, "settings", button(page, "Lock now"))
    page.set_viewport_size(PHONE)
    scroll_until(page, field(page, "Quiet hours"))
    enter_text(page, "Quiet hours", "23-6")
    button(page, "Save hours").click()
    expect(shown(page, "Hours saved.")).to_be_visible()
    scroll_until(page, field(page, "Confirm new passphrase"))
    enter_text(page, "Current passphrase", "wrong passphrase")
    enter_text(page, "New passphrase", "a new calm river")
    enter_text(page, "Confirm new passphrase", "a new calm river")
    button(page, "Change passphrase").click()
    expect(shown(page, "The current passphrase is not right.")).to_be_visible()

    page.set_viewport_size(DESKTOP)
    scroll_until(page, shown(page, "Memory in use by models"), steps=40)
    scroll_until(page, button(page, "Save reasoner"))
    shots.take(page, "settings models desktop")


def open_tab(page: Page, label: str) -> None:
    """A tab of the navigation from wherever the last test left the page: on a phone, Settings and
    Training hide the tab bar, so Back first, as a person does."""
    back = button(page, "Back")
    if back.count() and back.first.is_visible():
        back.first.click()
    destination(page, label).click()


def test_gallery(page: Page, shots: Screenshots) -> None:
    open_tab(page, "Gallery")
    expect(button(page, "Install Everyday Health Coach")).to_be_visible()
    scroll_until(page, button(page, "Chat with Stoic Mentor"))  # the fourth card, below the fold on a phone
    shoot_both(page, shots, "gallery", button(page, "Chat with Stoic Mentor"))
    chip(page, "Health").click()
    expect(button(page, "Chat with Stoic Mentor")).to_have_count(0)
    expect(button(page, "Install Everyday Health Coach")).to_be_visible()
    shoot_both(page, shots, "gallery health", button(page, "Install Everyday Health Coach"))
    chip(page, "All").click()


def test_chat_streams_and_opens_citations(page: Page, shots: Screenshots) -> None:
    destination(page, "Chat").click()
    expect(chip(page, "Stoic Mentor")).to_be_visible()
    type_text(page, "Message", CITING_QUESTION)
    button(page, "Send").click()
    source = page.get_by_role("checkbox", name=re.compile(r"^\[1\] "))
    expect(source).to_be_visible(timeout=60_000)
    shoot_both(page, shots, "chat", source)
    source.click()
    expect(button(page, "Close source")).to_be_visible()
    shoot_both(page, shots, "citation", button(page, "Close source"))
    button(page, "Close source").click()
    expect(button(page, "Close source")).to_have_count(0)

    # The reply is stored; coming back later, its sources still open with their passage.
    destination(page, "Gallery").click()
    destination(page, "Chat").click()
    earlier = page.get_by_role("checkbox", name=re.compile(r"^\[1\] "))
    expect(earlier.first).to_be_visible()
    earlier.first.click()
    expect(shown(page, "Reference: ")).to_be_visible()
    expect(shown(page, "This passage is no longer installed.")).to_have_count(0)
    button(page, "Close source").click()


def draft_is(page: Page, text: str) -> None:
    """The message box holds ``text`` (focused first: Flutter syncs a field's DOM value on focus)."""
    field(page, "Message").click()
    expect(field(page, "Message")).to_have_value(text)


def test_chat_context_sidebar_drawer_and_mentions(page: Page, shots: Screenshots) -> None:
    """Projects and people beside the chat on a laptop, in a sheet on a phone; `@`/`#` complete to
    the entity the engine will link."""
    destination(page, "Chat").click()
    expect(chip(page, "Stoic Mentor")).to_be_visible()
    page.set_viewport_size(DESKTOP)
    expect(shown(page, "Active projects")).to_be_visible()
    expect(button(page, "Mention Sarah in your message")).to_be_visible()
    shots.take(page, "sidebar desktop")
    page.set_viewport_size(PHONE)
    expect(shown(page, "Active projects")).to_have_count(0)
    button(page, "Projects and people").click()
    expect(button(page, "Mention Marathon 2026 in your message")).to_be_visible()
    shots.take(page, "drawer phone")
    button(page, "Mention Marathon 2026 in your message").click()
    expect(button(page, "Mention Marathon 2026 in your message")).to_have_count(0)
    draft_is(page, "#marathon-2026 ")

    type_text(page, "Message", "long run Sunday with @sa")
    suggestion = chip(page, "@Sarah")
    expect(suggestion).to_be_visible()
    shoot_both(page, shots, "mention suggestions", suggestion)
    suggestion.click()
    draft_is(page, "#marathon-2026 long run Sunday with @Sarah ")
    type_text(page, "Message", "to plan #mar")
    chip(page, "#marathon-2026").click()
    draft_is(page, "#marathon-2026 long run Sunday with @Sarah to plan #marathon-2026 ")
    page.keyboard.press("Control+a")
    page.keyboard.press("Backspace")
    expect(button(page, "Send")).to_be_disabled()


def test_gallery_preview_gives_three_free_messages(page: Page, shots: Screenshots) -> None:
    open_tab(page, "Gallery")
    button(page, "Try it free").first.click()
    banner = shown(page, "free messages left")
    expect(banner).to_be_visible(timeout=90_000)
    expect(shown(page, "3 free messages left")).to_be_visible()
    shoot_both(page, shots, "preview chat", banner)
    page.set_viewport_size(PHONE)
    type_text(page, "Message", "How do I start when I have no time?")
    button(page, "Send").click()
    expect(shown(page, "2 free messages left")).to_be_visible(timeout=60_000)
    button(page, "End preview").click()
    expect(button(page, "Try it free").first).to_be_visible()
