"""The web page that hosts the Flet client, hardened so the browser never talks to a third party.

Flet 1.0.5's web client (``main.dart.js`` of flet-web) asks jsDelivr for
``@rive-app/flutter-native-wasm@44.0.0/wasm/rive_native.js`` while it starts, even with
``no_cdn=True``: the Rive animation plugin is compiled into the client and loads its runtime from a
CDN on start-up. LifeOS Coach shows no Rive animation, so the app does not need that script, and a
privacy-first app must not leak "this person opened LifeOS Coach" to a CDN. Flet copies
``index.html`` from the assets directory when one is there, so we hand it Flet's own page with a
Content-Security-Policy added: the browser then refuses every request to another origin before it
leaves the machine (a CSP violation in the console instead of a network request).

The client's start-up is also made lighter: Flutter loads every font of ``FontManifest.json`` before
its first frame, and Flet's manifest lists 19 KaTeX fonts (~600 KB) that only LaTeX formulas in
Markdown use. The served manifest leaves them out (``without_unused_fonts``); measured, the unlock
screen came ~0.2 s sooner. A formula in a coach's reply (``$x^2$``) still renders, laid out the same
but drawn with Roboto's glyphs instead of KaTeX's (checked in Chromium).
"""

from __future__ import annotations

import atexit
import json
import re
import shutil
import tempfile
from pathlib import Path

import flet_web

# Only this origin. Flutter needs inline bootstrap scripts, WebAssembly compilation (skwasm),
# blob workers, and data: fonts; "connect-src 'self'" covers the app's own WebSocket.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "media-src 'self' data: blob:",
        "object-src 'none'",
        "frame-src 'none'",
        "base-uri 'self'",
        "form-action 'none'",
    ]
)

APP_TITLE = "LifeOS Coach"


def flet_index_html() -> str:
    """Flet's stock web page, read from the installed flet-web package (so upgrades carry over)."""
    return (Path(flet_web.__file__).parent / "web" / "index.html").read_text(encoding="utf-8")


def harden_index_html(html: str, title: str = APP_TITLE) -> str:
    """Add the CSP meta tag right after ``<meta charset>`` and set the page title.

    Raises ``ValueError`` if the page has no charset tag: a silently unhardened page would be worse
    than a loud start-up failure after a flet-web upgrade changes the template.
    """
    meta = f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'
    hardened, count = re.subn(
        r"(<meta\s+charset=[^>]*>)", lambda m: f"{m[1]}\n  {meta}", html, count=1, flags=re.IGNORECASE
    )
    if count != 1:
        raise ValueError("Flet's index.html has no <meta charset> tag to anchor the security policy")
    return re.sub(r"<title>.*?</title>", f"<title>{title}</title>", hardened, count=1, flags=re.DOTALL)


UNUSED_FONT_FAMILIES = re.compile(r"KaTeX")
"""Font families of Flet's manifest that the app never draws with (flutter_math_fork's KaTeX fonts)."""


def flet_font_manifest() -> list[dict[str, object]]:
    """Flet's stock ``FontManifest.json`` (a list of ``{"family": ..., "fonts": [...]}``)."""
    path = Path(flet_web.__file__).parent / "web" / "assets" / "FontManifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(manifest, list):
        raise ValueError(f"unexpected FontManifest.json in flet-web: {path}")
    return manifest


def without_unused_fonts(manifest: list[dict[str, object]]) -> list[dict[str, object]]:
    """The manifest less the families that match ``UNUSED_FONT_FAMILIES``; the icon fonts stay."""
    return [f for f in manifest if not UNUSED_FONT_FAMILIES.search(str(f.get("family", "")))]


def prepare_web_root() -> Path:
    """Write the hardened page and the trimmed font manifest into a private temporary folder that
    Flet uses as its assets dir (Flet still adds its bundled Roboto to that manifest).

    The folder is removed when the process exits.
    """
    root = Path(tempfile.mkdtemp(prefix="lifeos-web-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    (root / "index.html").write_text(harden_index_html(flet_index_html()), encoding="utf-8")
    (root / "assets").mkdir()
    fonts = without_unused_fonts(flet_font_manifest())
    (root / "assets" / "FontManifest.json").write_text(json.dumps(fonts), encoding="utf-8")
    return root
