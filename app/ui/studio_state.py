"""What the coach studio screen shows, as one frozen dataclass, and the words it shows it in.

The studio's panels (sources, chunks, check, persona, versions, preview) are functions of this state
and of the handlers the view passes them; none keeps data of its own, so a reload after any engine
call refreshes every panel at once and nothing drifts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TABS_WIDE = ("Sources", "Chunks", "Check", "Persona", "Versions")
TABS_NARROW = ("Chunks", "Check", "Preview")
"""On a phone the studio is for reviewing and trying the draft; editing wants a laptop."""
STAGE_WORDS = {
    "extract": "Extracting pages",
    "chunk": "Cutting chunks",
    "embed": "Embedding",
    "index": "Indexing",
    "verify": "Checking",
}


@dataclass(frozen=True)
class Progress:
    stage: str
    done: int
    total: int

    @property
    def share(self) -> float | None:
        return self.done / self.total if self.total else None

    def words(self) -> str:
        counts = f" {self.done:,} of {self.total:,}" if self.total else ""
        return f"{STAGE_WORDS.get(self.stage, self.stage.capitalize())}{counts}…"


@dataclass(frozen=True)
class Turn:
    message: str
    reply: Any  # engine PreviewReply


@dataclass(frozen=True)
class StudioState:
    loaded: bool = False
    draft: Any = None
    sources: tuple[Any, ...] = ()
    chunks: tuple[Any, ...] = ()
    moves: tuple[Any, ...] = ()
    report: Any = None
    publisher: Any = None
    analytics: Any = None
    installed_version: str | None = None
    tab: str = "Sources"
    # what the creator is typing (fields are controlled: the state holds their text)
    path: str = ""
    query: str = ""
    viewing: str | None = None  # the source whose pages are shown
    pages: tuple[Any, ...] = ()
    editing: str | None = None  # the chunk being edited
    edit_text: str = ""
    licences: tuple[tuple[str, str], ...] = ()  # (source id, licence typed)
    description: str = ""
    persona: str = "mentor"
    soul: str = ""
    agent: str = ""
    example: str = ""
    move_id: str = ""
    move_kind: str = "acknowledge"
    move_situations: str = ""
    move_text: str = ""
    move_steps: str = ""
    message: str = ""
    turns: tuple[Turn, ...] = ()
    key_name: str = ""
    export_path: str = ""
    key_backup_path: str = ""
    catalog_path: str = ""
    bump_part: str = "minor"
    bump_notes: str = ""
    # the work going on, and what came of it
    progress: Progress | None = None
    busy: bool = False
    problem: str | None = None
    result: str | None = None
    revision: int = 0
    cleared: int = 0
    """Bumped when the app empties what was typed (a move added, a message sent): the fields are keyed
    by it, so they are made afresh and empty instead of patched while the browser still holds text."""

    def licence_of(self, source: Any) -> str:
        return dict(self.licences).get(source.id, source.licence)


def pages_words(source: Any) -> str:
    flagged = f", {source.flagged} flagged" if source.flagged else ""
    return f"{source.pages} page{'s' if source.pages != 1 else ''}{flagged} · {source.chunks} chunks"


def size_words(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{max(n // 1000, 1)} kB"
