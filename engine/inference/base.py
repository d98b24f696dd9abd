"""The interfaces every model backend implements, one abstract class per role.

After simonw/llm: a backend subclasses its role's class, implements one batch method (plus `_load`
and `_unload`), and gets the convenient single-item methods for free. Backends never load themselves
at construction: registering a model is free, and the weights arrive on first use through the
`MemoryBudget`, which may unload other models to make room.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np

if TYPE_CHECKING:
    from engine.inference.budget import MemoryBudget


class Role(StrEnum):
    """What a model is for; the app asks for a role, never for a particular backend."""

    EMBEDDER = "embedder"
    RERANKER = "reranker"
    NER = "ner"
    ASR = "asr"
    REASONER = "reasoner"


EntityType = Literal["person", "organization", "place", "date", "project", "milestone", "area", "link"]
ENTITY_TYPES: tuple[str, ...] = ("person", "organization", "place", "date", "project", "milestone", "area")


@dataclass(frozen=True)
class Entity:
    """A span of text with our type. `value` is the normalised form (ISO date, tag or link target)."""

    text: str
    type: EntityType
    start: int
    end: int
    source: str  # "markup", "dates", "spacy", "gliner": who found it, for debugging and evaluation
    value: str | None = None
    score: float | None = None


@dataclass(frozen=True)
class Segment:
    start_s: float
    end_s: float
    text: str


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str
    duration_s: float
    segments: tuple[Segment, ...]
    model: str
    seconds_taken: float

    @property
    def real_time_factor(self) -> float:
        """Seconds of compute per second of audio (below 1 is faster than real time)."""
        return self.seconds_taken / self.duration_s if self.duration_s > 0 else 0.0


@dataclass(frozen=True)
class Ranked:
    index: int  # position in the passages given to `rerank`
    score: float


def file_size(path: Path | None) -> int:
    """Bytes on disk of a model file or folder (0 when absent), for `lifeos models`."""
    if path is None or not path.exists():
        return 0
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


class Model(ABC):
    """A model that can be loaded into and unloaded from memory under a budget.

    `estimated_bytes` is what the budget assumes before loading; after loading it charges the RSS
    the load actually added. `transient` models (speech-to-text) are unloaded right after each use.
    """

    role: ClassVar[Role]
    backend: ClassVar[str]
    transient: ClassVar[bool] = False

    def __init__(self, name: str, source: str, path: Path | None, estimated_bytes: int) -> None:
        self.name = name
        self.source = source
        self.path = path
        self.estimated_bytes = estimated_bytes
        self.budget: MemoryBudget | None = None
        self._load_lock = threading.RLock()

    @property
    def key(self) -> str:
        return f"{self.role.value}:{self.name}"

    @property
    @abstractmethod
    def is_loaded(self) -> bool: ...

    @abstractmethod
    def _load(self) -> None:
        """Bring the weights into memory; raise ModelUnavailable or ModelCorrupt with a clear message."""

    @abstractmethod
    def _unload(self) -> None:
        """Drop every reference to the weights so their memory can be returned."""

    def load(self) -> None:
        with self._load_lock:
            if not self.is_loaded:
                self._load()

    def unload(self) -> None:
        with self._load_lock:
            if self.is_loaded:
                self._unload()

    @contextmanager
    def active(self) -> Iterator[None]:
        """Hold the model loaded for the duration of a call (loading it under the budget if needed)."""
        if self.budget is None:
            self.load()
            yield
            return
        with self.budget.use(self):
            yield

    def describe(self) -> str:
        """One line of detail for `lifeos models` (dimension, labels, …)."""
        return ""


class Embedder(Model):
    """Text → L2-normalised float32 vectors. `embedder_id` changes whenever the vectors would."""

    role = Role.EMBEDDER
    dimension: int

    @property
    @abstractmethod
    def embedder_id(self) -> str: ...

    @abstractmethod
    def embed_batch(
        self, texts: Sequence[str], *, kind: Literal["query", "document"] = "document"
    ) -> np.ndarray:
        """Embed many texts at once: shape (len(texts), dimension), float32, unit length."""

    def embed(self, text: str, *, kind: Literal["query", "document"] = "query") -> np.ndarray:
        return self.embed_batch([text], kind=kind)[0]

    def embed_int8(
        self, texts: Sequence[str], *, kind: Literal["query", "document"] = "document"
    ) -> np.ndarray:
        """Vectors for sqlite-vec's `vec_int8` columns (see `quantize_int8`)."""
        return quantize_int8(self.embed_batch(texts, kind=kind))

    def describe(self) -> str:
        return f"{self.dimension}-d, id {self.embedder_id}"


def quantize_int8(vectors: np.ndarray) -> np.ndarray:
    """Scale unit vectors (components in [-1, 1]) by 127 and round: sqlite-vec's `vec_int8` layout.

    A fixed scale (not per-vector) keeps dot products comparable across vectors: cosine ≈ dot / 127².
    """
    return np.clip(np.rint(vectors * 127.0), -127, 127).astype(np.int8)


class Reranker(Model):
    """(query, passages) → one relevance score per passage; higher is more relevant."""

    role = Role.RERANKER

    @abstractmethod
    def score_batch(self, query: str, passages: Sequence[str]) -> np.ndarray:
        """Scores as float32, shape (len(passages),). Comparable within one call only."""

    def score(self, query: str, passage: str) -> float:
        return float(self.score_batch(query, [passage])[0])

    def rerank(self, query: str, passages: Sequence[str], top_k: int | None = None) -> list[Ranked]:
        """Passages ordered best first, as (original index, score)."""
        if not passages:
            return []
        scores = self.score_batch(query, passages)
        order = sorted(range(len(passages)), key=lambda i: (-float(scores[i]), i))
        ranked = [Ranked(i, float(scores[i])) for i in order]
        return ranked[:top_k] if top_k is not None else ranked


class EntityExtractor(Model):
    """Text → entities of our types (`ENTITY_TYPES`), with dates resolved against `today`."""

    role = Role.NER

    @abstractmethod
    def extract_batch(self, texts: Sequence[str], *, today: date | None = None) -> list[list[Entity]]:
        """Entities per text, ordered by position."""

    def extract(self, text: str, *, today: date | None = None) -> list[Entity]:
        return self.extract_batch([text], today=today)[0]


class Transcriber(Model):
    """Audio files → text. Transient: loaded for a memo and unloaded right after."""

    role = Role.ASR
    transient = True

    @abstractmethod
    def transcribe_batch(self, paths: Sequence[Path]) -> list[Transcript]:
        """Transcribe each file; raise AudioUnreadable naming the file that cannot be decoded."""

    def transcribe(self, path: Path | str) -> Transcript:
        return self.transcribe_batch([Path(path)])[0]


@dataclass(frozen=True)
class ModelStatus:
    """One row of `lifeos models`: what serves a role, where it comes from, what it costs now."""

    role: str
    name: str
    backend: str
    source: str
    path: str | None
    file_bytes: int
    loaded: bool
    memory_bytes: int  # RSS charged to the model while loaded, else 0
    default: bool  # whether this model is the one the role uses
    detail: str = ""
    problems: tuple[str, ...] = field(default_factory=tuple)
