"""How views receive the unlocked Engine: injected through a component context, never imported.

Only the root component opens or closes a profile; everything below reads ``use_profile()``. A view
therefore works against whichever Engine it is given (a real one in a temp folder in tests) and
cannot keep a profile open after the user locked it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import flet as ft

from engine.api import Engine


@dataclass(frozen=True)
class UnlockedProfile:
    """What the unlocked part of the UI may use: the Engine, and the way back to the lock screen."""

    engine: Engine
    lock: Callable[[], None]


ProfileContext = ft.create_context(None)


def use_profile() -> UnlockedProfile:
    """The session's unlocked profile; only components rendered inside the unlocked shell may ask."""
    profile = ft.use_context(ProfileContext)
    if not isinstance(profile, UnlockedProfile):
        raise RuntimeError("use_profile() called outside the unlocked shell")
    return profile
