"""Auto-lock: close the profile after a stretch without user activity.

A coaching journal left open on a shared laptop is the most likely way someone else reads it, so the
session watches for activity (pointer movement, keys, navigation — reported through
``UnlockedProfile.active``) and locks itself when the chosen number of minutes passes without any.
The check is a small timer task per unlocked session; it reads the preference file each time, so a
change in Settings takes effect without a restart, and checks the file's seal with the unlocked
profile (``app.ui.app_prefs``): an auto-lock turned off by editing the file is not obeyed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import flet as ft

from app.ui.app_prefs import load_prefs
from engine.api import Engine
from engine.errors import LifeOSError

CHECK_EVERY_S = 5.0


def idle_seconds_left(last_activity: float, now: float, minutes: int) -> float | None:
    """Seconds before auto-lock fires; ``None`` when auto-lock is off. Pure, for the tests' sake."""
    if minutes <= 0:
        return None
    return minutes * 60 - (now - last_activity)


@dataclass(frozen=True)
class Activity:
    """The person's activity as the idle watch sees it."""

    active: Callable[[], None]
    """Record activity now (pointer, keys, navigation, typing)."""
    idle_seconds: Callable[[], float]
    """Seconds since the last activity (background work waits for a quiet moment)."""


def use_idle_lock(home: Path, engine: Engine | None, lock: Callable[[], None]) -> Activity:
    """Start the idle watch while ``engine`` (the unlocked profile) is set."""
    page = ft.context.page
    last_activity = ft.use_ref(time.monotonic())
    task = ft.use_ref(None)

    def active() -> None:
        last_activity.current = time.monotonic()

    def idle_seconds() -> float:
        return time.monotonic() - last_activity.current

    async def watch(engine: Engine) -> None:
        while True:
            await asyncio.sleep(CHECK_EVERY_S)
            try:
                minutes = (await asyncio.to_thread(load_prefs, home, engine.settings)).auto_lock_minutes
            except LifeOSError:
                return  # locked meanwhile: the watch of the next unlock takes over
            left = idle_seconds_left(last_activity.current, time.monotonic(), minutes)
            if left is not None and left <= 0:
                lock()
                return

    def start() -> None:
        stop()
        if engine is not None:
            active()
            task.current = page.run_task(watch, engine)

    def stop() -> None:
        if task.current is not None:
            task.current.cancel()
            task.current = None

    ft.use_effect(start, dependencies=[engine], cleanup=stop)
    return Activity(active, idle_seconds)
