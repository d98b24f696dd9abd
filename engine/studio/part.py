"""`engine.studio`: a creator turns their books and their voice into a signed coach pack.

A draft lives in the encrypted profile (tables `studio_*`): the sources as extracted page by page,
the chunks the creator shapes, the persona and playbook, the versions and the preview turns. Packs
are built by the same builder as `lifeos coach build` and installed by `engine.coaches`, so what
the studio makes is what the CLI makes. The preview chat talks to the draft as it is now: the draft
is built and installed as a hidden preview coach, and a turn is asked of the chat part without
being recorded in the creator's own conversations.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.clock import iso_utc, new_id
from engine.coaches import builder as builder_mod
from engine.coaches import playbook as playbook_mod
from engine.coaches.manifest import validate_id
from engine.coaches.pack import PACK_SUFFIX, open_pack
from engine.coaches.part import write_catalog
from engine.coaches.signing import Publisher
from engine.coaches.sources import (
    MIN_PAGE_CHARS,
    Section,
    markdown_sections,
    pack_sections,
    text_sections,
)
from engine.coaches.sources import (
    extract as extract_passages,
)
from engine.errors import NotFound, PackError, UsageError
from engine.retrieval import chunking
from engine.retrieval.knowledge import token_counter
from engine.session import Part, guarded
from engine.store import meta
from engine.studio import content_check, keys, well_known
from engine.studio.analytics import Analytics, TurnRecord, summarise
from engine.studio.draft import (
    Bump,
    Draft,
    Release,
    SourceFiles,
    bumped,
    check_fields,
    moves_toml,
    write_folder,
)
from engine.studio.extract import STUDIO_SUFFIXES, Page, pages
from engine.studio.preview import RecordingReasoner

if TYPE_CHECKING:
    from engine.chat.part import Chat, Citation
    from engine.coaches.part import Coaches, InstallReport
    from engine.session import Session

Progress = Callable[[str, int, int], None]  # (stage, done, total): extract, chunk, embed, index
PREVIEW_PREFIX = "studio-preview-"
PREVIEW_BUILT_KEY = "studio.preview_built."
CHECK_PASSED_KEY = "studio.check_passed."


@dataclass(frozen=True)
class SourceInfo:
    id: str
    draft_id: str
    name: str
    code: str
    bytes: int
    title: str
    author: str
    origin: str
    licence: str
    pages: int
    flagged: int  # pages without usable text
    chunks: int


@dataclass(frozen=True)
class Chunk:
    id: str
    source_id: str
    ref: str
    title: str
    text: str
    excluded: bool
    edited: bool


@dataclass(frozen=True)
class ChunkFindings:
    chunk: Chunk
    findings: list[content_check.Finding]


@dataclass(frozen=True)
class CopyFlag:
    chunk: Chunk
    work: str  # "Meditations, Marcus Aurelius"
    licence: str  # the work's own licence, as the bundled coach states it
    shared: int


@dataclass(frozen=True)
class CheckReport:
    """What stands between a draft and publishing: personal data per chunk, passages that look
    copied, sources without a licence, and pages that yielded nothing (for the creator to see)."""

    personal: list[ChunkFindings]
    copied: list[CopyFlag]
    missing_licence: list[str]  # source file names
    flagged_pages: list[str]
    ner: bool  # whether the on-device NER looked for names (else only the patterns ran)

    @property
    def ready(self) -> bool:
        return not self.personal and not self.missing_licence

    def problems(self) -> list[str]:
        out = [f"[{c.chunk.ref}] {f.why}" for c in self.personal for f in c.findings]
        out += [f"{name}: no licence given" for name in self.missing_licence]
        return out


@dataclass(frozen=True)
class FolderCheck:
    """`lifeos coach build --check`: the same check over a creator folder's knowledge files."""

    passages: int
    personal: list[tuple[str, str, list[content_check.Finding]]]  # (ref, file, findings)
    copied: list[tuple[str, str]]  # (ref, the work it looks copied from)
    unlicensed: list[str]  # source titles without a licence
    ner: bool

    def problems(self) -> list[str]:
        out = [f"{file} [{ref}] {f.why}" for ref, file, found in self.personal for f in found]
        out += [f"source {title!r}: no licence given" for title in self.unlicensed]
        return out


@dataclass(frozen=True)
class PreviewReply:
    text: str
    moves: list[str]
    passages: list[Citation]
    reasoner: str
    notice: str | None = None


