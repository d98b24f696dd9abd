"""Voice memos from the chat: record where the platform allows it, always attach an audio file.

Recording uses flet-audio-recorder in streaming mode (raw 16-bit PCM, 16 kHz mono, Whisper's own
rate), because that is the one mode whose bytes reach Python on every platform: in a browser a
finished recording is only a ``blob:`` URL the server cannot read. The chunks are wrapped as WAV when
the coachee stops. Attaching reads the picked file's bytes through the FilePicker (``with_data``), so
it needs no upload folder. Either way the engine transcribes on the device (Whisper in a child
process) and saves the transcript as today's note with the audio kept encrypted beside it; that
takes seconds, so it runs in a worker thread behind a progress line.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import math
import time
import wave
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import flet as ft
import flet_audio_recorder as far

from app.ui.actions import run_action
from app.ui.capture_display import CaptureSummary, summarise
from app.ui.hooks import use_latest_state, use_page_service
from app.ui.labelled import icon_button
from app.ui.profile_context import use_profile
from app.ui.theme import SPACE_S

SAMPLE_RATE = 16_000
CHANNELS = 1
RECORDING = far.AudioRecorderConfiguration(
    encoder=far.AudioEncoder.PCM16BITS, channels=CHANNELS, sample_rate=SAMPLE_RATE
)
MAX_RECORDING_S = 10 * 60
"""Long enough for a walk-and-talk memo; bounded so a forgotten recorder cannot fill memory."""
MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024
AUDIO_EXTENSIONS = ["wav", "mp3", "m4a", "ogg", "oga", "opus", "webm", "flac", "aac", "mp4"]
LAST_CHUNK_WAIT_S = 1.0
MIN_STREAM_S = 0.8
MONO_RATES = (8_000, 11_025, 16_000, 22_050, 24_000, 32_000, 44_100, 48_000, 88_200, 96_000)
"""Chunks still on the wire when recording stops arrive within this time."""


@dataclass(frozen=True)
class MemoOutcome:
    """A saved voice memo, in display values: the note, what was heard and what memory found."""

    note_id: str
    name: str
    transcript: str
    seconds: float
    summary: CaptureSummary


def wav_bytes(pcm: bytes, rate: int = SAMPLE_RATE, channels: int = CHANNELS) -> bytes:
    """Little-endian 16-bit PCM as a WAV file (an odd trailing byte is dropped)."""
    frame = 2 * channels
    pcm = pcm[: len(pcm) - len(pcm) % frame]
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)
    return out.getvalue()


def memo_name(moment: datetime) -> str:
    return f"Voice memo {moment:%Y-%m-%d %H.%M.%S}.wav"


@dataclass(frozen=True)
class VoiceState:
    recording: bool = False
    started: float = 0.0
    elapsed: int = 0
    busy: str | None = None  # what the worker is doing, shown beside a progress bar
    problem: str | None = None


def guess_rate(byte_count: int, seconds: float) -> int | None:
    """The sample rate of a 16-bit stream from how fast its bytes came, snapped to a standard rate.

    Browsers record at the audio device's own rate and channel count whatever was asked (Chromium
    streams 44.1 or 48 kHz stereo), and the stream carries no header. Interleaved stereo read as
    mono at twice the rate is the same sound when both channels carry the one microphone, so one
    mono rate is all Whisper (which resamples to 16 kHz) needs.
    """
    if seconds < MIN_STREAM_S or byte_count <= 0:
        return None
    per_second = byte_count / 2 / seconds
    return min(MONO_RATES, key=lambda rate: abs(math.log(rate / per_second)))


class _Collector:
    """The PCM chunks of the recording in progress (events arrive on the event loop, in order),
    with when the first and last arrived, to tell the stream's rate."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.active = False
        self.first_chunk = 0.0
        self.last_chunk = 0.0

    def start(self) -> None:
        self.chunks, self.active, self.first_chunk, self.last_chunk = [], True, 0.0, 0.0

    def take(self, event: far.AudioRecorderStreamEvent) -> None:
        if self.active and event.chunk:
            now = time.monotonic()
            if not self.chunks:
                self.first_chunk = now
            self.chunks.append(bytes(event.chunk))
            self.last_chunk = now

    def rate(self) -> int | None:
        """Bytes after the first chunk over the time they took (the first one marks the start)."""
        if len(self.chunks) < 2:
            return None
        return guess_rate(sum(map(len, self.chunks[1:])), self.last_chunk - self.first_chunk)


