"""Auto-lock: close the profile after a stretch without user activity.

A coaching journal left open on a shared laptop is the most likely way someone else reads it, so the
session watches for activity (pointer movement, keys, navigation — reported through
``UnlockedProfile.active``) and locks itself when the chosen number of minutes passes without any.
The check is a small timer task per unlocked session; it reads the preference file each time, so a
change in Settings takes effect without a restart.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import flet as ft

from app.ui.app_prefs import load_prefs

CHECK_EVERY_S = 5.0


def idle_seconds_left(last_activity: float, now: float, minutes: int) -> float | None:
    """Seconds before auto-lock fires; ``None`` when auto-lock is off. Pure, for the tests' sake."""
    if minutes <= 0:
        return None
    return minutes * 60 - (now - last_activity)


def use_idle_lock(home: Path, unlocked: bool, lock: Callable[[], None]) -> Callable[[], None]:
    """Start the idle watch while ``unlocked``; returns the ``active()`` callback that resets it."""
    page = ft.context.page
    last_activity = ft.use_ref(time.monotonic())
    task = ft.use_ref(None)

    def active() -> None:
        last_activity.current = time.monotonic()

    async def watch() -> None:
        while True:
            await asyncio.sleep(CHECK_EVERY_S)
            minutes = (await asyncio.to_thread(load_prefs, home)).auto_lock_minutes
            left = idle_seconds_left(last_activity.current, time.monotonic(), minutes)
            if left is not None and left <= 0:
                lock()
                return

    def start() -> None:
        stop()
        if unlocked:
            active()
            task.current = page.run_task(watch)

    def stop() -> None:
        if task.current is not None:
            task.current.cancel()
            task.current = None

    ft.use_effect(start, dependencies=[unlocked], cleanup=stop)
    return active
