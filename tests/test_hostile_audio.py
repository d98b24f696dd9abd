"""Audio with nothing to hear, or too much of it: refused in one line, nothing saved, nothing huge.

Whisper, given digital silence, writes "you"; a 60-second silent memo was saved as a note reading
"you". A three-hour file passed to `lifeos transcribe` was decoded whole (228 s, 9.8 GB). Each file is
made here with the standard library: silence, a 108-byte WAV that is all header, 16 minutes of noise.
"""

from __future__ import annotations

import json
import struct
import wave
from pathlib import Path

import pytest
from conftest import run_cli

pytestmark = pytest.mark.slow


def silent_wav(path: Path, seconds: int) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16_000)
        wav.writeframes(b"\0\0" * 16_000 * seconds)
    return path


def header_only_wav(path: Path) -> Path:
    fmt = struct.pack("<IHHIIHH", 16, 1, 1, 16_000, 32_000, 2, 16)
    path.write_bytes(
        b"RIFF" + struct.pack("<I", 100) + b"WAVEfmt " + fmt + b"data" + struct.pack("<I", 64) + b"\0" * 64
    )
    assert path.stat().st_size == 108
    return path


def noise_wav(path: Path, minutes: int) -> Path:
    second = bytes((128 + (i * 7919) % 17 - 8) for i in range(8_000))  # quiet 8-bit noise
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(1)
        wav.setframerate(8_000)
        wav.writeframes(second * 60 * minutes)
    return path


@pytest.fixture(scope="module")
def profile(tmp_path_factory: pytest.TempPathFactory) -> str:
    home = str(tmp_path_factory.mktemp("audio") / "p")
    assert run_cli("--home", home, "init").returncode == 0
    return home


@pytest.mark.parametrize(
    "make", [lambda p: silent_wav(p, 60), header_only_wav], ids=["silence", "header-only"]
)
def test_a_memo_without_speech_is_refused_and_nothing_is_saved(profile: str, tmp_path: Path, make) -> None:
    audio = make(tmp_path / "memo.wav")
    for command in ("memo", "transcribe"):
        result = run_cli("--home", profile, command, str(audio))
        assert result.returncode == 4, (command, result.stdout, result.stderr)
        assert "no speech was heard" in result.stderr and result.stdout.strip() == ""
    notes = json.loads(run_cli("--home", profile, "note", "list", "--json").stdout)
    assert notes == []


def test_transcribe_refuses_audio_past_the_limit_without_decoding_it_all(
    profile: str, tmp_path: Path
) -> None:
    audio = noise_wav(tmp_path / "long.wav", minutes=16)
    for command in ("transcribe", "memo"):
        result = run_cli("--home", profile, command, str(audio))
        assert result.returncode == 2, (command, result.stderr)
        assert "longer than" in result.stderr and "unexpected" not in result.stderr


def test_a_successful_memo_prints_no_warnings(profile: str, tmp_path: Path) -> None:
    """A memo used to end with the resource tracker's "leaked semaphore objects" warning."""
    from testkit.speech import speak

    audio = speak(tmp_path / "said.wav", "I ran ten kilometres along the river this morning.")
    result = run_cli("--home", profile, "memo", str(audio))
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr
