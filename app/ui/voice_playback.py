"""Playing a voice memo back, in the day view and in the chat.

A memo's original audio is kept encrypted in the profile (``Engine.memory.note_audio``). Play asks
the engine for it, gives it a short-lived loopback link served from memory (``memo_links``: why not
flet-audio is said there) and has the browser open that link in a tab of its own (the player window), where the
browser's player plays it at once. Nothing is written to disk, nothing leaves the machine.

One link at a time per app: playing another memo drops the previous link. A screen asks
``use_voice_player`` for the click handler of a memo's Play button and for a line to show (which
memo was opened, or what went wrong).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import flet as ft

from app.ui.hooks import use_page_service
from app.ui.labelled import icon_button
from app.ui.memo_links import LINKS
from app.ui.profile_context import use_profile
from engine.errors import LifeOSError

PLAYER_WINDOW = "lifeos-voice-memo"
"""The browser window memos open in: a second Play reuses it instead of opening another."""


@dataclass(frozen=True)
class Playback:
    opened: str | None  # the note whose memo was last opened in the player window
    problem: str | None
    play: Callable[[str], Callable[[Any], Any]]  # note id -> click handler


def use_voice_player() -> Playback:
    profile = use_profile()
    engine = profile.engine
    launcher = use_page_service("url-launcher", ft.UrlLauncher)
    opened, set_opened = ft.use_state(None)
    problem, set_problem = ft.use_state(None)

    def play(note_id: str) -> Callable[[Any], Any]:
        async def handler(_e: Any) -> None:
            set_problem(None)
            try:
                attachment = await asyncio.to_thread(engine.memory.note_audio, note_id)
            except LifeOSError as exc:
                set_problem(f"The recording could not be read: {exc}")
                return
            if attachment is None:
                set_problem("No recording was kept with this memo, only its words.")
                return
            url = LINKS.link(attachment.data, attachment.mime)
            await launcher.launch_url(url, web_only_window_name=PLAYER_WINDOW)
            set_opened(note_id)

        return handler

    return Playback(opened, problem, play)


def play_button(note_id: str, playback: Playback) -> ft.Control:
    return icon_button(ft.Icons.PLAY_CIRCLE_OUTLINE, "Play the voice memo", playback.play(note_id))


def playing_line(playback: Playback) -> str | None:
    """Where the memo just opened is playing (shown as a confirmation under the screen)."""
    if playback.opened and not playback.problem:
        return "Playing in the player window (close it like any other window)."
    return None
