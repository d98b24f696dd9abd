"""Restore, import and export in the app, in headless Chromium, at phone and laptop size.

One journey per size, on a fresh server whose home holds no profile yet: the first-run screen
restores the profile from an export ZIP (made here through the engine), Settings › Import previews
an Obsidian vault and imports it, and Settings › Export writes a new ZIP. Fields are typed key by
key and buttons clicked, as a person would.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect, sync_playwright

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
    enter_text,
    field,
    open_app,
    require_chromium,
    scroll_until,
    serve_app,
    shown,
)
from testkit.notes_sources import VaultSpec, write_vault

pytestmark = pytest.mark.browser

PASSPHRASE = "a calm river at dawn"


def export_field(page: Page) -> Locator:
    """The export path field. Flutter names it after its card too ("Export Everything in one ZIP…
    Export to"), so it is found by the words it contains rather than by how its name starts."""
    return page.locator('input[aria-label*="Export to"]')


def retype(page: Page, target: Locator, text: str) -> None:
    """Focus, select all, type key by key (as `enter_text` does for fields found by label). The field
    is focused rather than clicked: its merged node spans the card's heading too, and a click at
    its centre can land on the heading."""
    for _ in range(3):
        target.focus()
        page.wait_for_timeout(300)
        page.keyboard.press("Control+A")
        page.keyboard.type(text, delay=15)
        try:
            expect(target).to_have_value(text, timeout=3000)
            return
        except AssertionError:
            continue
    expect(target).to_have_value(text)


@pytest.mark.parametrize("size", [pytest.param(PHONE, id="phone"), pytest.param(DESKTOP, id="desktop")])
def test_restore_import_and_export_in_the_app(tmp_path: Path, size: dict[str, int]) -> None:
    executable = require_chromium()
    export = tmp_path / "old.zip"
    with Engine.create(tmp_path / "old", PASSPHRASE, use_embedder=False) as old:
        old.notes.add("Before the move: the garden plan for spring, tomatoes first.")
        old.memory.create_entity("project", "Garden")
        old.io.export(export, password=PASSPHRASE)
    vault = write_vault(tmp_path / "vault", VaultSpec(notes=5, daily=2))
    shots = Screenshots(ARTIFACTS / f"test_restore_import_and_export_in_the_app-{size['width']}")
    with serve_app(tmp_path / "profile", tmp_path / "app.log") as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=size)
        external = block_external_requests(context)
        page = context.new_page()
        page.set_default_timeout(UI_TIMEOUT_MS)
        expect.set_options(timeout=UI_TIMEOUT_MS)
        try:
            open_app(page, server.url)
            button(page, "Restore from an export").click()
            enter_text(page, "Export file", str(export))
            enter_text(page, "New passphrase", PASSPHRASE)
            enter_text(page, "Confirm passphrase", PASSPHRASE)
            shots.take(page, "restore form")
            button(page, "Restore").click()
            expect(button(page, "Settings")).to_be_visible(timeout=60_000)

            button(page, "Settings").click()
            scroll_until(page, field(page, "Vault folder"))
            enter_text(page, "Vault folder", str(vault))
            button(page, "Preview import").click()
            expect(shown(page, "11 notes found")).to_be_visible()
            scroll_until(page, shown(page, "Inbox (5 notes)"))
            scroll_until(page, button(page, "Import"))
            button(page, "Import").scroll_into_view_if_needed()
            shots.take(page, "import preview")
            button(page, "Import").click()
            expect(shown(page, "Imported 11 notes")).to_be_visible()
            expect(shown(page, "imported notes")).to_be_visible()  # learning, in the background

            scroll_until(page, export_field(page))
            out = tmp_path / "new.zip"
            retype(page, export_field(page), str(out))
            scroll_until(page, button(page, "Export"))
            button(page, "Export").click()
            expect(shown(page, "Exported 12 notes")).to_be_visible()
            shots.take(page, "exported")
        finally:
            browser.close()
        assert external.urls == [], f"the page tried to reach other hosts: {external.urls}"
    with zipfile.ZipFile(out) as zf:
        notes = zf.read("data/notes.jsonl").decode()
    assert "garden plan for spring" in notes and "designer on the website launch" in notes
