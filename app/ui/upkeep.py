"""Work the app does on its own while a profile is open: the heartbeat, and sync.

Nothing is installed unasked: a new profile starts without coaches, and onboarding leads the
coachee to the gallery card of one they chose ("Try it free" or "Install"; the demo packs are
bundled, so either is offline and quick). Installing them silently on the first start hid that
choice, and three coaches the person never picked then checked in at once.

While the app is open the heartbeat runs here (as DESIGN.md §6 asks): a check every few minutes,
which is silent unless a role has work; its locks keep it from clashing with a heartbeat the OS
scheduler starts. Each check also syncs, when sync is set up. Both run off the UI thread and report
through `changed()` only when something new is there to show.

The heartbeat waits for a quiet moment (``QUIET_BEFORE_HEARTBEAT_S`` without a key press, click or
pointer movement). Its first run of a session loads models and takes a second or two of both cores;
started while someone is chatting, it used to land in the middle of a reply and more than double
the wait for it. Check-ins are not urgent; a reply the person is waiting for is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import flet as ft

from engine.api import Engine
from engine.errors import LifeOSError

HEARTBEAT_EVERY_S = 5 * 60
FIRST_HEARTBEAT_AFTER_S = 20
QUIET_BEFORE_HEARTBEAT_S = 10.0
QUIET_CHECK_S = 2.0


def use_background_upkeep(
    engine: Engine | None, changed: Callable[[], None], idle_seconds: Callable[[], float]
) -> None:
    """Start the upkeep task for an unlocked profile; it stops when the profile locks.
    ``idle_seconds`` tells how long the person has done nothing (see ``app.ui.idle_lock``)."""
    page = ft.context.page
    task = ft.use_ref(None)

    async def upkeep(current: Engine) -> None:
        await asyncio.sleep(FIRST_HEARTBEAT_AFTER_S)
        while current.is_open:
            while idle_seconds() < QUIET_BEFORE_HEARTBEAT_S:
                await asyncio.sleep(QUIET_CHECK_S)
            try:
                report = await asyncio.to_thread(current.heartbeat.run)
            except LifeOSError:
                report = None  # a locked or busy profile: try again next time
            if report is not None and report.delivered:
                changed()
            try:  # end-to-end-encrypted sync, when set up (a failure is shown in Settings → Sync)
                synced = await asyncio.to_thread(current.sync.background)
            except LifeOSError:
                synced = None
            if synced is not None and synced.applied:
                changed()
            await asyncio.sleep(HEARTBEAT_EVERY_S)

    def start() -> None:
        stop()
        if engine is not None:
            task.current = page.run_task(upkeep, engine)

    def stop() -> None:
        if task.current is not None:
            task.current.cancel()
            task.current = None

    ft.use_effect(start, dependencies=[engine], cleanup=stop)
