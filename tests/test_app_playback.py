"""Voice memos played back, in the day view and in the chat, in headless Chromium.

The memo is spoken by espeak-ng and saved through the Engine (its audio kept encrypted in the
profile). Play opens the player window on a loopback link; the test reads that window's media
element until the browser has really played the recording (time moving, the memo's length known),
checks the bytes served are the memo's own, that the link dies once another memo is asked for, and
that no decrypted copy of the audio lands on disk.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from engine.api import Engine
from testkit.browser import (
    ARTIFACTS,
    DESKTOP,
    PHONE,
    Screenshots,
    button,
    chip,
    destination,
    shown,
)
from testkit.fresh_page import fresh_page
from testkit.speech import speak

pytestmark = pytest.mark.browser

PASSPHRASE = "a quiet harbour at noon"
SPOKEN = "Easy run by the canal. Knee felt fine."
PLAY = "Play the voice memo"
AUDIO_SUFFIXES = {".wav", ".mp3", ".ogg", ".webm", ".m4a", ".flac"}
ENDS_WITHIN_MS = 30_000
TRANSCRIBE_TIMEOUT_MS = 180_000


@pytest.fixture(scope="module")
def memo_profile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A profile holding one voice memo (made once: transcription is the slow part), and its audio."""
    folder = tmp_path_factory.mktemp("playback")
    wav = speak(folder / "memo.wav", SPOKEN)
    home = folder / "profile"
    with Engine.create(home, PASSPHRASE, use_embedder=False) as engine:
        engine.coaches.install("stoic")
        engine.memory.add_voice_memo(wav, name="canal.wav")
    return home, wav


def audio_files(*folders: Path) -> list[Path]:
    """Audio files under ``folders``. ``os.walk``, not ``rglob``: the system's temporary folder is
    shared with other programs, and a file they delete mid-walk must not fail the test."""
    return [
        Path(root, name)
        for folder in folders
        for root, _dirs, names in os.walk(folder)
        for name in names
        if Path(name).suffix.lower() in AUDIO_SUFFIXES
    ]


def plays(page: Page, memo: bytes) -> str:
    """Press Play; the player window opens on a loopback link and plays the memo. The link."""
    with page.context.expect_page() as opened:
        button(page, PLAY).first.click()
    player = opened.value
    link = player.url
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/voice-memo/[A-Za-z0-9_-]{40,}", link), link
    player.wait_for_function(
        "() => { const m = document.querySelector('video, audio');"
        " return m && m.duration > 1 && (m.currentTime > 0.3 || m.ended); }",
        timeout=ENDS_WITHIN_MS,
    )
    expect(shown(page, "Playing in the player window")).to_be_visible()
    served = page.request.get(link)  # the player fetched it already: the link has few uses left
    assert served.status in (200, 404)
    if served.status == 200:
        assert served.body() == memo
    player.close()
    return link


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_voice_memo_plays_in_the_day_view(
    tmp_path: Path, memo_profile: tuple[Path, Path], request: pytest.FixtureRequest, viewport: dict[str, int]
) -> None:
    home = tmp_path / "profile"
    shutil.copytree(memo_profile[0], home)
    shots = Screenshots(ARTIFACTS / request.node.name)
    temp_before = set(audio_files(Path(tempfile.gettempdir())))
    with fresh_page(home, PASSPHRASE, viewport) as fresh:
        page = fresh.page
        destination(page, "Daily notes").click()
        button(page, "Today").first.click()
        expect(shown(page, "Voice memo")).to_be_visible()
        expect(shown(page, "Voice memo · 0:0")).to_be_visible()
        shots.take(page, "day with a memo")

        first = plays(page, memo_profile[1].read_bytes())
        shots.take(page, "played")
        second = plays(page, memo_profile[1].read_bytes())
        assert second != first
        assert page.request.get(first).status == 404  # a new link drops the old one
    assert audio_files(home) == []
    assert set(audio_files(Path(tempfile.gettempdir()))) <= temp_before


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_voice_memo_plays_in_the_chat(
    tmp_path: Path, memo_profile: tuple[Path, Path], request: pytest.FixtureRequest, viewport: dict[str, int]
) -> None:
    home = tmp_path / "profile"
    shutil.copytree(memo_profile[0], home)
    wav = memo_profile[1]
    shots = Screenshots(ARTIFACTS / request.node.name)
    with fresh_page(home, PASSPHRASE, viewport) as fresh:
        page = fresh.page
        destination(page, "Chat").click()
        expect(chip(page, "Stoic Mentor")).to_be_visible()
        with page.expect_file_chooser() as chooser:
            button(page, "Attach an audio file").click()
        chooser.value.set_files(str(wav))
        expect(shown(page, "Voice memo saved to today's notes")).to_be_visible(timeout=TRANSCRIBE_TIMEOUT_MS)
        shots.take(page, "memo in the chat")
        plays(page, wav.read_bytes())
    assert audio_files(home) == []
