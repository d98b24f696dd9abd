"""Settings › Sync in the app, in headless Chromium, at phone and laptop size.

A laptop profile (through the engine) has a sync account on the real server on 127.0.0.1 and shows a
pairing code; the app's profile joins it from Settings › Sync by typing the code key by key, syncs
(the laptop's note arrives), then shows its own pairing code as text and as a QR code.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

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
    unlock,
)
from testkit.sync_devices import PASSPHRASE, new_device
from testkit.sync_server import sync_server

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("size", [pytest.param(PHONE, id="phone"), pytest.param(DESKTOP, id="desktop")])
def test_join_sync_and_pair_from_settings(tmp_path: Path, size: dict[str, int]) -> None:
    executable = require_chromium()
    shots = Screenshots(ARTIFACTS / f"test_join_sync_and_pair_from_settings-{size['width']}")
    new_device(tmp_path / "phone").close()
    with sync_server(tmp_path / "server") as server:
        laptop = new_device(tmp_path / "laptop")
        joined: list[str] = []
        try:
            laptop.notes.add("Written on the laptop: the spring garden plan")
            laptop.sync.setup(server.url)
            laptop.sync.now()
            offer = laptop.sync.pair()
            waiter = threading.Thread(target=lambda: joined.append(laptop.sync.pair_finish(offer.code, 120)))
            waiter.start()
            with (
                serve_app(tmp_path / "phone", tmp_path / "app.log") as app,
                sync_playwright() as pw,
            ):
                browser = pw.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
                context = browser.new_context(viewport=size)
                external = block_external_requests(context)
                page = context.new_page()
                page.set_default_timeout(UI_TIMEOUT_MS)
                expect.set_options(timeout=UI_TIMEOUT_MS)
                try:
                    open_app(page, app.url)
                    unlock(page, PASSPHRASE)
                    button(page, "Settings").click()
                    scroll_until(page, field(page, "Pairing code or link"))
                    shots.take(page, "sync off")
                    enter_text(page, "Pairing code or link", offer.uri)
                    button(page, "Join").click()
                    expect(shown(page, "Synced: sent")).to_be_visible(timeout=60_000)
                    shots.take(page, "joined and synced")
                    button(page, "Pair a device").click()
                    expect(page.get_by_role("img", name="Pairing QR code")).to_be_visible()
                    expect(shown(page, "The code works once")).to_be_visible()
                    shots.take(page, "pairing code and QR")
                finally:
                    browser.close()
                assert external.urls == [], f"the page tried to reach other hosts: {external.urls}"
            waiter.join(timeout=30)
        finally:
            laptop.close()
    assert len(joined) == 1
    with Engine.open(tmp_path / "phone", PASSPHRASE, use_embedder=False) as phone:
        assert "Written on the laptop: the spring garden plan" in [n.body for n in phone.notes.list()]
        assert phone.sync.status().account_id == server_account(tmp_path)


def server_account(tmp_path: Path) -> str:
    with Engine.open(tmp_path / "laptop", PASSPHRASE, use_embedder=False) as laptop:
        return laptop.sync.status().account_id
