"""`lifeos-app`: serve the LifeOS Coach UI to a browser on this machine.

The app runs as a local web server (Flet's web mode) bound to loopback by default, so the UI works
the same on a laptop, in a container and in the browser tests, and nothing listens on the network
unless the user asks for another host. Every asset is served locally (``no_cdn=True``) and the page
forbids third-party requests (see ``app.web_root``).
"""

from __future__ import annotations

import argparse
import importlib
import os
import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import flet as ft

from app.web_root import APP_TITLE, prepare_web_root

UI_MODULE = "app.ui.root"
"""The views and the engine behind them: about two seconds of imports on a two-core laptop. They are
imported in a background thread while the server already answers and the browser downloads and
compiles Flet's client (which takes longer), so the two overlap instead of following each other;
the first browser session waits on Python's import lock if they are not in yet."""
PRELOAD_WAIT_S = 30.0

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8550


@dataclass(frozen=True)
class ServeOptions:
    """Where the profile lives and where the UI is served; resolved once, before Flet starts."""

    home: Path | None  # None: the engine's default profile folder, resolved once the engine is imported
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def parse_options(argv: Sequence[str] | None = None, env: dict[str, str] | None = None) -> ServeOptions:
    """Command line first, then ``LIFEOS_HOME`` / ``LIFEOS_HOST`` / ``LIFEOS_PORT``, then defaults."""
    env = dict(os.environ) if env is None else env
    parser = argparse.ArgumentParser(prog="lifeos-app", description="Serve the LifeOS Coach app locally.")
    parser.add_argument(
        "--home", type=Path, help="profile folder (default: $LIFEOS_HOME, else the user data dir)"
    )
    parser.add_argument("--host", help=f"interface to bind (default: $LIFEOS_HOST or {DEFAULT_HOST})")
    parser.add_argument("--port", type=int, help=f"TCP port (default: $LIFEOS_PORT or {DEFAULT_PORT})")
    args = parser.parse_args(argv)

    if args.home is not None:
        home: Path | None = args.home.expanduser().resolve()
    elif env.get("LIFEOS_HOME"):
        home = Path(env["LIFEOS_HOME"]).expanduser().resolve()
    else:
        home = None
    host = args.host or env.get("LIFEOS_HOST") or DEFAULT_HOST
    try:
        port = args.port if args.port is not None else int(env.get("LIFEOS_PORT") or DEFAULT_PORT)
    except ValueError:
        parser.error(f"LIFEOS_PORT must be a number, got {env.get('LIFEOS_PORT')!r}")
    return ServeOptions(home=home, host=host, port=port)


def profile_home(home: Path | None) -> Path:
    """The profile folder asked for, else the engine's default (imports the engine)."""
    if home is not None:
        return home
    from engine.api import default_home

    return default_home().resolve()


def make_page_handler(home: Path | None) -> ft.AppCallable:
    """One call per browser session: each tab gets its own locked UI over the same profile folder."""

    def start_session(page: ft.Page) -> None:
        from app.ui.root import App  # in already, or being imported by `preload_ui`
        from app.ui.theme import apply_theme

        page.title = APP_TITLE
        apply_theme(page)
        page.render(App, profile_home(home))

    return start_session


def _wait_until_listening(host: str, port: int, timeout_s: float = PRELOAD_WAIT_S) -> None:
    """Return once the server accepts connections (or after ``timeout_s``, to import anyway)."""
    target = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((target, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.02)


def preload_ui(host: str, port: int) -> threading.Thread:
    """Import the views and the engine off the main thread once the server listens: started any
    earlier, the import competed with Flet's own start-up for the interpreter and the server
    listened later; started then, it overlaps only the browser's work (loading and compiling
    Flet's client), which runs in other processes."""

    def work() -> None:
        _wait_until_listening(host, port)
        importlib.import_module(UI_MODULE)

    thread = threading.Thread(target=work, name="preload-ui", daemon=True)
    thread.start()
    return thread


def run(argv: Sequence[str] | None = None) -> None:
    """Entry point of ``lifeos-app`` and ``python -m app``."""
    options = parse_options(argv)
    # Web mode even on a desktop: the same UI a browser test drives. An explicit setting wins.
    os.environ.setdefault("FLET_FORCE_WEB_SERVER", "true")
    preload_ui(options.host, options.port)
    web_root = prepare_web_root()
    print(f"{APP_TITLE} is serving on {options.url}", flush=True)
    ft.run(
        make_page_handler(options.home),
        name="",
        host=options.host,
        port=options.port,
        view=ft.AppView.WEB_BROWSER,
        assets_dir=str(web_root),
        no_cdn=True,
    )


if __name__ == "__main__":
    run()
