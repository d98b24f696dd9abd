"""The chat's `@`/`#` autocomplete and the recorded-memo WAV wrapper, without a browser.

The completion must produce exactly the markup the engine resolves to the existing entity, so the
last test runs the completed text through a real capture and checks nothing new was created.
"""

from __future__ import annotations

import io
import wave
from datetime import datetime
from pathlib import Path

from app.ui.mentions import OpenMention, complete, open_mention, suggest, token_for
from app.ui.voice_memo import guess_rate, memo_name, wav_bytes
from engine.api import Engine

ENTITIES = (
    ("p1", "Sarah", "person"),
    ("p2", "Sam Okafor", "person"),
    ("p3", "Anna Sarasin", "person"),
    ("j1", "Marathon 2026", "project"),
    ("j2", "Move flat", "project"),
    ("a1", "Health", "area"),
)


def test_open_mention_only_at_the_end_and_not_in_addresses() -> None:
    assert open_mention("Long run with @Sa") == OpenMention("@", "Sa", 14)
    assert open_mention("Plan #mar") == OpenMention("#", "mar", 5)
    assert open_mention("@") == OpenMention("@", "", 0)
    assert open_mention("(#mara") == OpenMention("#", "mara", 1)
    assert open_mention("mail me at anna@example.org") is None
    assert open_mention("with @Sarah and") is None
    assert open_mention("issue#4") is None
    assert open_mention("") is None


def test_suggestions_by_type_prefix_first_then_later_words() -> None:
    people = suggest(ENTITIES, OpenMention("@", "sa", 0))
    assert [s.name for s in people] == ["Sarah", "Sam Okafor", "Anna Sarasin"]
    assert all(s.type == "person" for s in people)
    projects = suggest(ENTITIES, OpenMention("#", "m", 0))
    assert [s.token for s in projects] == ["#marathon-2026", "#move-flat"]
    assert [s.token for s in suggest(ENTITIES, OpenMention("#", "hea", 0))] == ["#area/health"]
    assert suggest(ENTITIES, OpenMention("@", "zz", 0)) == []
    assert len(suggest(ENTITIES * 5, OpenMention("@", "", 0), limit=4)) == 4


def test_tokens_and_completion() -> None:
    assert token_for("Sam Okafor", "person") == "@Sam-Okafor"
    assert token_for("Marathon 2026", "project") == "#marathon-2026"
    draft = "Long run with @sa"
    mention = open_mention(draft)
    assert mention is not None
    pick = suggest(ENTITIES, mention)[0]
    assert complete(draft, mention, pick) == "Long run with @Sarah "


def test_completed_mentions_link_to_the_existing_entities(tmp_path: Path) -> None:
    with Engine.create(tmp_path / "p", "a calm river at dawn", use_embedder=False) as engine:
        engine.memory.create_entity("project", "Marathon 2026")
        engine.memory.create_entity("person", "Sam Okafor")
        before = {e.id for e in engine.memory.list_entities()}
        entities = tuple((e.id, e.name, e.type) for e in engine.memory.list_entities())
        text = "Long run Sunday for "
        for typed in ("#mara", "@sam"):
            mention = open_mention(text + typed)
            assert mention is not None
            text = complete(text + typed, mention, suggest(entities, mention)[0]) + "and "
        result = engine.memory.capture(text)
        linked = {m.entity_id for m in result.mentions if m.entity_id}
        assert {e.id for e in engine.memory.list_entities()} == before
        assert linked == before


def test_recorded_pcm_becomes_a_wav_whisper_can_read() -> None:
    pcm = (b"\x01\x00\xff\xff" * 8000) + b"\x07"  # 16,000 samples and a stray byte
    data = wav_bytes(pcm)
    with wave.open(io.BytesIO(data)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()) == (
            1,
            2,
            16_000,
            16_000,
        )
    assert memo_name(datetime(2026, 11, 21, 14, 5, 9)) == "Voice memo 2026-11-21 14.05.09.wav"


def test_stream_rate_is_told_from_its_pace() -> None:
    """Chromium streams 48 kHz stereo whatever was asked; a native recorder the 16 kHz mono asked."""
    assert guess_rate(4 * 48_000 * 5, 5.0) == 96_000  # stereo 48 kHz, read as mono at twice the rate
    assert guess_rate(4 * 44_100 * 3, 3.1) == 88_200  # arrival jitter of a few per cent
    assert guess_rate(2 * 16_000 * 4, 3.9) == 16_000
    assert guess_rate(2 * 16_000, 0.3) is None  # too short to tell
    assert guess_rate(0, 2.0) is None
