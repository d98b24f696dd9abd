"""How views receive the unlocked Engine: injected through a component context, never imported.

Only the root component opens or closes a profile; everything below reads ``use_profile()``. A view
therefore works against whichever Engine it is given (a real one in a temp folder in tests) and
cannot keep a profile open after the user locked it.

``revision`` is the one shared "memory changed" signal: a quick capture from the header, a heartbeat
run or an archive bumps it through ``changed()``, and every view that lists memory reloads because
its effect depends on it. Views never hold each other's data, so nothing can drift.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import flet as ft

from engine.api import Engine


def _nothing() -> None:
    return None


@dataclass(frozen=True)
class UnlockedProfile:
    """What the unlocked part of the UI may use: the Engine, and the way back to the lock screen."""

    engine: Engine
    lock: Callable[[], None]
    home: Path = field(default_factory=Path)
    revision: int = 0
    """Bumped after any write that other screens show (capture, heartbeat, archive, new entity)."""
    changed: Callable[[], None] = _nothing
    """Announce a write: bumps ``revision`` so every listing reloads from the engine."""
    active: Callable[[], None] = _nothing
    """Record user activity (pointer, keyboard, navigation) for the auto-lock timer."""


ProfileContext = ft.create_context(None)


def use_profile() -> UnlockedProfile:
    """The session's unlocked profile; only components rendered inside the unlocked shell may ask."""
    profile = ft.use_context(ProfileContext)
    if not isinstance(profile, UnlockedProfile):
        raise RuntimeError("use_profile() called outside the unlocked shell")
    return profile
