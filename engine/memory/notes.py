"""Notes: daily notes, captures and imported notes — the coachee's episodic timeline.

Functions take the open connection and run inside the caller's transaction, so the Engine decides
what commits together (a batch of imported notes commits once, or not at all).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from engine.clock import iso_utc, local_day, new_id
from engine.errors import NotFound, UsageError
from engine.retrieval import fts
from engine.store.connection import Connection

NOTE_KINDS = ("daily", "capture", "import", "chat")
MAX_NOTE_CHARS = 1_000_000
MAX_LIMIT = 100_000
MAX_OFFSET = 10**9
"""A page of notes or hits bigger than this is a typo or an attack, not a screenful (and a number
past SQLite's 64-bit integers would fail deep inside a query)."""
TITLE_CHARS = 80

_COLUMNS = "id, title, body, kind, day, source, created_at, updated_at"


@dataclass(frozen=True)
class Note:
    id: str
    title: str
    body: str
    kind: str
    day: str
    created_at: str
    updated_at: str
    source: str = "user"


@dataclass(frozen=True)
class SearchHit:
    note: Note
    score: float
    snippet: str


def derive_title(body: str) -> str:
    """The first non-empty line, shortened: what a list of notes shows when no title was given."""
    for line in body.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1].rstrip() + "…"
    return ""


def validate(body: str, kind: str) -> str:
    if kind not in NOTE_KINDS:
        raise UsageError(f"unknown note kind {kind!r}; use one of: {', '.join(NOTE_KINDS)}")
    body = body.strip()
    if not body:
        raise UsageError("a note needs some text")
    if len(body) > MAX_NOTE_CHARS:
        raise UsageError(f"a note is limited to {MAX_NOTE_CHARS:,} characters")
    return body


def insert_note(
    conn: Connection,
    body: str,
    *,
    title: str | None,
    kind: str,
    source: str,
    now: datetime,
    device_id: str,
    at: datetime | None = None,
) -> Note:
    """`at` dates the note when it was written elsewhere first (an import keeps the original time)."""
    body = validate(body, kind)
    written = at or now
    stamp = iso_utc(written)
    note = Note(
        id=new_id(written),
        title=(title or "").strip() or derive_title(body),
        body=body,
        kind=kind,
        day=local_day(written),
        created_at=stamp,
        updated_at=stamp,
        source=source,
    )
    conn.execute(
        f"INSERT INTO notes ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (note.id, note.title, note.body, note.kind, note.day, note.source, note.created_at, note.updated_at),
    )
    return note


def row_to_note(row: tuple[str, ...]) -> Note:
    id_, title, body, kind, day, source, created_at, updated_at = row
    return Note(id_, title, body, kind, day, created_at, updated_at, source)


def get_note(conn: Connection, note_id: str) -> Note:
    row = conn.execute(f"SELECT {_COLUMNS} FROM notes WHERE id = ?", (note_id,)).fetchone()
    if row is None:
        raise NotFound(f"no note with id {note_id}")
    return row_to_note(row)


def list_notes(
    conn: Connection,
    *,
    kind: str | Sequence[str] | None = None,
    day: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Note]:
    """Newest first; ``kind`` is one kind or several (the day's timeline lists daily notes and
    captures together)."""
    kinds = (kind,) if isinstance(kind, str) else tuple(kind or ())
    unknown = [k for k in kinds if k not in NOTE_KINDS]
    if unknown:
        raise UsageError(f"unknown note kind {unknown[0]!r}; use one of: {', '.join(NOTE_KINDS)}")
    if not 1 <= limit <= MAX_LIMIT or not 0 <= offset <= MAX_OFFSET:
        raise UsageError(f"limit must be between 1 and {MAX_LIMIT:,} and offset between 0 and {MAX_OFFSET:,}")
    clauses = ["status = 'active'"]
    params: list[object] = []
    if kinds:
        clauses.append(f"kind IN ({', '.join('?' * len(kinds))})")
        params.extend(kinds)
    if day:
        clauses.append("day = ?")
        params.append(day)
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM notes WHERE {' AND '.join(clauses)} "
        "ORDER BY created_at DESC, seq DESC LIMIT ? OFFSET ?",
        (*params, limit, offset),
    ).fetchall()
    return [row_to_note(r) for r in rows]


def count_notes(conn: Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM notes WHERE status = 'active'").fetchone()[0])


def search_notes(conn: Connection, query: str, *, limit: int = 20) -> list[SearchHit]:
    if not 1 <= limit <= MAX_LIMIT:
        raise UsageError(f"limit must be between 1 and {MAX_LIMIT:,}")
    hits = fts.search(conn, "notes", query, limit=limit, where="t.status = 'active'")
    if not hits:
        return []
    by_seq = notes_by_seq(conn, [h.seq for h in hits])
    return [SearchHit(by_seq[h.seq], h.score, h.snippet) for h in hits if h.seq in by_seq]


def notes_by_seq(conn: Connection, seqs: Sequence[int]) -> dict[int, Note]:
    """Notes by their `seq` (the FTS and vector rowid), in one query; absent seqs are left out."""
    if not seqs:
        return {}
    rows = conn.execute(
        f"SELECT seq, {_COLUMNS} FROM notes WHERE seq IN ({','.join('?' * len(seqs))})", tuple(seqs)
    )
    return {int(r[0]): row_to_note(r[1:]) for r in rows}
