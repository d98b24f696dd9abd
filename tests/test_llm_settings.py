"""Settings › Local model in the real app (headless Chromium): the catalog, an installed model, and
choosing it for the coaches' replies. Nothing is downloaded: the installed model is the test GGUF,
imported before the server starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from engine.api import Engine, bundled_test_model, local_model_manager
from testkit.browser import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    DESKTOP,
    UI_TIMEOUT_MS,
    Screenshots,
    block_external_requests,
    button,
    open_app,
    require_chromium,
    scroll_until,
    serve_app,
    shown,
    unlock,
)

pytestmark = pytest.mark.browser
PASSPHRASE = "a calm river at dawn"


def test_the_local_model_card_lists_installs_and_chooses(tmp_path: Path) -> None:
    executable = require_chromium()
    home = tmp_path / "profile"
    with Engine.create(home, PASSPHRASE, use_embedder=False):
        pass
    local_model_manager(home).add(str(bundled_test_model(tmp_path / "gguf")), name="gemma-test")
    with serve_app(home, tmp_path / "app.log") as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=DESKTOP)
        external = block_external_requests(context)
        page = context.new_page()
        page.set_default_timeout(UI_TIMEOUT_MS)
        expect.set_options(timeout=UI_TIMEOUT_MS)
        try:
            open_app(page, server.url)
            unlock(page, PASSPHRASE)
            button(page, "Settings").click()
            expect(button(page, "Lock now")).to_be_visible()
            scroll_until(page, shown(page, "Available to download"), steps=40)
            expect(shown(page, "In use: none — replies are composed offline (grounded).")).to_be_visible()
            scroll_until(page, button(page, "Use"))
            button(page, "Use").click()
            expect(shown(page, "The coaches now answer with gemma-test.")).to_be_visible()
            expect(shown(page, "In use: gemma-test")).to_be_visible()
            Screenshots(ARTIFACTS / "local model settings").take(page, "local model chosen")
        finally:
            browser.close()
    assert external.urls == [], f"the page tried to reach other hosts: {external.urls}"
    with Engine.open(home, PASSPHRASE, use_embedder=False) as engine:
        assert engine.llm.status().in_use == "gemma-test"
