"""The coachee's journey through the real app in headless Chromium, end to end, at phone size.

Create a profile → pick interest areas → tap the suggested Stoic coach → install it from its card
(progress, result) → chat offline
and open a citation → quick-capture 'Long run Sunday for #marathon-2026 with @Sarah' → find the
project and Sarah in PARA → give the project a deadline tomorrow and open check-ins all day →
run the heartbeat and see the check-in in the Inbox → lock and unlock. A screenshot per step lands
in ``test-artifacts/test_journey/``; any request to a host other than this machine fails the test.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from engine.api import Engine
from testkit.browser import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    PHONE,
    UI_TIMEOUT_MS,
    Screenshots,
    block_external_requests,
    button,
    chip,
    create_profile,
    destination,
    enter_text,
    open_app,
    require_chromium,
    serve_app,
    shown,
    type_text,
    unlock,
)

pytestmark = pytest.mark.browser

PASSPHRASE = "a calm river at dawn"
CAPTURE = "Long run Sunday for #marathon-2026 with @Sarah"
MODEL_WORK_MS = 90_000  # first capture and heartbeat may load NER and the embedder on a busy machine


def test_journey(tmp_path: Path) -> None:
    executable = require_chromium()
    home = tmp_path / "profile"
    shots = Screenshots(ARTIFACTS / "test_journey")
    with serve_app(home, tmp_path / "app.log") as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=PHONE)
        external = block_external_requests(context)
        page = context.new_page()
        page.set_default_timeout(UI_TIMEOUT_MS)
        expect.set_options(timeout=UI_TIMEOUT_MS)
        try:
            # 1. Create the profile, then onboarding: two interest areas.
            open_app(page, server.url)
            create_profile(page, PASSPHRASE)
            expect(page.get_by_text("What would you like to work on?")).to_be_visible()
            page.get_by_role("button", name=re.compile(r"^Choose Wisdom")).click()
            page.get_by_role("button", name=re.compile(r"^Choose Health")).click()
            shots.take(page, "onboarding")
            button(page, "Continue").click()
            expect(
                page.get_by_text("Health and Wisdom are set up").or_(
                    page.get_by_text("Wisdom and Health are set up")
                )
            ).to_be_visible()
            expect(shown(page, "Stoic Mentor")).to_be_visible()
            shots.take(page, "coach suggestions")
            page.get_by_role("button", name=re.compile(r"Stoic Mentor")).click()

            # 2. Install the Stoic coach from its card in the gallery, with its progress and result.
            button(page, "Install Stoic Mentor").click()
            expect(page.get_by_text("Stoic Mentor is ready", exact=False)).to_be_visible(
                timeout=MODEL_WORK_MS
            )
            shots.take(page, "stoic installed")

            # 3. Chat offline, then open the citation.
            button(page, "Chat with Stoic Mentor").click()
            type_text(page, "Message", "What does Seneca say about the shortness of life?")
            button(page, "Send").click()
            source = page.get_by_role("checkbox", name=re.compile(r"^\[1\] "))
            expect(source).to_be_visible(timeout=MODEL_WORK_MS)
            shots.take(page, "chat reply")
            source.click()
            expect(button(page, "Close source")).to_be_visible()
            shots.take(page, "citation open")
            button(page, "Close source").click()

            # 4. Quick capture from the header.
            button(page, "Quick capture").click()
            enter_text(page, "Capture a thought", CAPTURE)
            button(page, "Capture").click()
            expect(page.get_by_text("Saved to today's notes")).to_be_visible(timeout=MODEL_WORK_MS)
            expect(chip(page, "Sarah (new)")).to_be_visible()
            shots.take(page, "captured")
            button(page, "Close").click()

            # 5. The project and Sarah are in PARA.
            destination(page, "PARA").click()
            expect(page.get_by_text("Marathon 2026")).to_be_visible()  # named as a person writes it
            chip(page, "People").click()
            expect(page.get_by_text("Sarah")).to_be_visible()
            shots.take(page, "sarah in people")
            chip(page, "Projects").click()
            page.get_by_text("Marathon 2026").click()
            expect(page.get_by_text("Save deadline")).to_be_visible()
            tomorrow = (date.today() + timedelta(days=1)).isoformat()
            enter_text(page, "Deadline", tomorrow)
            button(page, "Save deadline").click()
            expect(page.get_by_text("Due tomorrow", exact=False)).to_be_visible()
            shots.take(page, "project due tomorrow")

            # 6. Check-ins all day (the test must not depend on the hour it runs at), then the heartbeat.
            button(page, "Settings").click()
            enter_text(page, "Active hours", "0-24")
            enter_text(page, "Quiet hours", "")
            button(page, "Save hours").click()
            expect(shown(page, "Hours saved.")).to_be_visible()
            button(page, "Back").click()
            destination(page, "Inbox").click()
            button(page, "Run heartbeat now").click()
            expect(shown(page, "Marathon 2026 is due tomorrow")).to_be_visible(timeout=MODEL_WORK_MS)
            expect(shown(page, "Why: the deadline of Marathon 2026")).to_be_visible()
            shots.take(page, "check-in in inbox")

            # 7. Lock, and unlock again.
            button(page, "Lock").click()
            unlock(page, PASSPHRASE)
            destination(page, "Inbox").click()
            expect(shown(page, "Marathon 2026 is due tomorrow")).to_be_visible()
            shots.take(page, "unlocked again")
        finally:
            browser.close()
    assert external.urls == [], f"the page tried to reach other hosts: {external.urls}"
    with Engine.open(home, PASSPHRASE, use_embedder=False) as engine:
        assert {e.name for e in engine.memory.list_entities("area")} == {"Health", "Wisdom"}
        assert [c.id for c in engine.coaches.list()] == ["stoic"]