@dataclass(frozen=True)
class ExportReport:
    path: Path
    version: str
    passages: int
    vectors: int
    signed_by: str | None
    seconds: float
    warnings: list[str] = field(default_factory=list)


@guarded
class Studio(Part):
    """Receives the coaches part (installing, the hidden preview coach) and the chat part (preview turns)."""

    def __init__(self, session: Session, coaches: Coaches, chat: Chat) -> None:
        super().__init__(session)
        self._coaches = coaches
        self._chat = chat

    # -- drafts ------------------------------------------------------------------------------------

    def create(self, name: str, *, coach_id: str | None = None, **fields: Any) -> Draft:
        """A new draft; its coach id comes from the name unless given (it cannot change later, as
        installed copies and conversations are keyed by it)."""
        fields = check_fields({"name": name, **fields})
        coach_id = validate_id(coach_id or _slug(name))
        draft = replace(Draft(id=new_id(), coach_id=coach_id, name=name.strip()), **fields)
        now = iso_utc(self._s.clock())
        db = self._s.db
        with db.atomic() as conn:
            if conn.execute("SELECT 1 FROM studio_drafts WHERE coach_id = ?", (coach_id,)).fetchone():
                raise UsageError(f"a draft of the coach {coach_id!r} exists already; open it instead")
            conn.execute(
                "INSERT INTO studio_drafts (id, coach_id, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                (draft.id, coach_id, draft.body(), now, now),
            )
        return draft

    def drafts(self) -> list[Draft]:
        rows = self._s.db.query("SELECT id, coach_id, body FROM studio_drafts ORDER BY created_at")
        return [Draft.from_row(str(r[0]), str(r[1]), str(r[2])) for r in rows]

    def get(self, draft_id: str) -> Draft:
        row = self._s.db.query_one("SELECT id, coach_id, body FROM studio_drafts WHERE id = ?", (draft_id,))
        if row is None:
            raise NotFound(f"no studio draft {draft_id!r}")
        return Draft.from_row(str(row[0]), str(row[1]), str(row[2]))

    def update(self, draft_id: str, **changes: Any) -> Draft:
        """Edit the draft's metadata, persona or playbook; a playbook that does not parse is refused
        with the builder's own message (it names the move at fault)."""
        changes = check_fields(changes)
        if "playbook" in changes and str(changes["playbook"]).strip():
            playbook_mod.parse_file("playbook", str(changes["playbook"]).encode("utf-8"))
        draft = replace(self.get(draft_id), **changes)
        self._save(draft)
        return draft

    def delete(self, draft_id: str) -> None:
        self.get(draft_id)
        with self._s.db.atomic() as conn:
            conn.execute("DELETE FROM studio_drafts WHERE id = ?", (draft_id,))

    def persona_template(self, name: str) -> str:
        """A persona archetype's soul.md (socratic, cheerleader, analyst, mentor) to start from."""
        return builder_mod.persona_template(name)

    def agent_template(self) -> str:
        """The default agent.md (how a coach works: citing, one question, tools) to start from."""
        return (builder_mod.PERSONAS / "agent.md").read_text(encoding="utf-8")

    def moves(self, draft_id: str) -> list[playbook_mod.Move]:
        draft = self.get(draft_id)
        return (
            playbook_mod.parse_file("playbook", draft.playbook.encode("utf-8"))
            if draft.playbook.strip()
            else []
        )

    def add_move(
        self,
        draft_id: str,
        *,
        id: str,
        kind: str,
        situations: Sequence[str],
        text: str,
        moments: Sequence[str] = playbook_mod.MOMENTS,
        intents: Sequence[str] = (),
        steps: Sequence[str] = (),
    ) -> list[playbook_mod.Move]:
        """Add a move to the playbook (or replace the move with that id), checked as the builder
        checks it: a bad one is refused with its reason and the playbook is left as it was."""
        move = playbook_mod.Move(
            id.strip(),
            kind,
            tuple(s.strip() for s in situations if s.strip()),
            tuple(moments),
            tuple(intents),
            " ".join(text.split()),
            tuple(s.strip() for s in steps if s.strip()),
        )
        moves = [m for m in self.moves(draft_id) if m.id != move.id] + [move]
        self.update(draft_id, playbook=moves_toml(moves))
        return self.moves(draft_id)

    def remove_move(self, draft_id: str, move_id: str) -> list[playbook_mod.Move]:
        moves = self.moves(draft_id)
        if move_id not in {m.id for m in moves}:
            raise NotFound(f"the playbook has no move {move_id!r}")
        self.update(draft_id, playbook=moves_toml([m for m in moves if m.id != move_id]))
        return self.moves(draft_id)

    def _save(self, draft: Draft) -> None:
        with self._s.db.atomic() as conn:
            conn.execute(
                "UPDATE studio_drafts SET body = ?, updated_at = ? WHERE id = ?",
                (draft.body(), iso_utc(self._s.clock()), draft.id),
            )

    # -- sources -----------------------------------------------------------------------------------

    def add_source(
        self,
        draft_id: str,
        path: Path | str,
        *,
        progress: Progress | None = None,
        title: str = "",
        author: str = "",
        origin: str = "",
        licence: str = "",
    ) -> SourceInfo:
        """Extract a PDF, Markdown or text file page by page and cut it into chunks. The pages are
        kept with their flags, so the creator sees what was lost and why; a damaged file raises
        `PackError` naming it, and nothing of it is stored."""
        path = Path(path).expanduser()
        if not path.is_file():
            raise NotFound(f"{path} is not a file")
        self.get(draft_id)
        extracted: list[Page] = list(
            pages(path, (lambda done, total: progress("extract", done, total)) if progress else None)
        )
        code = self._free_code(draft_id, path.stem)
        embedder = self._s.loaded_embedder()
        window = getattr(embedder, "max_tokens", builder_mod.DEFAULT_WINDOW)
        counter = token_counter(embedder)
        doc_title = title.strip() or path.stem.replace("-", " ").replace("_", " ").strip().capitalize()
        passages = pack_sections(
            _sections(path, extracted, doc_title),
            stem=code,
            source=path.name,
            max_tokens=window,
            count_tokens=counter,
        )
        if progress:
            progress("chunk", len(passages), len(passages))
        source_id = new_id()
        now = iso_utc(self._s.clock())
        with self._s.db.atomic() as conn:
            conn.execute(
                "INSERT INTO studio_sources (id, draft_id, name, code, bytes, title, author, origin, licence, "
                "next_ref, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    source_id,
                    draft_id,
                    path.name,
                    code,
                    path.stat().st_size,
                    doc_title,
                    author.strip(),
                    origin.strip(),
                    licence.strip(),
                    len(passages) + 1,
                    now,
                ),
            )
            conn.executemany(
                "INSERT INTO studio_pages (source_id, number, text, flag, reason) VALUES (?, ?, ?, ?, ?)",
                [(source_id, p.number, p.text, p.flag, p.reason) for p in extracted],
            )
            conn.executemany(
                "INSERT INTO studio_chunks (id, draft_id, source_id, ref, position, title, text) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (new_id(), draft_id, source_id, p.ref, float(i), p.title, p.text)
                    for i, p in enumerate(passages)
                ],
            )
        return self.source(source_id)

    def add_path(
        self, draft_id: str, path: Path | str, *, progress: Progress | None = None
    ) -> list[SourceInfo]:
        """A file, or every PDF, Markdown and text file directly in a folder (in name order).
        Files already among the draft's sources (same name) are skipped, so adding a folder again
        after dropping a new book into it adds only that book."""
        path = Path(path).expanduser()
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in STUDIO_SUFFIXES)
            if not files:
                raise NotFound(f"{path} holds no {', '.join(STUDIO_SUFFIXES)} files")
        elif path.is_file():
            files = [path]
        else:
            raise NotFound(f"{path} is neither a file nor a folder")
        have = {s.name for s in self.sources(draft_id)}
        return [self.add_source(draft_id, f, progress=progress) for f in files if f.name not in have]

    def sources(self, draft_id: str) -> list[SourceInfo]:
        rows = self._s.db.query(
            "SELECT id FROM studio_sources WHERE draft_id = ? ORDER BY added_at, name", (draft_id,)
        )
        return [self.source(str(r[0])) for r in rows]

    def source(self, source_id: str) -> SourceInfo:
        db = self._s.db
        row = db.query_one(
            "SELECT id, draft_id, name, code, bytes, title, author, origin, licence FROM studio_sources WHERE id = ?",
            (source_id,),
        )
        if row is None:
            raise NotFound(f"no studio source {source_id!r}")
        counts = db.query_one(
            "SELECT count(*), count(flag) FROM studio_pages WHERE source_id = ?", (source_id,)
        )
        chunks = db.query_one(
            "SELECT count(*) FROM studio_chunks WHERE source_id = ? AND excluded = 0", (source_id,)
        )[0]
        return SourceInfo(
            *[row[0], row[1], row[2], row[3], int(row[4]), *row[5:9]],
            int(counts[0]),
            int(counts[1]),
            int(chunks),
        )

    def pages(self, source_id: str) -> list[Page]:
        """Every page of a source as extracted, flagged ones with their reason."""
        self.source(source_id)
        rows = self._s.db.query(
            "SELECT number, text, flag, reason FROM studio_pages WHERE source_id = ? ORDER BY number",
            (source_id,),
        )
        return [Page(int(r[0]), str(r[1]), r[2], str(r[3])) for r in rows]

    def set_source(self, source_id: str, **fields: str) -> SourceInfo:
        """The source's title, author, origin and licence (the licence is required to publish)."""
        allowed = {"title", "author", "origin", "licence"}
        if not fields or set(fields) - allowed:
            raise UsageError(f"a source's fields are {', '.join(sorted(allowed))}")
        self.source(source_id)
        with self._s.db.atomic() as conn:
            for key, value in fields.items():
                conn.execute(
                    f"UPDATE studio_sources SET {key} = ? WHERE id = ?", (str(value).strip(), source_id)
                )
        return self.source(source_id)

    def remove_source(self, source_id: str) -> None:
        self.source(source_id)
        with self._s.db.atomic() as conn:
            conn.execute("DELETE FROM studio_sources WHERE id = ?", (source_id,))

    def _free_code(self, draft_id: str, stem: str) -> str:
        """Letters only: the builder maps a citation id to its source by the letters before '-'."""
        base = re.sub(r"[^a-z]", "", stem.lower())[:12] or "src"
        taken = {
            str(r[0])
            for r in self._s.db.query("SELECT code FROM studio_sources WHERE draft_id = ?", (draft_id,))
        }
        code, n = base, 0
        while code in taken:
            n += 1
            code = base + "abcdefghijklmnopqrstuvwxyz"[(n - 1) % 26] * ((n - 1) // 26 + 1)
        return code

    # -- chunks ------------------------------------------------------------------------------------

    def chunks(self, draft_id: str, *, query: str = "", source_id: str | None = None) -> list[Chunk]:
        """The draft's chunks in reading order; `query` keeps those whose title or text holds every word."""
        sql = "SELECT c.id, c.source_id, c.ref, c.title, c.text, c.excluded, c.edited FROM studio_chunks c " \
              "JOIN studio_sources s ON s.id = c.source_id WHERE c.draft_id = ?"  # fmt: skip
        args: list[Any] = [draft_id]
        if source_id:
            sql += " AND c.source_id = ?"
            args.append(source_id)
        for word in query.split():
            sql += " AND (instr(lower(c.text), ?) > 0 OR instr(lower(c.title), ?) > 0)"
            args += [word.lower(), word.lower()]
        rows = self._s.db.query(sql + " ORDER BY s.added_at, s.name, c.position", tuple(args))
        return [
            Chunk(str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), bool(r[5]), bool(r[6])) for r in rows
        ]

    def chunk(self, chunk_id: str) -> Chunk:
        r = self._s.db.query_one(
            "SELECT id, source_id, ref, title, text, excluded, edited FROM studio_chunks WHERE id = ?",
            (chunk_id,),
        )
        if r is None:
            raise NotFound(f"no studio chunk {chunk_id!r}")
        return Chunk(str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), bool(r[5]), bool(r[6]))

    def edit_chunk(self, chunk_id: str, text: str) -> Chunk:
        if not text.strip():
            raise UsageError("a chunk cannot be empty; exclude it instead")
        self.chunk(chunk_id)
        with self._s.db.atomic() as conn:
            conn.execute(
                "UPDATE studio_chunks SET text = ?, edited = 1 WHERE id = ?", (text.strip(), chunk_id)
            )
        return self.chunk(chunk_id)

    def exclude_chunk(self, chunk_id: str, excluded: bool = True) -> Chunk:
        self.chunk(chunk_id)
        with self._s.db.atomic() as conn:
            conn.execute("UPDATE studio_chunks SET excluded = ? WHERE id = ?", (int(excluded), chunk_id))
        return self.chunk(chunk_id)

    def split_chunk(self, chunk_id: str, at: int) -> tuple[Chunk, Chunk]:
        """Cut a chunk in two at character `at`; the first half keeps the citation id, the second
        gets a new one (an id is never reused for other text)."""
        chunk = self.chunk(chunk_id)
        head, tail = chunk.text[:at].strip(), chunk.text[at:].strip()
        if not head or not tail:
            raise UsageError("split inside the text: both halves need some words")
        db = self._s.db
        with db.atomic() as conn:
            source = conn.execute(
                "SELECT code, next_ref FROM studio_sources WHERE id = ?", (chunk.source_id,)
            ).fetchone()
            position = conn.execute(
                "SELECT position, draft_id FROM studio_chunks WHERE id = ?", (chunk_id,)
            ).fetchone()
            after = conn.execute(
                "SELECT min(position) FROM studio_chunks WHERE source_id = ? AND position > ?",
                (chunk.source_id, position[0]),
            ).fetchone()[0]
            new_position = (position[0] + after) / 2 if after is not None else position[0] + 1
            new_chunk = new_id()
            conn.execute("UPDATE studio_chunks SET text = ?, edited = 1 WHERE id = ?", (head, chunk_id))
            conn.execute(
                "INSERT INTO studio_chunks (id, draft_id, source_id, ref, position, title, text, edited) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
                (
                    new_chunk,
                    position[1],
                    chunk.source_id,
                    f"{source[0]}-{source[1]}",
                    new_position,
                    chunk.title,
                    tail,
                ),
            )
            conn.execute("UPDATE studio_sources SET next_ref = next_ref + 1 WHERE id = ?", (chunk.source_id,))
        return self.chunk(chunk_id), self.chunk(new_chunk)

    def merge_chunks(self, chunk_id: str) -> Chunk:
        """Join a chunk with the next one of the same source; the first keeps its id."""
        chunk = self.chunk(chunk_id)
        db = self._s.db
        with db.atomic() as conn:
            position = conn.execute(
                "SELECT position FROM studio_chunks WHERE id = ?", (chunk_id,)
            ).fetchone()[0]
            nxt = conn.execute(
                "SELECT id, text FROM studio_chunks WHERE source_id = ? AND position > ? ORDER BY position LIMIT 1",
                (chunk.source_id, position),
            ).fetchone()
            if nxt is None:
                raise UsageError("this is the last chunk of its source: nothing follows to merge with")
            conn.execute(
                "UPDATE studio_chunks SET text = ?, edited = 1 WHERE id = ?",
                (chunk.text + "\n\n" + str(nxt[1]), chunk_id),
            )
            conn.execute("DELETE FROM studio_chunks WHERE id = ?", (nxt[0],))
        return self.chunk(chunk_id)

    # -- content check -----------------------------------------------------------------------------

    def check(self, draft_id: str) -> CheckReport:
        """Personal data per chunk (patterns and the on-device NER), passages that look copied from a
        well-known work, sources without a licence, and pages that yielded no text."""
        chunks = [c for c in self.chunks(draft_id) if not c.excluded]
        ner = self._ner()
        found = content_check.check_texts([c.text for c in chunks], ner)
        personal = [ChunkFindings(c, f) for c, f in zip(chunks, found, strict=True) if f]
        copied = []
        for c in chunks:
            match = well_known.copied_from(c.text)
            if match is not None:
                work = ", ".join(p for p in (match.work.title, match.work.author) if p)
                copied.append(CopyFlag(c, work, match.work.licence, match.shared))
        sources = self.sources(draft_id)
        flagged = [
            f"{r[0]} p. {r[1]}: {r[2]}"
            for r in self._s.db.query(
                "SELECT s.name, p.number, p.reason FROM studio_pages p JOIN studio_sources s ON s.id = p.source_id "
                "WHERE s.draft_id = ? AND p.flag IS NOT NULL ORDER BY s.added_at, s.name, p.number",
                (draft_id,),
            )
        ]
        report = CheckReport(
            personal, copied, [s.name for s in sources if not s.licence], flagged, ner is not None
        )
        draft = self.get(draft_id)
        with self._s.db.atomic() as conn:  # export skips the check while nothing changed since it passed
            if report.ready:
                meta.put(conn, CHECK_PASSED_KEY + draft.id, self._fingerprint(draft))
            else:
                meta.delete(conn, CHECK_PASSED_KEY + draft.id)
        return report

    def check_folder(self, src: Path | str) -> FolderCheck:
        """The content check of a creator folder (`lifeos coach build --check`): personal data in its
        knowledge, passages that look copied, and sources in coach.toml without a licence."""
        src = Path(src)
        config, files = builder_mod.read_folder(src)
        passages = []
        for path in files:
            passages.extend(extract_passages(path, max_tokens=builder_mod.DEFAULT_WINDOW).passages)
        ner = self._ner()
        found = content_check.check_texts([p.text for p in passages], ner)
        personal = [(p.ref, p.source, f) for p, f in zip(passages, found, strict=True) if f]
        copied = []
        for p in passages:
            match = well_known.copied_from(p.text)
            if match is not None:
                copied.append((p.ref, ", ".join(x for x in (match.work.title, match.work.author) if x)))
        unlicensed = [
            str(raw.get("title", "?"))
            for raw in config.get("sources", [])
            if not str(raw.get("licence", "")).strip()
        ]
        if not config.get("sources"):
            unlicensed.append("(coach.toml lists no [[sources]])")
        return FolderCheck(len(passages), personal, copied, unlicensed, ner is not None)

    def redact(self, chunk_id: str) -> Chunk:
        """One click: every piece of personal data the check finds in this chunk, replaced by its label."""
        chunk = self.chunk(chunk_id)
        findings = content_check.check_texts([chunk.text], self._ner())[0]
        if not findings:
            return chunk
        with self._s.db.atomic() as conn:
            conn.execute(
                "UPDATE studio_chunks SET text = ?, edited = 1 WHERE id = ?",
                (content_check.redact(chunk.text, findings), chunk_id),
            )
        return self.chunk(chunk_id)

    def _ner(self) -> content_check.NerFn | None:
        try:
            extractor = self._s.models.ner
            extractor.load()
        except Exception:  # no NER model on this device: the patterns still run, and the report says so
            return None
        today = self._s.clock().date()
        return lambda texts: extractor.extract_batch(list(texts), today=today)

    # -- the creator's signing key ------------------------------------------------------------------

    def publisher(self) -> Publisher | None:
        document = self._key_document()
        return keys.from_document(document).publisher if document else None

    def create_key(self, name: str) -> Publisher:
        """Make the creator's signing key, once; it is kept encrypted in this profile."""
        document = keys.new_document(name)
        with self._s.db.atomic() as conn:
            if not meta.put_new(conn, keys.META_KEY, json.dumps(document)):
                raise UsageError(
                    "this profile has its signing key already; a second would split your coaches' trust"
                )
        return keys.from_document(document).publisher

    def export_key(self, path: Path | str) -> Path:
        """A backup of the signing key, in the format `lifeos coach build --sign` reads (0600)."""
        document = self._key_document()
        if document is None:
            raise NotFound("no signing key yet: make one first")
        return keys.write_backup(document, Path(path).expanduser())

    def _key_document(self) -> dict[str, Any] | None:
        db = self._s.db
        with db.lock:
            raw = meta.get(db.conn, keys.META_KEY)
        return json.loads(raw) if raw else None

    # -- versions, export, install -------------------------------------------------------------------

    def bump(self, draft_id: str, part: Bump, notes: str) -> Draft:
        """The next semantic version, with what changed in it (the changelog shows it to coachees)."""
        if not notes.strip():
            raise UsageError("say what changed in this version (the changelog)")
        draft = self.get(draft_id)
        version = bumped(draft.version, part)
        release = Release(version, self._s.clock().date().isoformat(), notes.strip())
        draft = replace(draft, version=version, changelog=(*draft.changelog, release), released=False)
        self._save(draft)
        return draft

    def export(
        self, draft_id: str, out: Path | str, *, sign: bool = True, progress: Progress | None = None
    ) -> ExportReport:
        """Build the draft into a `.coach` file, signed with the profile's key. Refused while the
        content check finds personal data or a source has no licence."""
        draft = self.get(draft_id)
        db = self._s.db
        with db.lock:
            passed = meta.get(db.conn, CHECK_PASSED_KEY + draft.id)
        if passed is None or passed != self._fingerprint(draft):  # a 50 MB draft's check takes a minute
            report = self.check(draft_id)
            if not report.ready:
                raise UsageError("the content check must pass first: " + "; ".join(report.problems()[:5]))
        key = None
        if sign:
            document = self._key_document()
            if document is None:
                raise UsageError("make your signing key first (Versions → Make my signing key)")
            key = keys.from_document(document)
        built = self._build(draft, Path(out), key=key, progress=progress)
        if not draft.released:
            self._save(replace(draft, released=True))
        return ExportReport(
            built.out or Path(out),
            draft.version,
            built.passages,
            built.vectors,
            key.publisher.name if key else None,
            built.seconds,
            built.warnings,
        )

    def install(self, draft_id: str, *, progress: Progress | None = None) -> InstallReport:
        """Export the signed pack into the profile's packs folder and install it: a new version
        replaces the knowledge and keeps the coachee's conversations and memory."""
        draft = self.get(draft_id)
        out = self._s.paths.home / "packs" / f"{draft.coach_id}-{draft.version}{PACK_SUFFIX}"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.unlink(missing_ok=True)
        self.export(draft_id, out, progress=progress)
        installed = {c.id: c.version for c in self._coaches.list()}
        return self._coaches.install(
            out, progress=progress, force=installed.get(draft.coach_id) == draft.version
        )

    def publish(self, draft_id: str, catalog_dir: Path | str, *, progress: Progress | None = None) -> Path:
        """Publish the signed pack into a coach catalog folder (what `lifeos-server --catalog DIR`
        serves): the pack goes in beside the others and `catalog.json` is rewritten to list the
        newest version of every pack there, each pinned to its publisher's key. Returns the pack."""
        folder = Path(catalog_dir).expanduser()
        if not folder.is_dir():
            raise NotFound(f"{folder} is not a folder (the catalog folder the sync server serves)")
        if self._key_document() is None:
            raise UsageError("a published coach must be signed: make your signing key first")
        draft = self.get(draft_id)
        out = folder / f"{draft.coach_id}-{draft.version}{PACK_SUFFIX}"
        if out.exists():
            raise UsageError(f"{out.name} is published already; start the next version to publish again")
        self.export(draft_id, out, progress=progress)
        newest: dict[str, tuple[tuple[int, ...], Path]] = {}
        for pack_path in sorted(folder.glob(f"*{PACK_SUFFIX}")):
            try:
                manifest = open_pack(pack_path).manifest
            except PackError:
                continue  # not ours to judge: a damaged pack in the folder is left out of the listing
            if manifest.id not in newest or manifest.version_key > newest[manifest.id][0]:
                newest[manifest.id] = (manifest.version_key, pack_path)
        write_catalog([path for _key, path in newest.values()], folder / "catalog.json")
        return out

    def _build(
        self, draft: Draft, out: Path, *, key: Any = None, coach_id: str | None = None, reuse: Path | None = None,
        progress: Progress | None = None,
    ) -> builder_mod.BuildReport:  # fmt: skip
        files = self._source_files(draft.id)
        if not any(s.passages for s in files):
            raise UsageError("add a source with some text first")
        embedder = self._s.loaded_embedder()
        with tempfile.TemporaryDirectory(prefix="lifeos-studio-") as tmp:
            src = write_folder(Path(tmp), draft, files, coach_id=coach_id)
            return builder_mod.build(
                src,
                out,
                embedder=embedder,
                count_tokens=token_counter(embedder),
                window=getattr(embedder, "max_tokens", builder_mod.DEFAULT_WINDOW),
                progress=progress,
                sign=key,
                reuse=reuse if reuse is not None and reuse.exists() and embedder is not None else None,
            )

    def _source_files(self, draft_id: str) -> list[SourceFiles]:
        out = []
        for s in self.sources(draft_id):
            files = SourceFiles(s.code, s.title, s.author, s.origin, s.licence)
            files.passages = [
                {"_id": c.ref, "title": c.title, "text": c.text}
                for c in self.chunks(draft_id, source_id=s.id)
                if not c.excluded
            ]
            out.append(files)
        return out

    # -- preview chat and analytics --------------------------------------------------------------------

    def refresh_preview(self, draft_id: str, *, progress: Progress | None = None) -> str:
        """Build the draft as it is now and install it as a hidden preview coach; returns its id.
        Vectors of unchanged passages are reused from the last preview build."""
        draft = self.get(draft_id)
        preview_id = _preview_id(draft)
        out = self._s.paths.home / "studio" / f"{draft.id}{PACK_SUFFIX}"
        out.parent.mkdir(parents=True, exist_ok=True)
        previous = out.with_suffix(".last" + PACK_SUFFIX)
        if out.exists():
            out.replace(previous)
        self._build(draft, out, coach_id=preview_id, reuse=previous, progress=progress)
        previous.unlink(missing_ok=True)
        if self._coaches.is_preview(preview_id):
            self._coaches.end_preview(preview_id)
        self._coaches.preview(out, progress=progress)
        with self._s.db.atomic() as conn:
            meta.put(conn, PREVIEW_BUILT_KEY + draft.id, self._fingerprint(draft))
        return preview_id

    def preview_send(
        self,
        draft_id: str,
        message: str,
        *,
        history: Sequence[tuple[str, str]] = (),
        reasoner: str | None = None,
        progress: Progress | None = None,
    ) -> PreviewReply:
        """One preview turn with the draft as it is now (rebuilt first when anything changed since
        the last preview): the reply, the moves it made and the passages it quoted. Recorded for the
        studio's analytics, never in the creator's own conversations."""
        draft = self.get(draft_id)
        preview_id = _preview_id(draft)
        db = self._s.db
        with db.lock:
            built = meta.get(db.conn, PREVIEW_BUILT_KEY + draft.id)
        if not self._coaches.is_preview(preview_id) or built != self._fingerprint(draft):
            self.refresh_preview(draft_id, progress=progress)
        recorder = RecordingReasoner(self._chat.make_reasoner(reasoner))
        try:
            reply = self._chat.send(
                preview_id, message, reasoner=recorder, history=list(history), record=False
            )
        finally:
            recorder.close()
        moves = recorder.moves_made(reply.text)
        with self._s.db.atomic() as conn:
            conn.execute(
                "INSERT INTO studio_turns (id, draft_id, version, message, reply, moves, passages, reasoner, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    new_id(),
                    draft_id,
                    draft.version,
                    message,
                    reply.text,
                    json.dumps(moves),
                    json.dumps([c.ref for c in reply.citations]),
                    reply.reasoner,
                    iso_utc(self._s.clock()),
                ),
            )
        return PreviewReply(reply.text, moves, list(reply.citations), reply.reasoner, reply.notice)

    def _fingerprint(self, draft: Draft) -> str:
        """What a pack of the draft is made of: its body, every chunk as it stands, and each source's
        title, author and licence (the preview is rebuilt, and the check run again, when it changes)."""
        digest = hashlib.sha256(draft.body().encode("utf-8"))
        for row in self._s.db.query(
            "SELECT c.ref, c.title, c.text, c.excluded, s.title, s.author, s.licence FROM studio_chunks c "
            "JOIN studio_sources s ON s.id = c.source_id WHERE c.draft_id = ? ORDER BY c.ref",
            (draft.id,),
        ):
            digest.update(json.dumps(list(row)).encode("utf-8"))
        return digest.hexdigest()

    def analytics(self, draft_id: str) -> Analytics:
        """How the preview conversations used the draft: moves and passages by count, replies that
        quoted nothing, and moves never made."""
        rows = self._s.db.query(
            "SELECT message, moves, passages FROM studio_turns WHERE draft_id = ? ORDER BY created_at",
            (draft_id,),
        )
        turns = [TurnRecord(str(r[0]), json.loads(r[1]), json.loads(r[2])) for r in rows]
        return summarise(turns, [m.id for m in self.moves(draft_id)])


def _preview_id(draft: Draft) -> str:
    return (PREVIEW_PREFIX + draft.coach_id)[:63].rstrip("-")


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:63] or "my-coach"


def _sections(path: Path, extracted: Sequence[Page], doc_title: str) -> list[Section]:
    """Sections as the builder makes them: a PDF page each; Markdown at its headings; text at its
    chapter lines. Pages without usable text contribute nothing (they stay listed, flagged)."""
    suffix = path.suffix.lower()
    if suffix != ".pdf":
        text = extracted[0].text if extracted else ""
        return (
            markdown_sections(text, doc_title)
            if suffix in (".md", ".markdown")
            else text_sections(text, doc_title)
        )
    sections = []
    for page in extracted:
        if len(page.text.strip()) < MIN_PAGE_CHARS:
            continue
        paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", page.text) if p.strip()]
        if len(paragraphs) == 1:
            paragraphs = chunking.split_sentences(paragraphs[0])
        sections.append(Section(f"{doc_title}, p. {page.number}", paragraphs))
    return sections


__all__ = ["CheckReport", "Chunk", "ExportReport", "PreviewReply", "SourceInfo", "Studio"]
