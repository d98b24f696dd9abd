"""The web page that hosts the Flet client, hardened so the browser never talks to a third party.

Flet 1.0.5's web client (``main.dart.js`` of flet-web) asks jsDelivr for
``@rive-app/flutter-native-wasm@44.0.0/wasm/rive_native.js`` while it starts, even with
``no_cdn=True``: the Rive animation plugin is compiled into the client and loads its runtime from a
CDN on start-up. LifeOS Coach shows no Rive animation, so the app does not need that script, and a
privacy-first app must not leak "this person opened LifeOS Coach" to a CDN. Flet copies
``index.html`` from the assets directory when one is there, so we hand it Flet's own page with a
Content-Security-Policy added: the browser then refuses every request to another origin before it
leaves the machine (a CSP violation in the console instead of a network request).
"""

from __future__ import annotations

import atexit
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


def prepare_web_root() -> Path:
    """Write the hardened page into a private temporary folder that Flet uses as its assets dir.

    The folder is removed when the process exits.
    """
    root = Path(tempfile.mkdtemp(prefix="lifeos-web-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    (root / "index.html").write_text(harden_index_html(flet_index_html()), encoding="utf-8")
    return root
