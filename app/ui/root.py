"""The root component: locked or unlocked, and the one Engine a browser session works with.

The session's application state is the unlocked ``Engine`` (or ``None`` while locked), whether the
profile was just created (onboarding comes first), and the memory ``revision`` that tells every view
to reload after a write. Views below receive them through ``ProfileContext``.

Flet keeps a web session alive on the server for an hour after its tab disconnects, and a reloaded
tab reconnects to it. A profile must not stay unlocked without anyone looking at it, so losing the
connection locks: the Engine is closed at once (its key leaves memory), and a tab that reconnects
is re-rendered and finds the unlock screen. Inactivity locks too (``app.ui.idle_lock``).
"""

from __future__ import annotations

from pathlib import Path

import flet as ft

from app.ui.hooks import use_latest_state
from app.ui.idle_lock import use_idle_lock
from app.ui.onboarding_view import OnboardingView
from app.ui.profile_context import ProfileContext, UnlockedProfile
from app.ui.routes import AppRouter
from app.ui.unlock_view import UnlockView
from app.ui.upkeep import use_background_upkeep
from engine.api import Engine


@ft.component
def App(home: Path) -> ft.Control:
    """Show the unlock screen until the profile at ``home`` is open, then onboarding or the shell."""
    engine, set_engine, latest_engine = use_latest_state(None)
    onboarding, set_onboarding = ft.use_state(False)
    revision, set_revision = ft.use_state(0)
    _, set_reconnects = ft.use_state(0)
    page = ft.context.page

    def lock() -> None:
        # Closing releases the database connection and with it the key held in SQLCipher's memory.
        current: Engine | None = latest_engine()
        if current is not None:
            current.close()
        set_engine(None)
        set_onboarding(False)

    def unlocked(opened: Engine, is_new: bool) -> None:
        set_onboarding(is_new)
        set_engine(opened)

    def lock_when_disconnected() -> None:
        page.on_disconnect = lambda _e: lock()
        page.on_close = lambda _e: lock()
        # Updates are dropped while no client is connected; re-render for the tab that came back.
        page.on_connect = lambda _e: set_reconnects(lambda n: n + 1)

    ft.use_effect(lock_when_disconnected, dependencies=[])
    activity = use_idle_lock(home, engine, lock)
    use_background_upkeep(engine, lambda: set_revision(lambda n: n + 1), activity.idle_seconds)

    if engine is None:
        return UnlockView(home=home, on_unlocked=unlocked)
    profile = UnlockedProfile(
        engine=engine,
        lock=lock,
        home=home,
        revision=revision,
        changed=lambda: set_revision(lambda n: n + 1),
        active=activity.active,
    )
    if onboarding:
        return ProfileContext(profile, lambda: OnboardingView(on_done=lambda: set_onboarding(False)))
    return ProfileContext(profile, AppRouter)
