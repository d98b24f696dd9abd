"""The coach studio in headless Chromium at laptop size: from three PDFs to an installed, signed coach.

A creator opens "Create a coach" from the gallery, names the coach, types the path of the folder
holding their three books (the app runs on their own machine), looks at a flagged page, runs the
content check, redacts the personal data planted in one book, gives each source a licence, picks a
persona, adds a playbook move, talks to the draft in the preview (which shows the move it used),
makes a signing key, exports the signed pack, installs it and publishes it to a catalog folder. Everything is typed and clicked.
After the server stops, the profile is opened through the Engine: the coach is installed, signed by
the name the creator typed, and the planted email is nowhere in its knowledge.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from test_studio_pdfs import three_books

from engine.api import Engine
from testkit.browser import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    DESKTOP,
    PHONE,
    UI_TIMEOUT_MS,
    Screenshots,
    block_external_requests,
    button,
    chip,
    enter_text,
    open_app,
    require_chromium,
    scroll_until,
    serve_app,
    shown,
    type_text,
    unlock,
)

pytestmark = pytest.mark.browser

PASSPHRASE = "a quiet desk by the window"
INDEXING_MS = 120_000
"""Extracting, building and installing run the real embedder on a busy two-core machine."""


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Screenshots:
    return Screenshots(ARTIFACTS / request.node.name)


@pytest.fixture
def studio(tmp_path: Path) -> Iterator[tuple[Page, Path, Path]]:
    executable = require_chromium()
    home = tmp_path / "profile"
    Engine.create(home, PASSPHRASE).close()
    books = tmp_path / "books"
    three_books(books)
    with serve_app(home, tmp_path / "app.log") as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=DESKTOP)
        external = block_external_requests(context)
        page = context.new_page()
        page.set_default_timeout(UI_TIMEOUT_MS)
        expect.set_options(timeout=UI_TIMEOUT_MS)
        open_app(page, server.url)
        unlock(page, PASSPHRASE)
        try:
            yield page, books, home
        finally:
            browser.close()
    assert external.urls == [], f"the page tried to reach other hosts: {external.urls}"


def test_from_three_pdfs_to_an_installed_signed_coach(
    studio: tuple[Page, Path, Path], shots: Screenshots, tmp_path: Path
) -> None:
    page, books, home = studio
    button(page, "Create a coach").click()
    enter_text(page, "Coach name", "Calm Focus")
    chip(page, "Health").click()
    button(page, "Start the draft").click()
    expect(shown(page, "Calm Focus 0.1.0")).to_be_visible()

    # Sources: a folder of three books, extracted with a progress bar; a flagged page says why.
    enter_text(page, "File or folder path", str(books))
    button(page, "Add sources").click()
    expect(shown(page, "Added calm.pdf, focus.pdf, sleep.pdf")).to_be_visible(timeout=INDEXING_MS)
    expect(shown(page, "4 pages, 2 flagged · 2 chunks")).to_be_visible()
    button(page, "Pages of focus.pdf").click()
    expect(shown(page, "Flagged: a chart or drawing")).to_be_visible()
    expect(shown(page, "Deep work needs a protected block of time")).to_be_visible()
    shots.take(page, "sources with the extraction preview")

    # Chunks: search finds the passage about caffeine.
    chip(page, "Chunks").click()
    enter_text(page, "Search the chunks", "caffeine")
    page.keyboard.press("Enter")
    expect(shown(page, "1 chunk matches, 1 in the pack")).to_be_visible()
    expect(shown(page, "sleep-2")).to_be_visible()

    # Content check: the planted personal data, redacted with one click; a licence per source.
    chip(page, "Check").click()
    button(page, "Run the content check").click()
    expect(shown(page, "an email address: 'maria.lopez@example.com'")).to_be_visible(timeout=INDEXING_MS)
    expect(shown(page, "a phone number: '+1 415-555-0132'")).to_be_visible()
    shots.take(page, "content check finds personal data")
    button(page, "Redact calm-3").click()
    expect(shown(page, "calm-3 redacted.")).to_be_visible()
    expect(page.get_by_text("maria.lopez@example.com")).to_have_count(0)
    for name in ("calm.pdf", "focus.pdf", "sleep.pdf"):
        target = button(page, f"Save licence of {name}")
        scroll_until(page, target)
        enter_text(page, f"Licence of {name}", "CC BY 4.0")
        target.click()
        expect(shown(page, f"Licence of {name} saved.")).to_be_visible()
    expect(shown(page, "Nothing personal found, and every source has a licence.")).to_be_visible()

    # Persona and playbook, with the live preview on the right.
    chip(page, "Persona").click()
    chip(page, "Socratic").click()
    enter_text(
        page, "Description (what coachees see in the gallery)", "Sleep, calm and focus, from my books."
    )
    button(page, "Save persona").click()
    expect(shown(page, "Persona saved.")).to_be_visible()
    scroll_until(page, button(page, "Add example"))
    enter_text(page, "Example exchange", "Coachee: I can't switch off. Coach: What keeps you up?")
    button(page, "Add example").click()
    expect(shown(page, "Example 1 added.")).to_be_visible()
    scroll_until(page, button(page, "Add move"))
    enter_text(page, "Move id", "ack-sleep")
    type_text(page, "Situations, one a line", "I can't sleep")
    page.keyboard.press("Enter")
    type_text(page, "Situations, one a line", "I lie awake at night")
    enter_text(page, "What the coach says", "Nights without sleep wear everything thin.")
    button(page, "Add move").click()
    expect(shown(page, "Move ack-sleep added.")).to_be_visible()
    enter_text(page, "Message the draft", "I can't sleep, I lie awake at night")
    button(page, "Send to the draft").click()
    expect(shown(page, "Moves used: ack-sleep")).to_be_visible(timeout=INDEXING_MS)
    expect(shown(page, "Nights without sleep wear everything thin.").first).to_be_visible()
    expect(shown(page, "1 preview replies")).to_be_visible()
    shots.take(page, "persona and playbook with the live preview")

    # Versions: the signing key, the signed pack exported, and installed on this device.
    chip(page, "Versions").click()
    enter_text(page, "Your name as publisher", "Dana Creator")
    button(page, "Make my signing key").click()
    expect(shown(page, "Signing as Dana Creator")).to_be_visible()
    exported = tmp_path / "calm-focus.coach"
    enter_text(page, "Export to (a .coach file path)", str(exported))
    button(page, "Export signed pack").click()
    expect(shown(page, "signed by Dana Creator.")).to_be_visible(timeout=INDEXING_MS)
    button(page, "Install Calm Focus on this device").click()
    expect(shown(page, "Calm Focus 0.1.0 is installed and signed")).to_be_visible(timeout=INDEXING_MS)
    expect(shown(page, "Installed on this device: 0.1.0")).to_be_visible()
    shots.take(page, "installed and signed")
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    target = button(page, "Publish to the catalog")
    scroll_until(page, target)
    enter_text(page, "Catalog folder", str(catalog))
    target.click()
    expect(shown(page, "Published calm-focus-0.1.0.coach")).to_be_visible(timeout=INDEXING_MS)

    # At phone size the studio is for review and preview: no editing tabs.
    page.set_viewport_size(PHONE)
    expect(chip(page, "Preview")).to_be_visible()
    expect(chip(page, "Persona")).to_have_count(0)
    shots.take(page, "phone review and preview")
    page.set_viewport_size(DESKTOP)

    assert exported.is_file() and (catalog / "calm-focus-0.1.0.coach").is_file()
    assert '"id": "calm-focus"' in (catalog / "catalog.json").read_text()
    page.close()
    with Engine.open(home, PASSPHRASE, use_embedder=False) as engine:
        coach = engine.coaches.get("calm-focus")
        assert coach.manifest.publisher is not None and coach.manifest.publisher.name == "Dana Creator"
        assert coach.passages == 7 and coach.manifest.persona == "socratic"
        assert [m.id for m in coach.playbook] == ["ack-sleep"]
        assert coach.examples == ["Coachee: I can't switch off. Coach: What keeps you up?"]
        assert all(s.licence == "CC BY 4.0" for s in coach.manifest.sources)
        texts = [
            h.text for h in engine.knowledge.search("calm-focus", "clients breathing", method="bm25").hits
        ]
        assert texts and not any("maria.lopez" in t for t in texts)
