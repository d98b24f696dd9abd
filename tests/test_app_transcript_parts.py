"""Pure parts behind the first-week fixes: transcripts read as text, the message a transcript came
from, the offset that shows a found message, and dates in the locale's order."""

from __future__ import annotations

from datetime import date

from app.ui.chat_found import BUBBLE_GAP, found_index, offset_to_show
from app.ui.locale_dates import format_day, format_stamp, style_for
from app.ui.transcripts import (
    Line,
    asked_message,
    chat_path,
    coach_of,
    highlight,
    message_for,
    parse_transcript,
    plain,
)
from engine.types import ChatMessage, Note

BODY = "**You:** How do I stay calm before the race?\n\n**Stoic Mentor:** Focus on what is *yours*.\n\n_Sources: ep-5_"


def note(body: str = BODY, created: str = "2026-03-01T10:00:00.500Z", source: str = "coach:stoic") -> Note:
    return Note("n1", "Chat with Stoic Mentor", body, "chat", "2026-03-01", created, created, source)


def message(id_: str, role: str, content: str, created: str) -> ChatMessage:
    return ChatMessage(id_, role, content, created, {})


def test_a_transcript_reads_as_who_said_what() -> None:
    parsed = parse_transcript(BODY)
    assert parsed.lines == (
        Line("You", "How do I stay calm before the race?"),
        Line("Stoic Mentor", "Focus on what is *yours*."),
    )
    assert parsed.sources == "ep-5"
    assert parse_transcript("**Odd** _note_ without turns").lines == (Line("", "Odd note without turns"),)
    assert plain("**You:** a snake_case word") == "You: a snake_case word"


def test_the_message_of_a_transcript_is_the_nearest_with_the_same_words() -> None:
    asked = "How do I stay calm before the race?"
    messages = [
        message("m1", "user", asked, "2026-02-01T09:00:00.000Z"),
        message("m2", "assistant", "Breathe.", "2026-02-01T09:00:00.000Z"),
        message("m3", "user", asked, "2026-03-01T10:00:00.000Z"),
        message("m4", "user", "Something else", "2026-03-01T10:00:00.400Z"),
    ]
    assert message_for(note(), messages) == "m3"
    assert message_for(note(), messages[:2]) == "m1"
    assert message_for(note(), [messages[3]]) is None
    assert message_for(note(body="no turn here"), messages) is None


def test_routes_to_a_message_and_back() -> None:
    path = chat_path("stoic", "01a2-b3")
    assert path == "/chat/stoic?message=01a2-b3"
    assert asked_message(path) == "01a2-b3"
    assert asked_message("/chat/stoic") is None
    assert coach_of(note()) == "stoic"
    assert coach_of(note(source="user")) is None


def test_search_words_are_marked_again_in_the_rendered_line() -> None:
    assert highlight("Stay calm, CALM down", {"calm"}) == [
        ("Stay ", False),
        ("calm", True),
        (", ", False),
        ("CALM", True),
        (" down", False),
    ]
    assert highlight("calmer", {"calm"}) == [("calmer", False)]
    assert highlight("text", set()) == [("text", False)]


def test_the_offset_of_a_found_message_adds_up_the_newer_ones() -> None:
    assert found_index("b", ["a", "b", "c"]) == 1
    assert found_index(None, ["a"]) is None
    assert found_index("z", ["a"]) is None
    # Newest first without a gap: bubble 3 not yet measured stops the sum there.
    assert offset_to_show(0, 4, {3: 50.0, 2: 40.0}) == (50.0 + 40.0 + 2 * BUBBLE_GAP, False)
    assert offset_to_show(0, 4, {1: 10.0, 2: 40.0}) == (0.0, False)
    assert offset_to_show(1, 4, {3: 50.0, 2: 40.0}) == (50.0 + 40.0 + 2 * BUBBLE_GAP, True)
    assert offset_to_show(3, 4, {}) == (0.0, True)


def test_dates_follow_the_order_of_the_locale() -> None:
    day = date(2026, 3, 13)
    assert format_day(day, style_for("en_US.UTF-8")) == "Mar 13, 2026"
    assert format_day(day, style_for("en_GB.UTF-8")) == "13 Mar 2026"
    assert format_day(day, style_for("de-DE")) == "13 Mar 2026"
    assert format_day(day, style_for("sv_SE.UTF-8")) == "2026-03-13"
    assert format_day(day, style_for("ja")) == "2026-03-13"
    assert format_day(day, style_for("C.UTF-8")) == "13 Mar 2026"
    assert format_day(day, style_for(None)) == "13 Mar 2026"
    assert format_stamp("2026-03-13T08:00:00Z", style_for("en_US")) == "Mar 13, 2026"
    assert format_stamp("someday", style_for("en_US")) == "someday"
