"""The page the app serves: Flet's client without its one third-party address, and a strict policy.

The unit tests check the rewrite of the compiled client; the browser test loads the real app and
checks that the Rive loader asked this server, not a CDN, and that nothing was refused or aborted.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import flet_web
import pytest
from playwright.sync_api import sync_playwright

from app.web_root import (
    COMPILED_CLIENT,
    RIVE_CDN,
    RIVE_LOCAL_DIR,
    local_rive_base,
    prepare_web_root,
    without_rive_cdn,
)
from testkit.browser import (
    CHROMIUM_ARGS,
    PHONE,
    block_external_requests,
    open_app,
    require_chromium,
    serve_app,
)

FLET_WEB = Path(flet_web.__file__).parent / "web"


def test_the_local_address_keeps_the_length_and_resolves_to_one_folder() -> None:
    base = local_rive_base()
    assert len(base) == len(RIVE_CDN)
    resolved = urlsplit(f"http://127.0.0.1{base}wasm/rive_native.js")
    # What the browser requests once it drops the "./" segments.
    assert (
        "/".join(p for p in resolved.path.split("/") if p != ".") == f"/{RIVE_LOCAL_DIR}/wasm/rive_native.js"
    )


@pytest.mark.parametrize("name", COMPILED_CLIENT)
def test_the_compiled_client_loses_its_cdn_address_and_nothing_else(name: str) -> None:
    original = (FLET_WEB / name).read_bytes()
    patched = without_rive_cdn(original)
    assert b"cdn.jsdelivr.net" not in patched
    assert len(patched) == len(original)  # main.dart.wasm holds the address length-prefixed
    assert patched.replace(local_rive_base().encode(), RIVE_CDN.encode()) == original


def test_a_client_without_the_address_is_refused_loudly() -> None:
    with pytest.raises(ValueError, match="Rive CDN address"):
        without_rive_cdn(b"console.log('a later flet-web')")
    with pytest.raises(ValueError, match="exactly once"):
        without_rive_cdn(RIVE_CDN.encode() * 2)


def test_the_web_root_is_rebuilt_when_the_client_changes(tmp_path: Path) -> None:
    root = prepare_web_root(tmp_path / "root")
    served = root / "main.dart.js"
    served.write_bytes(b"stale")
    prepare_web_root(root)
    assert served.read_bytes() == b"stale", "an unchanged source is not copied again"
    (root / ".main.dart.js.source").write_text("0:0\n")  # as after a flet-web upgrade
    prepare_web_root(root)
    assert served.read_bytes() == without_rive_cdn((FLET_WEB / "main.dart.js").read_bytes())
    assert "Content-Security-Policy" in (root / "index.html").read_text()


@pytest.mark.browser
def test_the_app_never_even_tries_to_reach_the_cdn(tmp_path: Path) -> None:
    executable = require_chromium()
    with serve_app(tmp_path / "profile", tmp_path / "app.log") as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=PHONE)
        external = block_external_requests(context)
        asked: list[str] = []
        context.on("request", lambda request: asked.append(urlsplit(request.url).path))
        page = context.new_page()
        open_app(page, server.url)
        page.get_by_text("Create your profile").wait_for(timeout=60_000)
        page.wait_for_timeout(1_000)  # the Rive plugin asks for its runtime after the first frame
        browser.close()
    assert external.urls == [], f"the page tried to reach other hosts: {external.urls}"
    assert f"/{RIVE_LOCAL_DIR}/wasm/rive_native.js" in asked, asked
