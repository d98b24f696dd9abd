"""What an import reads, what its preview shows, and what it reports: plain data, no behaviour."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

PARA_TYPES = ("project", "area", "resource", "archive", "person")
PLACES = (*PARA_TYPES, "daily", "none")
"""Where a folder (Obsidian) or a label (Keep) can go: a PARA type, daily notes, or nowhere special."""


@dataclass(frozen=True)
class ImportNote:
    """One note as read from the source, before anything is written."""

    key: str  # where it is in its source: a vault path, a Keep file, an IMAP message id
    title: str
    body: str
    at: datetime | None = None  # when it was written (original time); None: now
    kind: str = "import"  # "daily" for a daily note
    group: str = ""  # the folder (Obsidian, Apple Notes) or label (Keep) that maps onto PARA
    entity: str = ""  # the PARA item it belongs to under that mapping (a subfolder, the page itself)
    tags: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    links: tuple[str, ...] = ()  # [[wikilink]] targets, as written
    embeds: tuple[str, ...] = ()  # files it embeds, as paths inside the source
    archived: bool = False
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportPlan:
    """A source read and checked: its notes, the proposed mapping of its folders, what was skipped."""

    origin: str  # obsidian, keep, apple-notes
    source: str
    notes: list[ImportNote]
    mapping: dict[str, str]  # folder or label → one of PLACES
    attachments: dict[str, int]  # path in the source → size, for files some note embeds
    skipped: list[str] = field(default_factory=list)  # "path: why" for files left out


@dataclass(frozen=True)
class NearDuplicate:
    """An incoming note that says what a note already in the profile says (listed, not imported)."""

    key: str
    title: str
    existing_id: str
    existing_title: str
    similarity: float


@dataclass(frozen=True)
class ImportPreview:
    """What an import would do, shown before anything is written (Settings → Import, `--dry-run`)."""

    origin: str
    source: str
    notes: int
    daily: int
    new: int
    unchanged: int
    changed: int
    duplicates: int
    near_duplicates: list[NearDuplicate]
    mapping: dict[str, str]
    counts: dict[str, int]  # notes per folder or label
    tags: int
    attachments: int
    skipped: list[str]
    titles: list[str]  # the first few titles, for a glance


@dataclass(frozen=True)
class NotesImportReport:
    """What an import wrote, in one transaction."""

    origin: str
    source: str
    added: int
    unchanged: int
    superseded: int
    duplicates: int
    near_duplicates: list[NearDuplicate]
    entities_created: int
    links: int
    unresolved_links: int
    attachments: int
    tags: int
    skipped: list[str]
    seconds: float
    note_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LearningStatus:
    """The background learning from imported notes (people, projects, dates, facts, vectors)."""

    running: bool
    done: int
    total: int
    error: str | None = None


@dataclass(frozen=True)
class ExportReport:
    path: str
    encrypted: bool
    scheme: str
    tables: dict[str, int]
    notes: int
    vault_files: int
    bytes: int
    seconds: float


@dataclass(frozen=True)
class RestoreReport:
    home: str
    schema_version: int
    tables: dict[str, int]
    seconds: float


@dataclass(frozen=True)
class ImapAccount:
    """Where Apple Notes are read from: iCloud's IMAP server (imap.mail.me.com, port 993, TLS) with
    an app-specific password, or any IMAP server that keeps notes the way iCloud does."""

    host: str
    user: str
    password: str = field(repr=False)
    port: int = 993
    tls: bool = True
    folder: str = "Notes"
    timeout: float = 30.0
