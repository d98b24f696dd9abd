"""Voice memos on the real parts: espeak-ng speech, Whisper tiny.en in its child process, spaCy NER, a
real SQLCipher profile; and an earlier reply's cited passage opened again from its ref."""

from __future__ import annotations

import json
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.api import Engine
from engine.errors import AudioUnreadable, DataError, NotFound, UsageError
from engine.types import Models, VoiceMemo
from testkit.speech import reencode, speak
from tests.conftest import PASSPHRASE, run_cli

pytestmark = pytest.mark.slow

SPOKEN = "Long run on Sunday with Sarah for the marathon."
KEY_WORDS = ("long run", "sunday", "sarah", "marathon")


def _wav(path: Path, seconds: float, *, rate: int = 16_000, width: int = 2) -> Path:
    """Digital silence as a plain PCM WAV."""
    silent = b"\x80" if width == 1 else b"\x00" * width
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(width)
        out.setframerate(rate)
        out.writeframes(silent * int(seconds * rate))
    return path


@pytest.fixture(scope="module")
def memo_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return speak(tmp_path_factory.mktemp("audio") / "memo.wav", SPOKEN)


@pytest.fixture(scope="module")
def models() -> Iterator[Models]:
    m = Models()
    yield m
    m.close()


@pytest.fixture
def engine(home: Path, models: Models) -> Iterator[Engine]:
    with Engine.create(home, PASSPHRASE, models=models) as eng:
        eng.memory.create_entity("person", "Sarah")
        yield eng


def _written(engine: Engine) -> tuple[int, int, int]:
    """Notes, attachments and outbox rows: what a refused memo must leave as it was."""
    db = engine._session.db
    return (
        engine.notes.count(),
        db.query_one("SELECT count(*) FROM attachments")[0],
        db.query_one("SELECT count(*) FROM changes")[0],
    )


def test_spoken_memo_becomes_a_remembered_note_with_its_audio_kept(
    engine: Engine, memo_wav: Path, home: Path
) -> None:
    before = engine.notes.count()
    started = time.perf_counter()
    memo = engine.memory.add_voice_memo(memo_wav)
    took = time.perf_counter() - started
    print(f"memo of {memo.seconds:.1f} s became a note in {took:.2f} s: {memo.timings_ms}")

    assert isinstance(memo, VoiceMemo)
    text = memo.note.body.lower()
    assert all(word in text for word in KEY_WORDS), memo.note.body
    assert memo.transcript == memo.note.body and 2.0 < memo.seconds < 8.0
    assert memo.note.title == f"Voice memo · 0:0{round(memo.seconds)}"
    assert (memo.note.kind, memo.note.source) == ("capture", "voice")
    assert engine.notes.count() == before + 1
    assert [h.note.id for h in engine.notes.search("marathon")] == [memo.note.id]

    # the same memory capture as a typed capture: the person linked, the date read, a fact kept
    sarah = engine.memory.entity("Sarah")
    assert any(m.entity_id == sarah.id for m in memo.capture.mentions)
    assert memo.capture.dates and memo.capture.placement.entity_id == sarah.id
    assert memo.capture.facts and sarah.id in memo.capture.facts[0].fact.related_entities
    assert memo.capture.facts[0].fact.content.lower().startswith("long run")

    audio = engine.memory.note_audio(memo.note.id)
    assert audio is not None and audio.id == memo.attachment_id
    assert (audio.name, audio.mime, audio.size) == ("memo.wav", "audio/wav", memo_wav.stat().st_size)
    assert audio.data == memo_wav.read_bytes()
    assert engine.memory.note_audio(engine.notes.add("typed").id) is None
    with pytest.raises(NotFound):
        engine.memory.note_audio("no-such-note")

    db = engine._session.db
    recorded = db.query("SELECT table_name, row_id FROM changes WHERE table_name = 'attachments'")
    assert recorded == [("attachments", memo.attachment_id)]

    # kept in the encrypted database, not in plaintext anywhere in the profile, and still there later
    engine.close()
    sample = memo_wav.read_bytes()[4096:4160]
    profile_files = [p for p in home.rglob("*") if p.is_file()]
    assert profile_files and not any(sample in p.read_bytes() for p in profile_files)
    with Engine.open(home, PASSPHRASE) as again:
        reopened = again.memory.note_audio(memo.note.id)
        assert reopened is not None and reopened.data == memo_wav.read_bytes()


