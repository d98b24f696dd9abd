"""The one facade over the engine: the UI, the CLI, tests and benchmarks all go through `Engine`.

An `Engine` is an unlocked profile. It is created with `Engine.create`, unlocked with `Engine.open`,
and locked again with `close` (also a context manager). Subsystems stay behind it, so the layering of
DESIGN.md §1 holds: app → engine.api → engine subsystems → store.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from engine.chat.api import ChatApi, ChatMessage, ChatReply, Citation
from engine.clock import Clock, iso_utc, new_id, system_clock
from engine.coaches.api import CatalogEntry, CoachesApi, InstallReport
from engine.coaches.install import Coach
from engine.coaches.manifest import PackError, PackTampered, PackTooNew
from engine.errors import (
    DataError,
    LifeOSError,
    NotFound,
    ProfileExists,
    ProfileLocked,
    ProfileNotFound,
    UsageError,
    WeakPassphrase,
    WrongPassphrase,
)
from engine.heartbeat import install as scheduler
from engine.heartbeat.api import HeartbeatApi, HeartbeatReport, RoleResult
from engine.heartbeat.notify import InboxItem
from engine.memory import notes as notes_mod
from engine.memory import recall as recall_mod
from engine.memory.api import ArchiveProposal, EntityPage, IndexReport, NewFact, SynthesisReport
from engine.memory.capture import CaptureResult
from engine.memory.entities import Entity
from engine.memory.facts import Fact
from engine.memory.notes import Note, SearchHit
from engine.memory.recall import RecallHit
from engine.memory.remember import FactResult, Suggestion
from engine.memory.tacit import HourWindow
from engine.retrieval import knowledge as knowledge_mod
from engine.retrieval import pipeline as pipeline_mod
from engine.retrieval.eval import EvalReport, EvalSet
from engine.retrieval.knowledge import KnowledgeDoc, KnowledgeHit, KnowledgeResults
from engine.store import doctor as doctor_mod
from engine.store import profile as profile_mod
from engine.store.database import Database
from engine.store.keys import KdfParams
from engine.store.migrations import LATEST_VERSION
from engine.store.profile import ProfilePaths, default_home
from engine.store.schema import FTS_TWINS

if TYPE_CHECKING:
    from engine.inference.base import Embedder, ModelStatus
    from engine.inference.models import BudgetStatus, Models

REPO_MODELS_DIR = Path(__file__).resolve().parents[1] / "models"


def model_dirs(home: Path | str) -> list[Path]:
    """Where user-added models are looked for: the app's `models/` folder, then the profile's."""
    return [REPO_MODELS_DIR, ProfilePaths(Path(home)).models]


def load_models(home: Path | str) -> Models:
    """The on-device models without opening a profile (`lifeos models`, `ner`, `transcribe`)."""
    from engine.inference.models import Models

    return Models(extra_dirs=model_dirs(home))


def browse_catalog(
    source: str | Path | None = None,
    *,
    domain: str | None = None,
    language: str | None = None,
    text: str | None = None,
) -> list[CatalogEntry]:
    """A coach catalog (the bundled one by default), filtered; needs no unlocked profile."""
    from engine.coaches import catalog as catalog_mod
    from engine.coaches.api import BUNDLED_CATALOG

    entries = catalog_mod.load_catalog(source or BUNDLED_CATALOG)
    return catalog_mod.browse(entries, domain=domain, language=language, text=text)


def unattended_enabled(home: Path | str) -> bool:
    from engine.store.unattended import is_enabled

    return is_enabled(ProfilePaths(Path(home)))


__all__ = [
    "LATEST_VERSION",
    "ArchiveProposal",
    "BudgetStatus",
    "CaptureResult",
    "CatalogEntry",
    "ChatMessage",
    "ChatReply",
    "Citation",
    "Coach",
    "DataError",
    "Engine",
    "Entity",
    "EntityPage",
    "EvalReport",
    "EvalSet",
    "Fact",
    "FactResult",
    "HeartbeatReport",
    "HourWindow",
    "InboxItem",
    "IndexReport",
    "InstallReport",
    "KnowledgeDoc",
    "KnowledgeHit",
    "KnowledgeResults",
    "LifeOSError",
    "ModelStatus",
    "NewFact",
    "NewNote",
    "NotFound",
    "Note",
    "PackError",
    "PackTampered",
    "PackTooNew",
    "ProfileExists",
    "ProfileLocked",
    "ProfileNotFound",
    "RecallHit",
    "RoleResult",
    "SearchHit",
    "Suggestion",
    "SynthesisReport",
    "UsageError",
    "WeakPassphrase",
    "WrongPassphrase",
    "browse_catalog",
    "default_home",
    "iso_utc",
    "load_models",
    "model_dirs",
    "scheduler",
    "unattended_enabled",
]


@dataclass(frozen=True)
class NewNote:
    """A note to add in a batch (`Engine.add_notes`)."""

    text: str
    title: str | None = None
    kind: str = "daily"
    source: str = "user"


class Engine(HeartbeatApi, CoachesApi, ChatApi):
    """An unlocked profile. Not created directly: use `Engine.create` or `Engine.open`.

    `models` may be shared between engines (tests, a multi-profile device): one set of loaded models
    under one memory budget. `use_embedder=False` keeps memory lexical (no model is loaded for it).
    """

    def __init__(
        self,
        paths: ProfilePaths,
        db: Database,
        clock: Clock,
        *,
        models: Models | None = None,
        use_embedder: bool = True,
    ) -> None:
        self.paths = paths
        self._db: Database | None = db
        self.clock = clock
        self._models = models
        self._owns_models = models is None
        self.use_embedder = use_embedder
        self.device_id = self._ensure_device_id()

    @property
    def models(self) -> Models:
        """The on-device models, created on first use (nothing is loaded until a model is needed)."""
        if self._models is None:
            from engine.inference.models import Models

            self._models = Models(extra_dirs=model_dirs(self.paths.home), today=lambda: self.clock().date())
        return self._models

    # -- lifecycle -----------------------------------------------------------------------------

    @staticmethod
    def exists(home: Path | str) -> bool:
        return ProfilePaths(Path(home)).exists()

    @classmethod
    def create(
        cls,
        home: Path | str,
        passphrase: str,
        *,
        clock: Clock = system_clock,
        kdf: KdfParams | None = None,
        models: Models | None = None,
        use_embedder: bool = True,
    ) -> Engine:
        """Create a new profile in `home` and return it unlocked. Never overwrites an existing one."""
        paths = ProfilePaths(Path(home))
        db_key = profile_mod.create_profile(paths, passphrase, kdf)
        try:
            db = Database(paths.db, db_key)
        except BaseException:
            # A half-made profile would look like a real one that cannot be unlocked.
            for leftover in (paths.db, paths.keyfile):
                leftover.unlink(missing_ok=True)
            raise
        return cls(paths, db, clock, models=models, use_embedder=use_embedder)

    @classmethod
    def open(
        cls,
        home: Path | str,
        passphrase: str,
        *,
        clock: Clock = system_clock,
        models: Models | None = None,
        use_embedder: bool = True,
    ) -> Engine:
        """Unlock the profile in `home`. A wrong passphrase raises before any file is opened for writing."""
        paths = ProfilePaths(Path(home))
        db_key = profile_mod.unlock_key(paths, passphrase)
        return cls(paths, Database(paths.db, db_key), clock, models=models, use_embedder=use_embedder)

    @classmethod
    def open_unattended(cls, home: Path | str, *, clock: Clock = system_clock) -> Engine:
        """Unlock with the device secret set up by `enable_unattended` (the OS scheduler's heartbeat)."""
        from engine.store import unattended

        paths = ProfilePaths(Path(home))
        if not paths.exists():
            raise ProfileNotFound(f"no profile in {paths.home}")
        return cls(paths, Database(paths.db, unattended.unlock(paths)), clock)

    @staticmethod
    def enable_unattended(home: Path | str, passphrase: str) -> Path:
        """Let the OS scheduler unlock this profile (see engine/store/unattended.py for the trade-off)."""
        from engine.store import unattended

        return unattended.enable(ProfilePaths(Path(home)), passphrase)

    @staticmethod
    def disable_unattended(home: Path | str) -> None:
        from engine.store import unattended

        unattended.disable(ProfilePaths(Path(home)))

    def change_passphrase(self, old: str, new: str) -> None:
        """Rewrap the database key under `new`; the database file itself is not rewritten."""
        self._require_open()
        profile_mod.rewrap(self.paths, old, new)

    def close(self) -> None:
        """Lock the profile: the connection (and with it the key in SQLCipher's memory) is released."""
        if self._db is not None:
            from engine.retrieval import memory_scan, vectors

            # Decrypted copies (vectors, entity names) go with the key.
            memory_scan.forget(self._db.conn)
            recall_mod.forget(self._db.conn)
            vectors.clear_matrices()
            self._db.close()
            self._db = None
        if self._owns_models and self._models is not None:
            self._models.close()
            self._models = None

    @property
    def is_open(self) -> bool:
        return self._db is not None

    @property
    def applied_migrations(self) -> list[int]:
        """Migrations applied when this profile was opened (empty when it was already current)."""
        return self._require_open().applied_migrations

    def __enter__(self) -> Engine:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- notes ---------------------------------------------------------------------------------

    def add_note(
        self, text: str, title: str | None = None, kind: str = "daily", source: str = "user"
    ) -> Note:
        return self.add_notes([NewNote(text, title, kind, source)])[0]

    def add_notes(self, items: Iterable[NewNote]) -> list[Note]:
        """Add several notes in one transaction: all of them are committed, or none."""
        db = self._require_open()
        now = self.clock()
        with db.atomic() as conn:
            return [
                notes_mod.insert_note(
                    conn,
                    i.text,
                    title=i.title,
                    kind=i.kind,
                    source=i.source,
                    now=now,
                    device_id=self.device_id,
                )
                for i in items
            ]

    def get_note(self, note_id: str) -> Note:
        db = self._require_open()
        with db.lock:
            return notes_mod.get_note(db.conn, note_id)

    def list_notes(
        self,
        kind: str | Sequence[str] | None = None,
        limit: int = 100,
        offset: int = 0,
        day: str | None = None,
    ) -> list[Note]:
        db = self._require_open()
        with db.lock:
            return notes_mod.list_notes(db.conn, kind=kind, day=day, limit=limit, offset=offset)

    def count_notes(self) -> int:
        db = self._require_open()
        with db.lock:
            return notes_mod.count_notes(db.conn)

    def search_notes(self, query: str, limit: int = 20) -> list[SearchHit]:
        """BM25 over titles and bodies; hybrid retrieval replaces this when the embedder lands."""
        db = self._require_open()
        with db.lock:
            return notes_mod.search_notes(db.conn, query, limit=limit)

    def optimize_indexes(self) -> None:
        """Merge FTS5 segments and refresh the planner's statistics.

        Bulk writes leave many small FTS5 segments, and every query visits each one; merging them cut
        search p95 by about a third at 100k notes. The heartbeat's index-refresh role calls this.
        """
        db = self._require_open()
        with db.atomic() as conn:
            for table in FTS_TWINS:
                conn.execute(f"INSERT INTO {table}_fts ({table}_fts) VALUES ('optimize')")
        with db.lock:
            db.conn.execute("PRAGMA optimize")

    # -- retrieval -----------------------------------------------------------------------------
    # A coach's knowledge (shared, read-only passages in `chunks`); the logic is in engine/retrieval/.

    def add_knowledge(
        self,
        coach_id: str,
        docs: Iterable[knowledge_mod.KnowledgeDoc],
        progress: knowledge_mod.Progress | None = None,
        *,
        prebuilt: knowledge_mod.Prebuilt | None = None,
    ) -> knowledge_mod.KnowledgeIndexReport:
        """Store passages of a coach's knowledge and embed them (with the embedder, when available).

        `progress(done, total)` is called as vectors are made; embedding runs outside the database
        lock, in batches that each commit, so the profile stays usable while a book is indexed.
        `prebuilt` vectors (a coach pack's index, made by the same embedder) skip the model.
        """
        embedder = None if prebuilt else self._knowledge_embedder()
        return knowledge_mod.index(
            self._require_open(),
            coach_id,
            list(docs),
            embedder,
            count_tokens=knowledge_mod.token_counter(embedder),
            progress=progress,
            prebuilt=prebuilt,
        )

    def export_knowledge_vectors(self, coach_id: str) -> knowledge_mod.Prebuilt | None:
        """A coach's stored vectors by passage ref (for a coach pack's prebuilt index)."""
        db = self._require_open()
        with db.lock:
            return knowledge_mod.export_vectors(db.conn, coach_id)

    def search_knowledge(
        self,
        coach_id: str,
        query: str,
        *,
        method: pipeline_mod.Method = "full",
        limit: int = 10,
        rerank: bool | None = None,
    ) -> knowledge_mod.KnowledgeResults:
        """Hybrid search of one coach's knowledge (`engine.retrieval.pipeline`). Without an embedder
        it is BM25 alone, and `dense_available` in the result says so."""
        db = self._require_open()
        embedder = self._knowledge_embedder() if method != "bm25" else None
        settings = pipeline_mod.Settings() if rerank is None else pipeline_mod.Settings(rerank=rerank)
        reranker = self.models.reranker if settings.rerank and embedder is not None else None
        if embedder is not None:  # embed before taking the lock (cached for the pipeline's step 2)
            pipeline_mod.query_vector(embedder, query)
        with db.lock:
            outcome = pipeline_mod.search(
                db.conn,
                coach_id,
                query,
                method=method,
                limit=limit,
                embedder=embedder,
                reranker=reranker,
                settings=settings,
            )
            hits = knowledge_mod.describe(db.conn, outcome.hits)
        return knowledge_mod.KnowledgeResults(
            hits, outcome.method, outcome.dense_available, outcome.timings_ms
        )

    def _knowledge_embedder(self) -> Embedder | None:
        """The embedder for knowledge, or None when embeddings are off or no model is installed."""
        if not self.use_embedder:
            return None
        try:
            embedder = self.models.embedder
            embedder.load()
        except LifeOSError:
            return None
        return embedder

    # -- health --------------------------------------------------------------------------------

    def doctor(self) -> dict[str, Any]:
        db = self._require_open()
        with db.lock:
            database = doctor_mod.check_database(db.conn, self.paths.db)
            notes_count = notes_mod.count_notes(db.conn)
        keyfile = doctor_mod.check_keyfile(self.paths)
        ok = (
            keyfile["ok"]
            and keyfile.get("private", False)
            and database["integrity"] == "ok"
            and database["fts5"]
            and database["vec0"]
            and database["encrypted"]
            and database["schema_version"] == database["schema_latest"]
        )
        return {
            "ok": bool(ok),
            "home": str(self.paths.home),
            "device_id": self.device_id,
            "keyfile": keyfile,
            "database": database,
            "counts": {"notes": notes_count},
        }

    # -- internals -----------------------------------------------------------------------------

    def _require_open(self) -> Database:
        if self._db is None:
            raise ProfileLocked("the profile is locked; unlock it first")
        return self._db

    def _ensure_device_id(self) -> str:
        db = self._require_open()
        row = db.query_one("SELECT value FROM meta WHERE key = 'device_id'")
        if row:
            return str(row[0])
        device_id = new_id().replace("-", "")[:16] + os.urandom(4).hex()
        with db.atomic() as conn:
            conn.execute("INSERT INTO meta (key, value) VALUES ('device_id', ?)", (device_id,))
        return device_id


# Names the CLI and the benchmarks use beyond the facade itself, loaded on first use: importing them
# here eagerly would pull ONNX Runtime and friends into every `lifeos note list`.
_LAZY_EXPORTS: dict[str, tuple[str, str]] = {
    "Models": ("engine.inference.models", "Models"),
    "MB": ("engine.inference.rss", "MB"),
    "current_rss_bytes": ("engine.inference.rss", "current_rss_bytes"),
    "peak_rss_bytes": ("engine.inference.rss", "peak_rss_bytes"),
    "Prebuilt": ("engine.retrieval.knowledge", "Prebuilt"),
    "token_counter": ("engine.retrieval.knowledge", "token_counter"),
    "RETRIEVAL_METHODS": ("engine.retrieval.pipeline", "METHODS"),
    "load_eval_set": ("engine.retrieval.eval", "load"),
    "evaluate_retrieval": ("engine.retrieval.eval", "evaluate"),
    "Passage": ("engine.retrieval.beir", "Passage"),
    "load_corpus": ("engine.retrieval.beir", "load_corpus"),
    "load_queries": ("engine.retrieval.beir", "load_queries"),
    "open_pack": ("engine.coaches.pack", "open_pack"),
    "build_pack": ("engine.coaches.builder", "build"),
    "ModelStatus": ("engine.inference.base", "ModelStatus"),
    "BudgetStatus": ("engine.inference.models", "BudgetStatus"),
    "VoiceMemo": ("engine.memory.voice", "VoiceMemo"),
    "Transcript": ("engine.inference.base", "Transcript"),
    # The model errors live beside the models, whose package is imported on first use only.
    "ModelCorrupt": ("engine.inference.errors", "ModelCorrupt"),
    "ModelUnavailable": ("engine.inference.errors", "ModelUnavailable"),
    "AudioUnreadable": ("engine.inference.errors", "AudioUnreadable"),
    "MemoryBudgetExceeded": ("engine.inference.errors", "MemoryBudgetExceeded"),
    "UnknownModel": ("engine.inference.errors", "UnknownModel"),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY_EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    module, attr = _LAZY_EXPORTS[name]
    return getattr(importlib.import_module(module), attr)
