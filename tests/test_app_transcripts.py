"""Chat transcripts in the notes search, in headless Chromium: read as text, opened at the message.

The profile holds one conversation with the Stoic coach, long enough that its first turn is far above
the newest messages. Searching a word from that turn shows who said what with no Markdown left in it;
clicking the result opens the conversation with that very message marked and scrolled into view.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from engine.api import Engine
from testkit.browser import (
    ARTIFACTS,
    DESKTOP,
    PHONE,
    Screenshots,
    destination,
    enter_text,
    shown,
)
from testkit.fresh_page import fresh_page

pytestmark = pytest.mark.browser

PASSPHRASE = "a quiet harbour at noon"
FIRST = "The old lighthouse keeper taught me patience"
LATER_TURNS = 9


def seed(home: Path) -> str:
    """A conversation whose first turn mentions the lighthouse; the id of that message."""
    with Engine.create(home, PASSPHRASE, use_embedder=False) as engine:
        engine.coaches.install("stoic")
        engine.chat.send("stoic", FIRST)
        for n in range(LATER_TURNS):
            engine.chat.send("stoic", f"Today I trained for the race, session {n + 1} of the plan")
        return next(m.id for m in engine.chat.conversation("stoic") if m.content == FIRST)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_transcript_hit_reads_as_text_and_opens_the_conversation_there(
    tmp_path: Path, request: pytest.FixtureRequest, viewport: dict[str, int]
) -> None:
    home = tmp_path / "profile"
    message_id = seed(home)
    shots = Screenshots(ARTIFACTS / request.node.name)
    with fresh_page(home, PASSPHRASE, viewport) as fresh:
        page = fresh.page
        destination(page, "Daily notes").click()
        enter_text(page, "Search notes", "lighthouse")
        expect(page.get_by_text("1 note match “lighthouse”")).to_be_visible()
        hit = shown(page, f"You: {FIRST}")
        expect(hit).to_be_visible()
        expect(shown(page, "Stoic Mentor: ")).to_be_visible()
        expect(page.get_by_text(re.compile(r"\*\*|_Sources"))).to_have_count(0)
        expect(page.get_by_label(re.compile(r"\*\*|_Sources"))).to_have_count(0)
        shots.take(page, "search")

        hit.click()
        expect(page).to_have_url(re.compile(rf"/chat/stoic\?message={re.escape(message_id)}$"))
        # The marker and the message are one node for a screen reader: read out together.
        expect(page.get_by_text(f"Found by your search {FIRST}", exact=True)).to_be_in_viewport()
        newest = page.get_by_text(f"session {LATER_TURNS} of the plan", exact=False)
        expect(newest).not_to_be_in_viewport()  # it was scrolled to, not just listed
        shots.take(page, "opened at the message")
