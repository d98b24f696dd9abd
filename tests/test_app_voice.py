"""Voice memos from the chat in headless Chromium: attach a file, record from the microphone.

The microphone is Chromium's fake capture device fed with a memo spoken by espeak-ng, so the whole
path is real: the browser records, flet-audio-recorder streams 16-bit PCM to the server, the app
wraps it as WAV, Whisper transcribes it on the device (in a child process) and the engine saves the
note with the audio. Attaching goes through the browser's file chooser with the same spoken memo;
a file that is not audio must give a clear message and save nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from engine.api import Engine
from testkit.browser import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    DESKTOP,
    PHONE,
    UI_TIMEOUT_MS,
    Screenshots,
    block_external_requests,
    button,
    chip,
    destination,
    open_app,
    require_chromium,
    serve_app,
    shoot_both,
    shown,
    unlock,
)
from testkit.speech import speak

pytestmark = pytest.mark.browser

PASSPHRASE = "a calm river at dawn"
SPOKEN = "Long run on Sunday with Sarah. My legs felt strong after twenty kilometres."
TRANSCRIBE_TIMEOUT_MS = 180_000


@pytest.fixture(scope="module")
def voice_page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Page, Path, Path]]:
    executable = require_chromium()
    folder = tmp_path_factory.mktemp("voice")
    wav = speak(folder / "memo.wav", SPOKEN)
    home = folder / "profile"
    with Engine.create(home, PASSPHRASE, use_embedder=False) as engine:
        engine.coaches.install("stoic")
        engine.memory.create_entity("person", "Sarah")
    microphone = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}",
    ]
    with serve_app(home, folder / "app.log") as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(executable), args=[*CHROMIUM_ARGS, *microphone])
        context = browser.new_context(viewport=PHONE, permissions=["microphone"])
        external = block_external_requests(context)
        page = context.new_page()
        page.set_default_timeout(UI_TIMEOUT_MS)
        expect.set_options(timeout=UI_TIMEOUT_MS)
        open_app(page, server.url)
        unlock(page, PASSPHRASE)
        try:
            yield page, wav, home
        finally:
            browser.close()
        assert external.urls == [], f"the page tried to reach other hosts: {external.urls}"


def test_attached_audio_file_becomes_a_note(voice_page: tuple[Page, Path, Path]) -> None:
    page, wav, _home = voice_page
    shots = Screenshots(ARTIFACTS / "test_attached_audio_file_becomes_a_note")
    destination(page, "Chat").click()
    expect(chip(page, "Stoic Mentor")).to_be_visible()

    not_audio = wav.with_name("shopping.mp3")
    not_audio.write_text("eggs, milk, bread\n")
    with page.expect_file_chooser() as chooser:
        button(page, "Attach an audio file").click()
    chooser.value.set_files(str(not_audio))
    expect(shown(page, "The voice memo was not saved")).to_be_visible(timeout=TRANSCRIBE_TIMEOUT_MS)

    with page.expect_file_chooser() as chooser:
        button(page, "Attach an audio file").click()
    chooser.value.set_files(str(wav))
    saved = shown(page, "Voice memo saved to today's notes")
    expect(saved).to_be_visible(timeout=TRANSCRIBE_TIMEOUT_MS)
    expect(shown(page, "Sarah")).to_be_visible()
    shoot_both(page, shots, "attached memo", saved)
    page.set_viewport_size(PHONE)
    button(page, "Send to the coach").first.click()
    destination(page, "Daily notes").click()
    expect(shown(page, "Voice memo · 0:0")).to_be_visible()
    expect(shown(page, "long run on Sunday with Sarah")).to_be_visible()


def test_recorded_memo_is_transcribed_on_the_device(voice_page: tuple[Page, Path, Path]) -> None:
    page, _wav, _home = voice_page
    shots = Screenshots(ARTIFACTS / "test_recorded_memo_is_transcribed_on_the_device")
    destination(page, "Chat").click()
    expect(chip(page, "Stoic Mentor")).to_be_visible()
    saved = shown(page, "Voice memo saved to today's notes")
    expect(saved).to_have_count(0)  # the attached memo's card stayed with the earlier visit
    button(page, "Record a voice memo").click()
    expect(shown(page, "Recording")).to_be_visible()
    page.wait_for_timeout(7_000)  # the spoken memo is about six seconds; the fake device loops it
    shoot_both(page, shots, "recording", button(page, "Stop and transcribe"))
    page.set_viewport_size(PHONE)
    button(page, "Stop and transcribe").click()
    expect(saved).to_be_visible(timeout=TRANSCRIBE_TIMEOUT_MS)
    expect(shown(page, "Sunday")).to_be_visible()
    page.set_viewport_size(DESKTOP)
    shots.take(page, "recorded memo desktop")
