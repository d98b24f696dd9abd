"""The web page that hosts the Flet client, hardened so the browser never talks to a third party.

Flet 1.0.5's web client (``main.dart.js`` of flet-web) asks jsDelivr for
``@rive-app/flutter-native-wasm@44.0.0/wasm/rive_native.js`` while it starts, even with
``no_cdn=True``: the Rive animation plugin is compiled into the client and loads its runtime from a
CDN on start-up. LifeOS Coach shows no Rive animation, so the app does not need that script, and a
privacy-first app must not leak "this person opened LifeOS Coach" to a CDN. Two layers stop it:

- Flet serves a file from the assets directory before its own, so the app hands it copies of the
  compiled client (``main.dart.js`` and ``main.dart.wasm``) in which that CDN address is replaced by
  a path on this server, where a small script answers that there is no Rive runtime (its start-up
  promise never settles, which is what the plugin met before when the request failed). No request is
  even attempted, and the console stays clean.
- Flet copies ``index.html`` from the assets directory too, so we hand it Flet's own page with a
  Content-Security-Policy added: should another third-party request appear in a later flet-web, the
  browser refuses it before it leaves the machine.

The client's start-up is also made lighter: Flutter loads every font of ``FontManifest.json`` before
its first frame, and Flet's manifest lists 19 KaTeX fonts (~600 KB) that only LaTeX formulas in
Markdown use. The served manifest leaves them out (``without_unused_fonts``); measured, the unlock
screen came ~0.2 s sooner. A formula in a coach's reply (``$x^2$``) still renders, laid out the same
but drawn with Roboto's glyphs instead of KaTeX's (checked in Chromium).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import tempfile
from pathlib import Path

import flet_web
import platformdirs

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


RIVE_CDN = "https://cdn.jsdelivr.net/npm/@rive-app/flutter-native-wasm@44.0.0/"
RIVE_LOCAL_DIR = "no-cdn"
COMPILED_CLIENT = ("main.dart.js", "main.dart.wasm")
RIVE_SCRIPTS = ("wasm/rive_native.js", "wasm_compatibility/rive_native.js")
NO_RIVE_JS = (
    "// LifeOS Coach draws no Rive animation and ships no Rive runtime: the plugin's start-up\n"
    "// promise stays pending, so it never asks a CDN for one.\n"
    "window.RiveNative = () => new Promise(() => {});\n"
)


def local_rive_base(length: int = len(RIVE_CDN)) -> str:
    """A path on this server exactly as long as the CDN address (``/no-cdn/././…/``).

    The address sits in ``main.dart.wasm`` as a length-prefixed string, so its replacement keeps the
    length and the module stays valid; the browser drops the ``./`` segments when it resolves it.
    """
    head = f"/{RIVE_LOCAL_DIR}"
    dots, odd = divmod(length - len(head) - 1, 2)
    if dots < 0 or odd:
        raise ValueError(f"no same-length local path for a {length}-character address")
    return head + "/." * dots + "/"


def without_rive_cdn(compiled: bytes) -> bytes:
    """The compiled client with its one CDN address replaced by ``local_rive_base()``.

    Raises ``ValueError`` when the address is not there exactly once: a flet-web upgrade that moved it
    must fail loudly at start-up rather than let the request through (the CSP would still block it).
    """
    cdn = RIVE_CDN.encode()
    if compiled.count(cdn) != 1:
        raise ValueError("flet-web's compiled client no longer holds the Rive CDN address exactly once")
    return compiled.replace(cdn, local_rive_base().encode())


def web_root_folder() -> Path:
    """Where the served copies live: this user's cache, one folder per flet-web version (so an
    upgrade never serves a stale client). Kept between starts: copying the 18 MB client on every
    start would delay the server by a tenth of a second or more."""
    version = importlib.metadata.version("flet-web")
    return Path(platformdirs.user_cache_dir("lifeos-coach")) / "web-root" / version


def _write_atomically(path: Path, data: bytes) -> None:
    """Write beside, then rename: two app processes starting at once never serve a half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as out:
        out.write(data)
    os.replace(out.name, path)


def _patched_client(root: Path, web: Path, name: str) -> None:
    """Refresh the CDN-free copy of one compiled file when its source changed (size and time)."""
    source = web / name
    stat = source.stat()
    stamp = f"{stat.st_size}:{stat.st_mtime_ns}\n".encode()
    target, marker = root / name, root / f".{name}.source"
    if target.exists() and marker.exists() and marker.read_bytes() == stamp:
        return
    _write_atomically(target, without_rive_cdn(source.read_bytes()))
    _write_atomically(marker, stamp)


def prepare_web_root(root: Path | None = None) -> Path:
    """Write the hardened page, the trimmed font manifest, the compiled client without its CDN
    address and the script that stands in for the Rive runtime into the folder Flet uses as its
    assets dir (Flet still adds its bundled Roboto to that manifest).

    The small files are written on every start (they are cheap, and a change of this module shows at
    once); the compiled client only when flet-web's copy changed.
    """
    root = web_root_folder() if root is None else root
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    _write_atomically(root / "index.html", harden_index_html(flet_index_html()).encode())
    fonts = without_unused_fonts(flet_font_manifest())
    _write_atomically(root / "assets" / "FontManifest.json", json.dumps(fonts).encode())
    web = Path(flet_web.__file__).parent / "web"
    for name in COMPILED_CLIENT:
        _patched_client(root, web, name)
    for script in RIVE_SCRIPTS:
        _write_atomically(root / RIVE_LOCAL_DIR / script, NO_RIVE_JS.encode())
    return root
