"""Voice memos: audio in → checked → transcribed on the device → a note, remembered, audio kept.

The coachee talks instead of typing; the memo must then become exactly what a typed capture would
(a note on today's timeline, its people, projects, dates and facts remembered), and the recording
itself must not be lost, since a transcript can mishear. So the original audio is kept as an
attachment in the encrypted database, beside the note.

Every check that can refuse a memo runs before anything is written: the file's presence, size and
name here in the app process, its duration and decodability in a short-lived child process (PyAV,
like Whisper itself, stays out of the app, whose memory must not grow per memo), and "was anything
said at all" on the transcript. Functions that write take the open connection and run inside the
caller's transaction.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from engine.clock import iso_utc
from engine.errors import DataError, UsageError
from engine.memory.capture import CaptureResult
from engine.memory.notes import Note
from engine.store.connection import Connection

MAX_AUDIO_BYTES = 50 * 1024 * 1024
"""About 25 minutes of 16 kHz WAV, hours of compressed speech: more than any memo needs."""
MAX_SECONDS = 15 * 60
"""A memo, not a meeting: Whisper tiny takes about a minute for this on two cores."""
NAME_CHARS = 120
MEMO_TITLE = "Voice memo"
NOTE_KIND = "capture"
"""A spoken capture: learned from at once (so the heartbeat's daily-note pass skips it), on the
day's timeline like every note."""
NOTE_SOURCE = "voice"

AUDIO_TYPES: dict[str, str] = {
    ".wav": "audio/wav",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".mp4": "audio/mp4",
    ".aac": "audio/aac",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
    ".webm": "audio/webm",
    ".flac": "audio/flac",
}
GENERIC_MIME = "application/octet-stream"
PROBE_TIMEOUT_S = 120
"""Decoding 15 minutes of the densest audio takes seconds; past this, the decoder is stuck."""

_TAGS = re.compile(r"\[[^\]]*\]|\([^)]*\)|\*[^*]*\*")  # Whisper's "[BLANK_AUDIO]", "(music)", "*sigh*"
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")


@dataclass(frozen=True)
class AudioInput:
    """A memo's audio, read and checked, before anything is transcribed or written."""

    name: str
    mime: str
    data: bytes
    path: Path | None = None  # where it already is on disk (None for bytes from the UI recorder)


@dataclass(frozen=True)
class Attachment:
    """A file kept with a note (a voice memo's original audio), as stored."""

    id: str
    note_id: str
    name: str
    mime: str
    size: int
    sha256: str
    data: bytes = field(repr=False)
    created_at: str = ""


@dataclass(frozen=True)
class VoiceMemo:
    """A saved voice memo: its note, what was heard, and what memory made of it."""

    note: Note
    transcript: str
    seconds: float  # duration of the audio
    capture: CaptureResult  # entities, PARA place and facts, as for a typed capture
    attachment_id: str
    language: str = "en"
    timings_ms: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Probe:
    """What the child process found in the file: its duration, or why it cannot be used."""

    seconds: float
    error: str | None = None
    too_long: bool = False


# -- checking the input ----------------------------------------------------------------------------


def clean_name(name: str) -> str:
    """A file name fit to store and show: no folders, no control characters, not absurdly long."""
    base = _UNSAFE.sub("", Path(name.replace("\\", "/")).name).strip()
    if not base.strip("."):
        return ""  # "." and ".." name folders, not files
    if len(base) > NAME_CHARS:
        suffix = Path(base).suffix[:16]
        base = base[: NAME_CHARS - len(suffix)].rstrip() + suffix
    return base


def mime_of(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix in AUDIO_TYPES:
        return AUDIO_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(name)
    return guessed if guessed and guessed.split("/")[0] in ("audio", "video") else GENERIC_MIME


def any_mime_of(name: str) -> str:
    """The mime type of any attached file (an image embedded in an imported note), by its name."""
    guessed, _ = mimetypes.guess_type(name)
    return AUDIO_TYPES.get(Path(name).suffix.lower()) or guessed or GENERIC_MIME


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB"


def read_input(audio: Path | str | bytes, name: str | None = None) -> AudioInput:
    """The memo's bytes and a name for them, or a `UsageError` saying what is wrong with the input.

    Bytes (from the UI's recorder or file picker) need a name, which carries the format. A file
    given by path keeps its own name unless `name` is given.
    """
    if isinstance(audio, bytes | bytearray | memoryview):
        if not name or not clean_name(name):
            raise UsageError("a voice memo given as bytes needs a file name, such as memo.wav")
        label = clean_name(name)
        data = bytes(audio)
        path = None
    else:
        path = Path(audio).expanduser()
        if not path.is_file():
            raise UsageError(f"no audio file at {path}" if not path.exists() else f"{path} is not a file")
        label = clean_name(name) if name and clean_name(name) else clean_name(path.name)
        size = path.stat().st_size
        if size > MAX_AUDIO_BYTES:
            raise UsageError(f"{label} is {_mb(size)}; a voice memo is limited to {_mb(MAX_AUDIO_BYTES)}")
        data = path.read_bytes()
    if not data:
        raise UsageError(f"{label} is empty: there is nothing to transcribe")
    if len(data) > MAX_AUDIO_BYTES:
        raise UsageError(f"{label} is {_mb(len(data))}; a voice memo is limited to {_mb(MAX_AUDIO_BYTES)}")
    return AudioInput(label or "memo", mime_of(label), data, path)


@contextmanager
def on_disk(audio: AudioInput) -> Iterator[Path]:
    """A path to the audio for the decoders, which read files.

    Bytes go to a private temporary folder (mode 0700, named for the memo so errors read well) that
    is removed as soon as the memo is transcribed; the lasting copy is the encrypted one.
    """
    if audio.path is not None:
        yield audio.path
        return
    with tempfile.TemporaryDirectory(prefix="lifeos-memo-") as folder:
        path = Path(folder) / audio.name
        path.write_bytes(audio.data)
        yield path


def clock_text(seconds: float) -> str:
    """0:05, 2:30, 1:02:03: how a memo's length reads in a title."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def check_duration(path: Path, max_seconds: float = MAX_SECONDS) -> float:
    """The audio's duration in seconds; raises `AudioUnreadable` when it is not audio and
    `UsageError` when it is longer than `max_seconds`.

    A plain WAV is measured from its header. Anything else is decoded in a child process (not read
    from the container's header, which browser WebM recordings leave empty), stopping as soon as the
    limit is passed, so a three-hour file costs seconds and no transcription at all.
    """
    from engine.errors import AudioUnreadable

    seconds = wav_seconds(path)
    probe = (
        Probe(seconds, too_long=seconds > max_seconds)
        if seconds is not None
        else probe_isolated(path, max_seconds)
    )
    if probe.error is not None:
        raise AudioUnreadable(f"cannot read audio from {path.name}: {probe.error}")
    if probe.too_long:
        raise UsageError(
            f"{path.name} is longer than {clock_text(max_seconds)}, the limit for a voice memo; "
            "split it or shorten it"
        )
    if probe.seconds <= 0:
        raise AudioUnreadable(f"{path.name} contains no audio samples")
    return probe.seconds


def wav_seconds(path: Path) -> float | None:
    """The length of a plain PCM WAV (what the app's recorder makes) from its header, with no
    decoder and no child process; None when the standard library cannot vouch for the file, and
    the child decodes it instead."""
    import wave

    try:
        with wave.open(str(path), "rb") as wav:
            frames, rate = wav.getnframes(), wav.getframerate()
            frame_bytes = wav.getsampwidth() * wav.getnchannels()
    except Exception:  # wave.Error, EOFError, struct.error…: not a WAV it knows; the decoder decides
        return None
    if frames <= 0 or rate <= 0 or frames * frame_bytes > path.stat().st_size:
        return None  # empty, or a header promising more than the file holds (a recording cut short)
    return frames / rate


def probe_isolated(path: Path, max_seconds: float) -> Probe:
    """`probe_here` in a short-lived child process, with a deadline.

    A bare process and a pipe rather than a pool: if FFmpeg crashes on a hostile file, or hangs, the
    memo is refused instead of the app waiting forever for a worker that is gone.
    """
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_probe_child, args=(sender, str(path), float(max_seconds)), daemon=True)
    child.start()
    sender.close()
    try:
        if not receiver.poll(PROBE_TIMEOUT_S):
            return Probe(0.0, f"decoding took longer than {PROBE_TIMEOUT_S} s")
        probe: Probe = receiver.recv()
        return probe
    except EOFError:  # the child died before it could answer
        child.join(timeout=5)
        return Probe(0.0, f"the decoder stopped (exit code {child.exitcode}) on this file")
    finally:
        receiver.close()
        child.join(timeout=5)
        if child.is_alive():
            child.kill()
            child.join()


def _probe_child(sender: Any, path: str, max_seconds: float) -> None:
    try:
        sender.send(probe_here(path, max_seconds))
    finally:
        sender.close()


def probe_here(path: str, max_seconds: float) -> Probe:
    """Runs in the child: decode every audio frame, counting seconds, until the end or the limit.

    Returns errors as text: PyAV's exceptions do not all survive the trip back to the parent.
    """
    try:
        import av

        seconds = 0.0
        with av.open(path, metadata_errors="ignore") as container:
            if not container.streams.audio:
                return Probe(0.0, "it has no audio track (expected WAV, MP3, M4A, OGG or WebM)")
            stream = container.streams.audio[0]
            for frame in container.decode(stream):
                if frame.sample_rate:
                    seconds += frame.samples / frame.sample_rate
                if seconds > max_seconds:
                    return Probe(seconds, too_long=True)
        return Probe(seconds)
    except Exception as exc:  # PyAV raises InvalidDataError, DecoderNotFound, IndexError, …
        reason = str(exc).strip() or type(exc).__name__
        return Probe(0.0, f"{reason[:200]} (expected WAV, MP3, M4A, OGG or WebM)")


def heard(text: str, name: str, seconds: float) -> str:
    """The transcript when something was said; `DataError` when the memo holds no speech.

    Whisper writes nothing for silence, or a bracketed tag such as "[BLANK_AUDIO]" or "(music)":
    neither is worth a note, and an empty note would be refused anyway.
    """
    text = " ".join(text.split())
    if not re.search(r"\w", _TAGS.sub(" ", text)):
        raise DataError(f"no speech was heard in {name} ({clock_text(seconds)} of audio); nothing was saved")
    return text


def title_for(seconds: float) -> str:
    return f"{MEMO_TITLE} · {clock_text(seconds)}"


# -- storing the audio -----------------------------------------------------------------------------

_COLUMNS = "id, note_id, name, mime, size, sha256, bytes, created_at"


def insert_attachment(
    conn: Connection, attachment_id: str, note_id: str, audio: AudioInput, *, now: datetime, device_id: str
) -> Attachment:
    """Keep the audio with its note, in the caller's transaction, and record it for sync."""
    row = Attachment(
        attachment_id,
        note_id,
        audio.name,
        audio.mime,
        len(audio.data),
        hashlib.sha256(audio.data).hexdigest(),
        audio.data,
        iso_utc(now),
    )
    conn.execute(
        f"INSERT INTO attachments ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (row.id, row.note_id, row.name, row.mime, row.size, row.sha256, row.data, row.created_at),
    )
    return row


def attachments_of(conn: Connection, note_id: str) -> list[Attachment]:
    """A note's attachments, oldest first."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM attachments WHERE note_id = ? ORDER BY seq", (note_id,)
    ).fetchall()
    return [
        Attachment(str(r[0]), str(r[1]), str(r[2]), str(r[3]), int(r[4]), str(r[5]), bytes(r[6]), str(r[7]))
        for r in rows
    ]


def audio_of(conn: Connection, note_id: str) -> Attachment | None:
    """The note's recording (its first audio attachment), or None for a typed note."""
    for attachment in attachments_of(conn, note_id):
        if (
            attachment.mime.startswith(("audio/", "video/"))
            or Path(attachment.name).suffix.lower() in AUDIO_TYPES
        ):
            return attachment
    return None
