"""`engine.notes`: the coachee's notes (daily notes, captures, chat transcripts) and their search."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from engine.memory import notes as notes_mod
from engine.memory.notes import Note, SearchHit
from engine.session import Part, guarded
from engine.store.schema import FTS_TWINS


@dataclass(frozen=True)
class NewNote:
    """A note to add in a batch (`engine.notes.add_many`)."""

    text: str
    title: str | None = None
    kind: str = "daily"
    source: str = "user"
    at: datetime | None = None  # when it was written, if not now (an imported note's original time)


@guarded
class Notes(Part):
    def add(self, text: str, title: str | None = None, kind: str = "daily", source: str = "user") -> Note:
        return self.add_many([NewNote(text, title, kind, source)])[0]

    def add_many(self, items: Iterable[NewNote]) -> list[Note]:
        """Add several notes in one transaction: all of them are committed, or none."""
        now = self._s.clock()
        with self._s.db.atomic() as conn:
            return [
                notes_mod.insert_note(
                    conn,
                    i.text,
                    title=i.title,
                    kind=i.kind,
                    source=i.source,
                    now=now,
                    device_id=self._s.device_id,
                    at=i.at,
                )
                for i in items
            ]

    def get(self, note_id: str) -> Note:
        db = self._s.db
        with db.lock:
            return notes_mod.get_note(db.conn, note_id)

    def list(
        self,
        kind: str | Sequence[str] | None = None,
        limit: int = 100,
        offset: int = 0,
        day: str | None = None,
    ) -> list[Note]:
        db = self._s.db
        with db.lock:
            return notes_mod.list_notes(db.conn, kind=kind, day=day, limit=limit, offset=offset)

    def count(self) -> int:
        db = self._s.db
        with db.lock:
            return notes_mod.count_notes(db.conn)

    def search(self, query: str, limit: int = 20) -> list[SearchHit]:
        """BM25 over titles and bodies (memory's `recall` is the hybrid search)."""
        db = self._s.db
        with db.lock:
            return notes_mod.search_notes(db.conn, query, limit=limit)

    def optimize_indexes(self) -> None:
        """Merge FTS5 segments and refresh the planner's statistics.

        Bulk writes leave many small FTS5 segments, and every query visits each one; merging them cut
        search p95 by about a third at 100k notes. The heartbeat's index-refresh role calls this.
        """
        db = self._s.db
        with db.atomic() as conn:
            for table in FTS_TWINS:
                conn.execute(f"INSERT INTO {table}_fts ({table}_fts) VALUES ('optimize')")
        with db.lock:
            db.conn.execute("PRAGMA optimize")
