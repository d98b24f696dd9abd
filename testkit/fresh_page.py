"""One seeded profile, served by the real app, in a freshly loaded and unlocked browser page.

For tests that change what they look at (add a fact, retire one, set a deadline): each gets its own
profile, server and page, so no test depends on what another left behind or on the order they run
in, and the profile can be opened through the Engine once the server has stopped to check what was
stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

from testkit.browser import (
    CHROMIUM_ARGS,
    UI_TIMEOUT_MS,
    AppServer,
    ExternalRequests,
    block_external_requests,
    open_app,
    require_chromium,
    serve_app,
    unlock,
)


@dataclass
class FreshPage:
    page: Page
    server: AppServer
    external: ExternalRequests


@contextmanager
def fresh_page(
    home: Path,
    passphrase: str,
    viewport: dict[str, int],
    *,
    env_extra: dict[str, str] | None = None,
) -> Iterator[FreshPage]:
    """Serve ``home`` on a free loopback port and yield an unlocked page at ``viewport``.

    Fails the test if the page tried to reach any host but this machine.
    """
    executable = require_chromium()
    with (
        serve_app(home, home.parent / f"{home.name}-app.log", env_extra) as server,
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=viewport)
            external = block_external_requests(context)
            page = context.new_page()
            page.set_default_timeout(UI_TIMEOUT_MS)
            expect.set_options(timeout=UI_TIMEOUT_MS)
            open_app(page, server.url)
            unlock(page, passphrase)
            yield FreshPage(page, server, external)
            assert external.urls == [], f"the page tried to reach other hosts: {external.urls}"
        finally:
            browser.close()
