"""One unlocked profile's shared state, and the gate every engine call passes through.

The parts of the facade (`engine.notes`, `engine.memory`, …) each hold the same `Session`: the
database, the clock, the models, the device id. The session also owns the profile's lifetime across
threads. The app calls the engine from worker threads (chat, capture, the in-app heartbeat) while
locking happens on the UI loop, so a call must never find the database closed halfway through:

- every public call of a part enters the session (`entered`); entering a session that is closing or
  closed raises `ProfileLocked` before anything is read;
- `close` stops new entries, waits for the calls in flight to leave, and only then drops the
  decrypted caches and closes the database; long work (index refresh, the heartbeat) looks at
  `check_open` between batches, so a lock waits at most one batch, not the whole run;
- a call that enters again from the same thread (a part using another part) is let through, so a
  part never deadlocks on its own session.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import sqlcipher3

from engine.errors import DataError, LifeOSError, ProfileLocked
from engine.store import meta

if TYPE_CHECKING:
    from pathlib import Path

    from engine.clock import Clock
    from engine.inference.base import Embedder
    from engine.inference.models import Models
    from engine.store.database import Database
    from engine.store.profile import ProfilePaths

LOCKED_MESSAGE = "the profile is locked; unlock it first"
_PREFS_KEY_INFO = b"lifeos/app-preferences/v1"

T = TypeVar("T")


class Session:
    """The database, clock, models and device id of one unlocked profile, shared by its parts."""

    def __init__(
        self,
        paths: ProfilePaths,
        db: Database,
        clock: Clock,
        *,
        db_key: bytes,
        models: Models | None = None,
        use_embedder: bool = True,
        model_dirs: Callable[[], list[Path]],
    ) -> None:
        self.paths = paths
        self.clock = clock
        self.use_embedder = use_embedder
        self._db: Database | None = db
        self._models = models
        self._owns_models = models is None
        self._model_dirs = model_dirs
        self._gate = threading.Condition()
        self._inflight = 0
        self._closing = False
        self._depth = threading.local()
        # A key for authenticating the few preferences kept outside the database; derived here so
        # the database key itself is not kept anywhere but in SQLCipher.
        self._prefs_key: bytes | None = hmac.new(db_key, _PREFS_KEY_INFO, hashlib.sha256).digest()
        self.device_id = meta.ensure_device_id(db)

    # -- the gate ----------------------------------------------------------------------------------

    @contextmanager
    def entered(self) -> Iterator[None]:
        """Hold the session open for one call (see the module docstring)."""
        depth = getattr(self._depth, "n", 0)
        if depth == 0:
            with self._gate:
                if self._closing or self._db is None:
                    raise ProfileLocked(LOCKED_MESSAGE)
                self._inflight += 1
        self._depth.n = depth + 1
        try:
            yield
        finally:
            self._depth.n = depth
            if depth == 0:
                with self._gate:
                    self._inflight -= 1
                    self._gate.notify_all()

    def check_open(self) -> None:
        """A safe point in long work: stop here (ProfileLocked) when a lock is waiting."""
        if self._closing or self._db is None:
            raise ProfileLocked(LOCKED_MESSAGE)

    @property
    def is_open(self) -> bool:
        return self._db is not None and not self._closing

    @property
    def db(self) -> Database:
        db = self._db
        if db is None:
            raise ProfileLocked(LOCKED_MESSAGE)
        return db

    def close(self) -> None:
        """Wait for the calls in flight, then drop every decrypted copy and close the database."""
        own = getattr(self._depth, "n", 0)  # a call closing its own session does not wait for itself
        with self._gate:
            if self._db is None:
                return
            self._closing = True
            self._gate.wait_for(lambda: self._inflight <= (1 if own else 0))
            db, self._db = self._db, None
        try:
            forget_decrypted(db)
            db.close()
        finally:
            self._prefs_key = None
            if self._owns_models and self._models is not None:
                self._models.close()
                self._models = None

    # -- shared services ---------------------------------------------------------------------------

    @property
    def models(self) -> Models:
        """The on-device models, created on first use (nothing is loaded until a model is needed)."""
        if self._models is None:
            from engine.inference.models import Models

            self._models = Models(extra_dirs=self._model_dirs(), today=lambda: self.clock().date())
        return self._models

    def stamp(self) -> dict[str, Any]:
        """The `now` and `device_id` every write records (the outbox and history need both)."""
        return {"now": self.clock(), "device_id": self.device_id}

    def embedder(self) -> Embedder | None:
        """The embedder, or None when disabled or unavailable: memory then works lexically."""
        if not self.use_embedder:
            return None
        try:
            return self.models.embedder
        except LifeOSError:
            return None

    def loaded_embedder(self) -> Embedder | None:
        """The embedder loaded now, or None when embeddings are off or no model is installed."""
        embedder = self.embedder()
        if embedder is None:
            return None
        try:
            embedder.load()
        except LifeOSError:
            return None
        return embedder

    def preferences_mac(self, payload: bytes) -> str:
        """HMAC of a preferences file's content under a key only an unlocked profile has."""
        if self._prefs_key is None:
            raise ProfileLocked(LOCKED_MESSAGE)
        return hmac.new(self._prefs_key, payload, hashlib.sha256).hexdigest()


def forget_decrypted(db: Database) -> None:
    """Drop every in-memory copy of decrypted data tied to `db`: vector matrices, the memory scan,
    recall's entity names, and the query-vector cache (embeddings of what the coachee typed)."""
    from engine.memory import recall
    from engine.retrieval import memory_scan, pipeline, vectors

    memory_scan.forget(db.conn)
    recall.forget(db.conn)
    vectors.clear_matrices()
    pipeline.clear_query_cache()


def decrypted_cache_sizes() -> dict[str, int]:
    """How many decrypted items each in-memory cache holds (the lock tests assert all are 0)."""
    from engine.memory import recall
    from engine.retrieval import memory_scan, pipeline, vectors

    return {
        "vector_matrices": vectors.cached_matrices(),
        "memory_scan": memory_scan.cached(),
        "entity_names": recall.cached(),
        "query_vectors": pipeline.query_cache_size(),
    }


class Part:
    """A named part of the facade: a plain class over the session (composition, not mixins)."""

    def __init__(self, session: Session) -> None:
        self._s = session


def damaged(exc: Exception) -> DataError:
    """SQLCipher's plain ``DatabaseError`` ("malformed", "not a database": a damaged page, a torn
    file) as one line the coachee can act on. Its subclasses (locked, constraint, misuse) are bugs or
    races and are left as they are."""
    return DataError(f"the profile's database is damaged ({exc}); run `lifeos doctor` to see where")


def guarded(cls: type[T]) -> type[T]:
    """Make every public method of a part enter the session first (`Session.entered`)."""
    for name, value in list(vars(cls).items()):
        if (
            name.startswith("_")
            or not callable(value)
            or isinstance(value, (staticmethod, classmethod, type))
        ):
            continue
        setattr(cls, name, _entering(value))
    return cls


def _entering(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def call(self: Part, *args: Any, **kwargs: Any) -> Any:
        with self._s.entered():
            try:
                return fn(self, *args, **kwargs)
            except sqlcipher3.DatabaseError as exc:
                if type(exc) is not sqlcipher3.DatabaseError:
                    raise
                raise damaged(exc) from exc

    return call
