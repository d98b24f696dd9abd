"""The root component: locked or unlocked, and the one Engine a browser session works with.

The session's only application state is the unlocked ``Engine`` (or ``None`` while locked). Views
below receive it through ``ProfileContext`` (see ``app.ui.profile_context``).

Flet keeps a web session alive on the server for an hour after its tab disconnects, and a reloaded
tab reconnects to it. A profile must not stay unlocked without anyone looking at it, so losing the
connection locks: the Engine is closed at once (its key leaves memory), and a tab that reconnects
is re-rendered and finds the unlock screen.
"""

from __future__ import annotations

from pathlib import Path

import flet as ft

from app.ui.hooks import use_latest_state
from app.ui.profile_context import ProfileContext, UnlockedProfile
from app.ui.routes import AppRouter
from app.ui.unlock_view import UnlockView
from engine.api import Engine


@ft.component
def App(home: Path) -> ft.Control:
    """Show the unlock screen until the profile at ``home`` is open, then the navigation shell."""
    engine, set_engine, latest_engine = use_latest_state(None)
    _, set_reconnects = ft.use_state(0)
    page = ft.context.page

    def lock() -> None:
        # Closing releases the database connection and with it the key held in SQLCipher's memory.
        current: Engine | None = latest_engine()
        if current is not None:
            current.close()
        set_engine(None)

    def lock_when_disconnected() -> None:
        page.on_disconnect = lambda _e: lock()
        page.on_close = lambda _e: lock()
        # Updates are dropped while no client is connected; re-render for the tab that came back.
        page.on_connect = lambda _e: set_reconnects(lambda n: n + 1)

    ft.use_effect(lock_when_disconnected, dependencies=[])

    if engine is None:
        return UnlockView(home=home, on_unlocked=set_engine)
    return ProfileContext(UnlockedProfile(engine=engine, lock=lock), AppRouter)
