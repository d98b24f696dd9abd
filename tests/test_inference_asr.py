"""Speech-to-text on the real Whisper tiny.en: a memo spoken by espeak-ng, in the formats phones make."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import AudioUnreadable, ModelCorrupt
from engine.inference.asr import WhisperTranscriber
from engine.types import Models
from testkit.speech import reencode, speak

pytestmark = pytest.mark.slow

SPOKEN = "Remember to call Sarah tomorrow morning about the marathon training plan."
KEY_WORDS = ("remember", "call", "sarah", "tomorrow", "marathon", "training")


@pytest.fixture(scope="module")
def memo_wav(tmp_path_factory) -> Path:
    return speak(tmp_path_factory.mktemp("audio") / "memo.wav", SPOKEN)


@pytest.fixture(scope="module")
def models():
    m = Models()
    yield m
    m.close()


def test_espeak_memo_transcribes_to_its_words(models, memo_wav):
    transcript = models.transcribe(memo_wav)
    words = transcript.text.lower()
    assert all(word in words for word in KEY_WORDS), transcript.text
    assert 3.0 < transcript.duration_s < 8.0
    assert transcript.language == "en" and transcript.segments
    assert transcript.real_time_factor < 1.0
    assert not models.asr.is_loaded  # speech-to-text leaves memory right after the memo


def test_compressed_formats_transcribe_too(models, memo_wav, tmp_path):
    encoded = [
        reencode(memo_wav, tmp_path / "memo.ogg", "libopus"),
        reencode(memo_wav, tmp_path / "memo.m4a", "aac"),
        reencode(memo_wav, tmp_path / "memo.mp3", "libmp3lame"),
    ]
    files = [p for p in encoded if p is not None]
    assert files, "PyAV could encode none of OGG/Opus, M4A/AAC, MP3"
    for transcript in models.asr.transcribe_batch(files):
        assert all(word in transcript.text.lower() for word in ("sarah", "marathon")), transcript.text


def test_unreadable_audio_is_a_clear_error_and_loads_no_model(models, tmp_path):
    bogus = tmp_path / "memo.m4a"
    bogus.write_bytes(b"definitely not audio" * 200)
    with pytest.raises(AudioUnreadable, match=r"cannot read audio from memo.m4a"):
        models.transcribe(bogus)
    assert not models.asr.is_loaded
    with pytest.raises(AudioUnreadable, match="not found"):
        models.transcribe(tmp_path / "missing.wav")


def test_corrupt_whisper_model_is_a_clear_error(tmp_path, memo_wav):
    folder = tmp_path / "whisper"
    folder.mkdir()
    (folder / "model.bin").write_bytes(b"\0garbage" * 1000)
    (folder / "config.json").write_text("{}")
    broken = WhisperTranscriber("broken-whisper", "test", folder)
    with pytest.raises(ModelCorrupt, match="cannot load the Whisper model 'broken-whisper'"):
        broken.transcribe(memo_wav)
