"""Chat transcripts found by the notes search: read as who said what, opened where they were said.

Each chat turn is also kept as a note (``kind="chat"``, ``source="coach:<id>"``) whose body is the
engine's Markdown: ``**You:** …``, a blank line, ``**<Coach>:** …`` and an optional
``_Sources: …_`` line. Shown raw, the stars and underscores are noise, and the note's day page does
not list transcripts (a day page is the coachee's journal), so a hit opens the conversation itself,
at the message: ``/chat/<coach id>?message=<message id>``. The note does not name its message, so
the message is found in the conversation: the person's own message with the same words, nearest in
time to the note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs, quote, urlsplit

from engine.api import Engine
from engine.types import ChatMessage, Note

MESSAGE_QUERY = "message"
_TURN = re.compile(
    r"^\*\*You:\*\* (?P<you>.*?)\n\n\*\*(?P<coach>[^*\n]+):\*\* (?P<reply>.*?)"
    r"(?:\n\n_Sources: (?P<sources>[^\n]*)_)?\s*$",
    re.DOTALL,
)
_MARKUP = re.compile(r"\*\*|(?<![\w])_|_(?![\w])")


@dataclass(frozen=True)
class Line:
    speaker: str  # "You" or the coach's name
    text: str


@dataclass(frozen=True)
class Transcript:
    lines: tuple[Line, ...]
    sources: str = ""


def is_transcript(note: Note) -> bool:
    return note.kind == "chat"


def coach_of(note: Note) -> str | None:
    """The coach a transcript was written with, from its ``coach:<id>`` source."""
    prefix, _, coach_id = (note.source or "").partition(":")
    return coach_id if prefix == "coach" and coach_id else None


def parse_transcript(body: str) -> Transcript:
    """A transcript's turn as lines; a body in another shape is one line of its text, markup removed."""
    found = _TURN.match(body.strip())
    if found is None:
        return Transcript((Line("", plain(body)),))
    return Transcript(
        (Line("You", found["you"].strip()), Line(found["coach"].strip(), found["reply"].strip())),
        found["sources"] or "",
    )


def plain(text: str) -> str:
    """Text without the transcript's Markdown emphasis (``**``, ``_``), on one line."""
    return " ".join(_MARKUP.sub("", text).split())


def chat_path(coach_id: str, message_id: str | None = None) -> str:
    path = f"/chat/{quote(coach_id, safe='')}"
    return f"{path}?{MESSAGE_QUERY}={quote(message_id, safe='')}" if message_id else path


def asked_message(route: str | None) -> str | None:
    """The message a ``/chat/<coach>?message=<id>`` route asks to be shown."""
    values = parse_qs(urlsplit(route or "").query).get(MESSAGE_QUERY)
    return values[0] if values else None


def _moment(stamp: str) -> datetime | None:
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None


def message_for(note: Note, messages: list[ChatMessage]) -> str | None:
    """The id of the person's message a transcript note records, or None if the conversation no
    longer holds it (older than what was read, or the words differ)."""
    lines = parse_transcript(note.body).lines
    if not lines or lines[0].speaker != "You":
        return None
    said = lines[0].text
    written = _moment(note.created_at)
    candidates = [m for m in messages if m.role == "user" and m.content.strip() == said]
    if not candidates:
        return None
    if written is None:
        return candidates[-1].id

    def distance(message: ChatMessage) -> float:
        moment = _moment(message.created_at)
        return abs((moment - written).total_seconds()) if moment else float("inf")

    return min(candidates, key=distance).id


def transcript_route(engine: Engine, note: Note) -> str | None:
    """Where a transcript hit leads: its conversation at its message (the conversation's end when
    the message is not found there), or None when the coach is no longer installed."""
    coach_id = coach_of(note)
    if coach_id is None:
        return None
    installed = {c.id for c in engine.coaches.list(include_previews=True)}
    if coach_id not in installed:
        return None
    return chat_path(coach_id, message_for(note, engine.chat.conversation(coach_id)))


def highlight(text: str, terms: set[str]) -> list[tuple[str, bool]]:
    """``text`` cut into (part, is_match) parts, a match being a whole word among ``terms`` (any case):
    the words the search found, marked again in the rendered line as they were in the snippet."""
    wanted = {t.lower() for t in terms if t.strip()}
    if not wanted:
        return [(text, False)] if text else []
    parts: list[tuple[str, bool]] = []
    pos = 0
    for word in re.finditer(r"\w+", text):
        if word[0].lower() in wanted:
            if word.start() > pos:
                parts.append((text[pos : word.start()], False))
            parts.append((word[0], True))
            pos = word.end()
    if pos < len(text):
        parts.append((text[pos:], False))
    return parts
