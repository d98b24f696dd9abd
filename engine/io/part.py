"""`engine.io`: export (ZIP: Markdown vault + JSON of every table), restore, and imports.

Imports run in two steps, as the Settings screen shows them: `preview_*` reads and checks the
source and says what would happen (nothing is written), `import_*` writes it in one transaction and
returns a report. The notes are searchable (full text) as soon as it returns. Learning from them
(people, projects, dates, facts; embeddings) is what capture does for one note, and takes about a
second per note, so it runs after the import: `learn_in_background` in the app, `learn` (with a
progress bar) in the CLI. Every source is read through `engine/io/sources.py`, whose rules refuse
hostile input (zip-slip, absolute paths, symlinks, zip bombs, oversized files) with the file named.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from engine.clock import iso_utc
from engine.errors import LifeOSError, ProfileLocked, UsageError
from engine.io import dump, export, obsidian, restore, writer
from engine.io.limits import DEFAULT_LIMITS, Limits
from engine.io.model import (
    ExportReport,
    ImapAccount,
    ImportPlan,
    ImportPreview,
    LearningStatus,
    NotesImportReport,
    RestoreReport,
)
from engine.io.sources import Source, ZipSource, open_source
from engine.session import Part, guarded
from engine.store.migrations import LATEST_VERSION

if TYPE_CHECKING:
    from engine.memory.notes_part import Notes
    from engine.memory.part import Memory
    from engine.session import Session

Progress = Callable[[str, int, int], None]
RESTORE_LIMITS = Limits(
    max_file_bytes=4096 * 1024 * 1024, max_total_bytes=16 * 1024 * 1024 * 1024, max_ratio=2000.0
)
"""An export is this app's own output: its data files pack well (JSON) and can be large (audio)."""

Reader = Callable[[Source, Limits], ImportPlan]