def use_voice_memo(
    on_saved: Callable[[MemoOutcome], Any], disabled: bool = False
) -> tuple[VoiceState, ft.Control]:
    """A hook for the chat: the voice memo state (for the status line) and the record/attach
    buttons, which become the recording timer with stop and discard while recording."""
    profile = use_profile()
    engine = profile.engine
    state, set_state, latest = use_latest_state(VoiceState())
    # The recorder is told at construction that Python listens to its stream: the client decides
    # whether to stream from the handlers it knows when recording starts.
    collector = use_page_service("voice-memo-chunks", _Collector)
    timer = ft.use_ref(None)
    picker = use_page_service("voice-memo-picker", ft.FilePicker)
    recorder = use_page_service(
        "voice-memo-recorder",
        lambda: far.AudioRecorder(
            configuration=RECORDING,
            on_stream=collector.take,
        ),
    )

    async def save(audio: bytes, name: str) -> None:
        saved = await run_action(
            lambda: engine.memory.add_voice_memo(audio, name=name),
            latest=latest,
            set_state=set_state,
            busy_value="Transcribing on this device…",
            failure="The voice memo was not saved: {}",
        )
        if saved is None:
            return
        memo = saved.value
        profile.changed()
        outcome = MemoOutcome(memo.note.id, name, memo.transcript, memo.seconds, summarise(memo.capture))
        result = on_saved(outcome)
        if asyncio.iscoroutine(result):
            await result

    async def tick() -> None:
        """Counts the seconds on screen and stops a recording that reached the limit."""
        while latest().recording:
            await asyncio.sleep(1)
            current = latest()
            if not current.recording:
                return
            seconds = int(time.monotonic() - current.started)
            set_state(lambda s, seconds=seconds: replace(s, elapsed=seconds))
            if seconds >= MAX_RECORDING_S:
                await stop(None)
                return

    async def record(_e: Any) -> None:
        if latest().recording or latest().busy:
            return
        collector.start()
        try:
            started = await recorder.start_recording(configuration=RECORDING)
        except Exception as exc:  # the platform refused: no microphone, no permission, no plugin
            started, reason = False, str(exc)
        else:
            reason = ""
        if not started:
            collector.active = False
            problem = "Recording is not available here" + (f" ({reason})" if reason else "")
            set_state(lambda s: replace(s, problem=f"{problem}. Attach an audio file instead."))
            return
        set_state(lambda s: replace(s, recording=True, started=time.monotonic(), elapsed=0, problem=None))
        timer.current = asyncio.create_task(tick())

    async def stop(_e: Any) -> None:
        if not latest().recording:
            return
        set_state(lambda s: replace(s, recording=False))
        try:
            await recorder.stop_recording()
        except Exception as exc:
            collector.active = False
            problem = f"The recording could not be stopped cleanly: {exc}"
            set_state(lambda s: replace(s, problem=problem))
            return
        deadline = time.monotonic() + LAST_CHUNK_WAIT_S
        while time.monotonic() < deadline and time.monotonic() - collector.last_chunk < 0.3:
            await asyncio.sleep(0.1)
        collector.active = False
        pcm = b"".join(collector.chunks)
        rate = collector.rate()
        collector.chunks = []
        if not pcm:
            set_state(lambda s: replace(s, problem="Nothing was recorded: is a microphone connected?"))
            return
        if rate is None:
            set_state(
                lambda s: replace(s, problem="That was too short to hear: hold on for a second or more.")
            )
            return
        await save(wav_bytes(pcm, rate), memo_name(datetime.now()))

    async def cancel(_e: Any) -> None:
        collector.active, collector.chunks = False, []
        set_state(lambda s: replace(s, recording=False))
        with contextlib.suppress(Exception):  # nothing to cancel is fine: the chunks are gone anyway
            await recorder.cancel_recording()

    async def attach(_e: Any) -> None:
        if latest().busy or latest().recording:
            return
        files = await picker.pick_files(
            dialog_title="Attach a voice memo",
            file_type=ft.FilePickerFileType.CUSTOM,
            allowed_extensions=AUDIO_EXTENSIONS,
            with_data=True,
        )
        if not files:
            return
        picked = files[0]
        if picked.size > MAX_ATTACHMENT_BYTES:
            limit = MAX_ATTACHMENT_BYTES // (1024 * 1024)
            set_state(
                lambda s: replace(s, problem=f"{picked.name} is over {limit} MB: trim it and try again.")
            )
            return
        if not picked.bytes:
            set_state(lambda s: replace(s, problem=f"{picked.name} could not be read (or is empty)."))
            return
        await save(picked.bytes, picked.name)

    busy = state.busy is not None
    if state.recording:
        minutes, seconds = divmod(state.elapsed, 60)
        controls: list[ft.Control] = [
            ft.Icon(ft.Icons.FIBER_MANUAL_RECORD, color=ft.Colors.ERROR, size=16),
            ft.Text(f"Recording {minutes}:{seconds:02d}", semantics_label="Recording a voice memo"),
            icon_button(icon=ft.Icons.STOP_CIRCLE_OUTLINED, label="Stop and transcribe", on_click=stop),
            icon_button(icon=ft.Icons.DELETE_OUTLINE, label="Discard recording", on_click=cancel),
        ]
    else:
        controls = [
            icon_button(
                icon=ft.Icons.MIC_NONE,
                label="Record a voice memo",
                disabled=disabled or busy,
                on_click=record,
            ),
            icon_button(
                icon=ft.Icons.AUDIO_FILE_OUTLINED,
                label="Attach an audio file",
                disabled=disabled or busy,
                on_click=attach,
            ),
        ]
    return state, ft.Row(spacing=0, tight=True, controls=controls)


def voice_status(state: VoiceState) -> list[ft.Control]:
    """The line under the composer while a memo is transcribed, or why it was not saved."""
    out: list[ft.Control] = []
    if state.busy:
        out.append(
            ft.Row(
                key="voice-busy",
                spacing=SPACE_S,
                controls=[
                    ft.ProgressRing(width=16, height=16, stroke_width=2, semantics_label=state.busy),
                    ft.Text(state.busy, size=12, color=ft.Colors.ON_SURFACE_VARIANT),
                ],
            )
        )
    if state.problem:
        out.append(ft.Text(state.problem, key="voice-problem", size=12, color=ft.Colors.ERROR))
    return out