def test_memo_given_as_bytes_needs_a_name(engine: Engine, memo_wav: Path, tmp_path: Path) -> None:
    ogg = reencode(memo_wav, tmp_path / "memo.ogg", "libopus")
    assert ogg is not None, "PyAV's FFmpeg has an Opus encoder"
    data = ogg.read_bytes()  # decoded in the child, not by `wave`
    before = _written(engine)
    with pytest.raises(UsageError, match="needs a file name"):
        engine.memory.add_voice_memo(data)
    assert _written(engine) == before

    memo = engine.memory.add_voice_memo(data, name="../recordings/Voice memo 2026-03-01.ogg")
    assert all(w in memo.transcript.lower() for w in ("long run", "sunday", "sarah")), memo.transcript
    assert 2.0 < memo.seconds < 8.0
    assert memo.timings_ms["probe"] > 0 and memo.note.title.startswith("Voice memo · 0:0")
    audio = engine.memory.note_audio(memo.note.id)
    assert audio is not None and audio.data == data and audio.mime == "audio/ogg"
    assert audio.name == "Voice memo 2026-03-01.ogg"  # no folders stored from a given name


def test_bad_memos_are_refused_clearly_and_write_nothing(engine: Engine, tmp_path: Path) -> None:
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    not_audio = tmp_path / "memo.m4a"
    not_audio.write_bytes(b"definitely not audio " * 200)
    text_file = tmp_path / "notes.txt"
    text_file.write_text("Long run on Sunday with Sarah\n")
    huge = tmp_path / "huge.wav"
    with huge.open("wb") as f:  # sparse: refused by its size before a byte is read
        f.truncate(51 * 1024 * 1024)
    long_wav = _wav(tmp_path / "lecture.wav", 16 * 60, rate=8000, width=1)
    silence = _wav(tmp_path / "silence.wav", 3.0)

    before = _written(engine)
    cases: list[tuple[Path, type[Exception], str]] = [
        (tmp_path / "missing.wav", UsageError, "no audio file at"),
        (tmp_path, UsageError, "is not a file"),
        (empty, UsageError, "empty.wav is empty"),
        (huge, UsageError, "limited to 50 MB"),
        (not_audio, AudioUnreadable, "cannot read audio from memo.m4a"),
        (text_file, AudioUnreadable, "cannot read audio from notes.txt"),
        (long_wav, UsageError, "longer than 15:00"),
        (silence, DataError, "no speech was heard in silence.wav"),
    ]
    for path, error, words in cases:
        started = time.perf_counter()
        with pytest.raises(error, match=words):
            engine.memory.add_voice_memo(path)
        assert _written(engine) == before, path
        if error is not DataError:  # refused before Whisper runs
            assert time.perf_counter() - started < 3.0, path
    with pytest.raises(UsageError, match="empty"):
        engine.memory.add_voice_memo(b"", name="memo.wav")
    assert _written(engine) == before


def test_cli_memo(memo_wav: Path, tmp_path: Path) -> None:
    home = str(tmp_path / "p")
    assert run_cli("--home", home, "init").returncode == 0

    result = run_cli("--home", home, "memo", str(memo_wav), "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert all(word in out["transcript"].lower() for word in KEY_WORDS), out["transcript"]
    assert out["note"]["title"].startswith("Voice memo · 0:0") and out["seconds"] > 2
    assert out["capture"]["dates"] and out["attachment_id"]

    shown = run_cli("--home", home, "memo", str(memo_wav))
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].startswith("Saved voice memo (0:0") and "marathon" in lines[1].lower()
    assert any(line.startswith("Suggested place:") for line in lines)

    listed = json.loads(run_cli("--home", home, "note", "list", "--json").stdout)
    assert [n["source"] for n in listed] == ["voice", "voice"]

    bad = tmp_path / "memo.ogg"
    bad.write_bytes(b"not audio at all " * 100)
    for path, code, words in (
        (bad, 4, "cannot read audio from memo.ogg"),
        (tmp_path / "missing.wav", 2, "no audio file at"),
    ):
        failed = run_cli("--home", home, "memo", str(path))
        assert failed.returncode == code, failed.stderr
        assert words in failed.stderr and len(failed.stderr.strip().splitlines()) == 1
    assert len(json.loads(run_cli("--home", home, "note", "list", "--json").stdout)) == 2


def test_a_cited_passage_opens_again_from_its_ref(engine: Engine) -> None:
    engine.coaches.install("stoic")
    reply = engine.chat.send("stoic", "How do I stop being angry at people who wrong me?")
    assert reply.citations
    stored = engine.chat.conversation("stoic")[-1]
    assert stored.role == "assistant" and stored.meta["citations"] == [c.ref for c in reply.citations]

    opened = [engine.chat.passage("stoic", ref) for ref in stored.meta["citations"]]
    assert opened == reply.citations
    assert all(p.text and p.title and p.author for p in opened)

    with pytest.raises(NotFound, match="no passage 'ench-9999'"):
        engine.chat.passage("stoic", "ench-9999")
    with pytest.raises(NotFound, match="no coach 'nobody'"):
        engine.chat.passage("nobody", stored.meta["citations"][0])