@guarded
class Io(Part):
    def __init__(self, session: Session, notes: Notes, memory: Memory) -> None:
        super().__init__(session)
        self._notes = notes
        self._memory = memory
        self._learning = LearningStatus(False, 0, 0)
        self._learning_lock = threading.Lock()

    # -- export and restore ---------------------------------------------------------------------

    def export(
        self, out: Path | str, *, password: str | None = None, progress: Progress | None = None
    ) -> ExportReport:
        """Write the whole profile to the ZIP `out` (see engine/io/export.py); `password` encrypts
        it with AES-256. Reads one consistent snapshot."""
        db = self._s.db
        with db.lock:
            db.conn.execute("BEGIN")
            try:
                return export.write(
                    db.conn,
                    Path(out),
                    schema_version=LATEST_VERSION,
                    password=password,
                    progress=progress,
                    check=self._s.check_open,
                )
            finally:
                db.conn.execute("COMMIT")

    def load_export(self, checked: restore.CheckedExport, progress: Progress | None = None) -> RestoreReport:
        """Replace this profile's rows with an export's (Engine.restore; a new, empty profile only)."""
        started = time.perf_counter()
        db = self._s.db
        with db.lock:
            used = db.conn.execute(
                "SELECT (SELECT count(*) FROM notes) + (SELECT count(*) FROM entities) "
                "+ (SELECT count(*) FROM messages) + (SELECT count(*) FROM facts)"
            ).fetchone()[0]
        if used:
            raise UsageError("an export is restored into a new profile only; this one already holds data")
        tables = list(checked.tables)
        done = [0]

        def lines_with_progress(table: str) -> Callable[[], Iterator[tuple[str, str]]]:
            read = checked.lines(table)

            def wrapped() -> Iterator[tuple[str, str]]:
                yield from read()
                done[0] += 1
                if progress:
                    progress("tables", done[0], len(tables))

            return wrapped

        with db.atomic() as conn:
            counts = dump.load(conn, {t: lines_with_progress(t) for t in tables}, check=self._s.check_open)
        return RestoreReport(
            str(self._s.paths.home), checked.schema_version, counts, time.perf_counter() - started
        )

    # -- imports -----------------------------------------------------------------------------------

    def preview_obsidian(
        self, vault: Path | str, mapping: dict[str, str] | None = None, *, limits: Limits = DEFAULT_LIMITS
    ) -> ImportPreview:
        """What importing the vault would do; the vault and the profile are only read."""
        return self._preview(vault, self._obsidian_reader(mapping), limits)

    def import_obsidian(
        self,
        vault: Path | str,
        mapping: dict[str, str] | None = None,
        *,
        limits: Limits = DEFAULT_LIMITS,
        progress: Progress | None = None,
    ) -> NotesImportReport:
        """Import an Obsidian vault (folders mapped onto PARA by `mapping`, else as proposed)."""
        return self._import(vault, self._obsidian_reader(mapping), limits, progress)

    def preview_keep(
        self, takeout: Path | str, mapping: dict[str, str] | None = None, *, limits: Limits = DEFAULT_LIMITS
    ) -> ImportPreview:
        return self._preview(takeout, self._keep_reader(mapping), limits)

    def import_keep(
        self,
        takeout: Path | str,
        mapping: dict[str, str] | None = None,
        *,
        limits: Limits = DEFAULT_LIMITS,
        progress: Progress | None = None,
    ) -> NotesImportReport:
        """Import a Google Keep Takeout (the ZIP or its unpacked folder); labels map as `mapping`
        says (each to an area by default)."""
        return self._import(takeout, self._keep_reader(mapping), limits, progress)

    def preview_apple_notes(
        self, account: ImapAccount, mapping: dict[str, str] | None = None, *, limits: Limits = DEFAULT_LIMITS
    ) -> ImportPreview:
        from engine.io import apple_notes

        plan = apple_notes.read(account, limits, self._s.clock().tzinfo, mapping)
        return writer.preview(plan, writer.judge(self._s, plan))

    def import_apple_notes(
        self,
        account: ImapAccount,
        mapping: dict[str, str] | None = None,
        *,
        limits: Limits = DEFAULT_LIMITS,
        progress: Progress | None = None,
    ) -> NotesImportReport:
        """Import the notes iCloud keeps in the "Notes" IMAP folders (and their subfolders)."""
        from engine.io import apple_notes

        plan = apple_notes.read(account, limits, self._s.clock().tzinfo, mapping, progress)
        writer.check_plan(plan)
        judged = writer.judge(self._s, plan)
        return writer.write(
            self._s,
            self._notes,
            self._memory,
            plan,
            judged,
            apple_notes.NoFiles(),
            max_file_bytes=0,
            progress=progress,
        )

    def _obsidian_reader(self, mapping: dict[str, str] | None) -> Reader:
        tz = self._s.clock().tzinfo
        assert tz is not None
        return lambda source, limits: obsidian.read(source, limits, tz, mapping)

    def _keep_reader(self, mapping: dict[str, str] | None) -> Reader:
        from engine.io import keep

        tz = self._s.clock().tzinfo
        assert tz is not None
        return lambda source, limits: keep.read(source, limits, tz, mapping)

    def _preview(self, path: Path | str, read: Reader, limits: Limits) -> ImportPreview:
        with open_source(path, limits) as source:
            plan = read(source, limits)
        writer.check_plan(plan)
        return writer.preview(plan, writer.judge(self._s, plan))

    def _import(
        self, path: Path | str, read: Reader, limits: Limits, progress: Progress | None
    ) -> NotesImportReport:
        with open_source(path, limits) as source:
            if progress:
                progress("reading", 0, len(source.files()))
            plan = read(source, limits)
            writer.check_plan(plan)
            judged = writer.judge(self._s, plan)
            return writer.write(
                self._s,
                self._notes,
                self._memory,
                plan,
                judged,
                source,
                max_file_bytes=limits.max_file_bytes,
                progress=progress,
            )

    # -- learning from imported notes ----------------------------------------------------------------

    def learn(self, progress: Progress | None = None) -> int:
        """Learn from every imported note not learned yet, as capture does (people, projects, dates,
        facts), then embed what has no vector. Stops at the next note when the profile locks; what
        was learned stays learned, and the next call goes on from there."""
        db = self._s.db
        pending = [
            (int(r[0]), str(r[1]))
            for r in db.query("SELECT seq, note_id FROM import_sources WHERE learned_at IS NULL ORDER BY seq")
        ]
        self._set_learning(True, 0, len(pending))
        try:
            for i, (seq, note_id) in enumerate(pending):
                self._s.check_open()
                status = db.query_one("SELECT status FROM notes WHERE id = ?", (note_id,))
                if status and status[0] != "superseded":
                    self._memory.learn_from_note(note_id)
                with db.atomic() as conn:
                    conn.execute(
                        "UPDATE import_sources SET learned_at = ? WHERE seq = ?",
                        (iso_utc(self._s.clock()), seq),
                    )
                self._set_learning(True, i + 1, len(pending))
                if progress:
                    progress("learning", i + 1, len(pending))
            self._memory.refresh_index(
                progress=(lambda d, t: progress("indexing", d, t)) if progress else None
            )
        except LifeOSError as exc:
            self._set_learning(False, self._learning.done, len(pending), str(exc))
            raise
        self._set_learning(False, len(pending), len(pending))
        return len(pending)

    def learn_in_background(self) -> None:
        """`learn` on a worker thread (the app); `learning()` tells how far it is."""
        with self._learning_lock:
            if self._learning.running:
                return
            self._learning = LearningStatus(True, 0, 0)

        def run() -> None:
            try:
                self.learn()
            except ProfileLocked:
                pass  # locked meanwhile: the next unlock's learning carries on
            except LifeOSError:
                pass  # recorded in the status by `learn`

        threading.Thread(target=run, name="lifeos-import-learning", daemon=True).start()

    def learning(self) -> LearningStatus:
        return self._learning

    def unlearned(self) -> int:
        """Imported notes not learned from yet (learning stopped by a lock, or deferred)."""
        row = self._s.db.query_one("SELECT count(*) FROM import_sources WHERE learned_at IS NULL")
        return int(row[0])

    def _set_learning(self, running: bool, done: int, total: int, error: str | None = None) -> None:
        with self._learning_lock:
            self._learning = LearningStatus(running, done, total, error)


def check_export(path: Path | str, password: str | None) -> AbstractContextManager[restore.CheckedExport]:
    """Open and check an export before any profile is made from it (a context manager)."""
    return _checked(Path(path).expanduser(), password)


@contextmanager
def _checked(path: Path, password: str | None) -> Iterator[restore.CheckedExport]:
    if not path.is_file():
        raise UsageError(f"{path} is not a file")
    source = ZipSource(path, RESTORE_LIMITS, password)
    try:
        yield restore.check(source, LATEST_VERSION)
    finally:
        source.close()
