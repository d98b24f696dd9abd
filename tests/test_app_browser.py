"""The real app in a real browser: first run, a daily note, reload, unlock, wrong passphrase.

Each test starts ``python -m app`` on a free loopback port with its own profile folder, drives it in
headless Chromium through Flutter's accessibility tree (see ``testkit/browser.py``), saves a
screenshot per step under ``test-artifacts/``, and fails if the page tried to reach any host other
than this machine.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

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
    create_profile,
    destination,
    enter_text,
    field,
    open_app,
    scroll_until,
    serve_app,
    unlock,
)

pytestmark = pytest.mark.browser

PASSPHRASE = "a calm river at dawn"


@pytest.fixture
def profile_home(tmp_path: Path) -> Path:
    return tmp_path / "profile"


@pytest.fixture
def app_server(profile_home: Path, tmp_path: Path) -> Iterator[AppServer]:
    with serve_app(profile_home, tmp_path / "app.log") as server:
        yield server


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Screenshots:
    return Screenshots(ARTIFACTS / request.node.name)


def _new_page(browser: Browser, viewport: dict[str, int]) -> tuple[Page, ExternalRequests]:
    context = browser.new_context(viewport=viewport)
    external = block_external_requests(context)
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    expect.set_options(timeout=UI_TIMEOUT_MS)
    return page, external


def test_first_run_note_survives_reload_and_unlock(
    browser: Browser, app_server: AppServer, profile_home: Path, shots: Screenshots
) -> None:
    page, external = _new_page(browser, PHONE)
    try:
        open_app(page, app_server.url)
        expect(page.get_by_text("Create your profile")).to_be_visible(timeout=60_000)
        shots.take(page, "create profile")

        # The form explains what is wrong before any key is derived.
        enter_text(page, "Passphrase", "short")
        button(page, "Create profile").click()
        expect(page.get_by_text("Use at least 8 characters.")).to_be_visible()
        enter_text(page, "Passphrase", PASSPHRASE)
        enter_text(page, "Confirm passphrase", PASSPHRASE + "!")
        button(page, "Create profile").click()
        expect(page.get_by_text("The two passphrases don't match.")).to_be_visible()
        shots.take(page, "passphrases do not match")
        assert not Engine.exists(profile_home)

        create_profile(page, PASSPHRASE)  # both fields again, as a person fixing the typo does
        # Onboarding comes first; it can be skipped.
        expect(page.get_by_text("What would you like to work on?")).to_be_visible()
        button(page, "Skip for now").click()
        expect(field(page, "New note")).to_be_visible()
        expect(page.get_by_text("No notes yet.", exact=False)).to_be_visible()
        assert Engine.exists(profile_home)
        shots.take(page, "unlocked empty notes")

        text = f"Walked by the river before work {uuid.uuid4().hex[:8]}"
        enter_text(page, "New note", text)
        button(page, "Add note").click()
        expect(page.get_by_text(text)).to_be_visible()
        expect(page.get_by_text("Today", exact=True)).to_be_visible()
        # The composer is empty again. (Its DOM <textarea> keeps the old value: Flutter syncs the
        # semantics copy only while a field is focused, so the disabled button is what to check.)
        expect(button(page, "Add note")).to_be_disabled()
        shots.take(page, "note added")

        enter_text(page, "Search notes", "river")
        expect(page.get_by_text("1 note match “river”")).to_be_visible()
        shots.take(page, "search")

        page.reload()
        open_app(page, app_server.url)
        expect(page.get_by_text("Enter your passphrase to open your notes.")).to_be_visible(timeout=60_000)
        expect(page.get_by_text(text)).to_have_count(0)
        shots.take(page, "locked after reload")

        unlock(page, PASSPHRASE)
        destination(page, "Daily notes").click()
        expect(page.get_by_text(text)).to_be_visible()
        shots.take(page, "unlocked note still there")

        # Nothing was installed unasked: every bundled coach waits in the gallery to be chosen.
        destination(page, "Gallery").click()
        expect(button(page, "Install Dyno, the Running Coach")).to_be_visible()
        scroll_until(page, button(page, "Install Stoic Mentor"))  # the fourth card on a phone
        expect(page.get_by_role("button", name=re.compile(r"^Chat with "))).to_have_count(0)
        shots.take(page, "coaches to choose from")
    finally:
        page.context.close()
    assert external.urls == [], f"the page tried to reach other hosts: {external.urls}"
    with Engine.open(profile_home, PASSPHRASE, use_embedder=False) as engine:
        assert engine.coaches.list(include_previews=True) == []


def test_wrong_passphrase_keeps_the_profile_locked(
    browser: Browser, profile_home: Path, tmp_path: Path, shots: Screenshots
) -> None:
    with Engine.create(profile_home, PASSPHRASE) as engine:
        engine.notes.add("Booked the dentist for Thursday")
    with serve_app(profile_home, tmp_path / "app.log") as server:
        page, external = _new_page(browser, DESKTOP)
        try:
            open_app(page, server.url)
            expect(button(page, "Unlock")).to_be_visible(timeout=60_000)
            shots.take(page, "unlock")

            enter_text(page, "Passphrase", "not the passphrase")
            button(page, "Unlock").click()
            wrong = page.get_by_text("That passphrase doesn't unlock this profile.", exact=False)
            expect(wrong).to_be_visible()
            expect(button(page, "Unlock")).to_be_visible()
            expect(page.get_by_text("Booked the dentist for Thursday")).to_have_count(0)
            shots.take(page, "wrong passphrase")

            enter_text(page, "Passphrase", PASSPHRASE)
            button(page, "Unlock").click()
            expect(button(page, "Install Stoic Mentor")).to_be_visible()
            shots.take(page, "unlocked wide layout gallery")

            destination(page, "Daily notes").click()
            expect(page.get_by_text("Booked the dentist for Thursday")).to_be_visible()
            shots.take(page, "daily notes")

            button(page, "Lock").click()
            expect(button(page, "Unlock")).to_be_visible()
            expect(page.get_by_text("Booked the dentist for Thursday")).to_have_count(0)
            shots.take(page, "locked again")
        finally:
            page.context.close()
    assert external.urls == [], f"the page tried to reach other hosts: {external.urls}"
