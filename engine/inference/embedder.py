"""Sentence embeddings from an ONNX transformer: the default all-MiniLM-L6-v2 int8, or a user's export.

Pipeline (sentence-transformers' for MiniLM): WordPiece tokens truncated to 256, the transformer's
last hidden state, mean pooling over real tokens, L2 normalisation. Texts are sorted by length and
run in sub-batches under a token budget (`tokens.sub_batches`) on the shared capped arena; concurrent
callers are merged into one run (`batching.Coalescer`).

`embedder_id` is `name@` + 12 hex digits of a SHA-256 over the model file, the tokenizer file and the
settings that change vectors (pooling, prefixes, length). It is stored with every vector, so swapping
the model, its tokenizer or its settings makes old vectors visibly stale instead of silently mixing
two vector spaces.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from engine.errors import MemoryBudgetExceeded, ModelCorrupt
from engine.inference.base import Embedder
from engine.inference.batching import Coalescer
from engine.inference.onnx_graph import WireFormatError, gather_before_dequantize_parts
from engine.inference.onnx_runtime import is_arena_exhausted, open_session, run_options
from engine.inference.rss import MB
from engine.inference.tokens import DEFAULT_TOKEN_BUDGET, load_tokenizer, pad, sub_batches

if TYPE_CHECKING:
    import onnxruntime as ort
    from tokenizers import Encoding, Tokenizer

Pooling = Literal["mean", "cls"]

_digest_cache: dict[tuple[str, int, int], str] = {}
_digest_lock = threading.Lock()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, cached per (path, size, mtime) so status calls stay cheap."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    with _digest_lock:
        if key in _digest_cache:
            return _digest_cache[key]
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    with _digest_lock:
        _digest_cache[key] = digest.hexdigest()
    return _digest_cache[key]


class OnnxSentenceEmbedder(Embedder):
    """Any ONNX sentence-transformer export with a Hugging Face `tokenizer.json`."""

    backend = "onnx-sentence-transformer"

    def __init__(
        self,
        name: str,
        source: str,
        model_file: Path,
        tokenizer_file: Path,
        *,
        dimension: int,
        max_tokens: int = 256,
        pooling: Pooling = "mean",
        query_prefix: str = "",
        document_prefix: str = "",
        token_budget: int = DEFAULT_TOKEN_BUDGET,
        arena_bytes: int | None = None,
    ) -> None:
        super().__init__(name, source, model_file, estimated_bytes=onnx_estimate(model_file))
        self.model_file = model_file
        self.tokenizer_file = tokenizer_file
        self.dimension = dimension
        self.max_tokens = max_tokens
        self.pooling: Pooling = pooling
        self.query_prefix = query_prefix
        self.document_prefix = document_prefix
        self.token_budget = token_budget
        self.arena_bytes = arena_bytes
        self._session: ort.InferenceSession | None = None
        self._tokenizer: Tokenizer | None = None
        self._input_names: frozenset[str] = frozenset()
        self._coalescer: Coalescer[tuple[str, str], np.ndarray] = Coalescer(self._embed_now)
        self._embedder_id: str | None = None

    # -- identity ------------------------------------------------------------------------------

    @property
    def embedder_id(self) -> str:
        if self._embedder_id is None:
            settings = {
                "pooling": self.pooling,
                "max_tokens": self.max_tokens,
                "query_prefix": self.query_prefix,
                "document_prefix": self.document_prefix,
                "normalise": "l2",
            }
            digest = hashlib.sha256()
            digest.update(file_sha256(self.model_file).encode())
            digest.update(file_sha256(self.tokenizer_file).encode())
            digest.update(json.dumps(settings, sort_keys=True).encode())
            self._embedder_id = f"{self.name}@{digest.hexdigest()[:12]}"
        return self._embedder_id

    # -- loading -------------------------------------------------------------------------------

    @property
    def is_loaded(self) -> bool:
        return self._session is not None

    def _load(self) -> None:
        label = f"embedder {self.name!r}"
        tokenizer = load_tokenizer(self.tokenizer_file, self.max_tokens, label)
        self._session = open_session(self.model_file, label, self.arena_bytes, rewrite=lean_model_bytes)
        self._input_names = frozenset(i.name for i in self._session.get_inputs())
        self._tokenizer = tokenizer

    def _unload(self) -> None:
        self._session = None
        self._tokenizer = None

    # -- embedding -----------------------------------------------------------------------------

    def embed_batch(
        self, texts: Sequence[str], *, kind: Literal["query", "document"] = "document"
    ) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        rows = self._coalescer.submit([(kind, text) for text in texts])
        return np.stack(rows).astype(np.float32, copy=False)

    def token_vectors(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Unit-length contextual vectors of each text's real tokens (no [CLS]/[SEP]), for MaxSim."""
        if not texts:
            return []

        def reduce(encoding: Encoding, hidden: np.ndarray) -> np.ndarray:
            if hidden.ndim != 2:
                raise ModelCorrupt(
                    f"the embedder {self.name!r} outputs pooled vectors only, not token vectors"
                )
            keep = np.array(encoding.special_tokens_mask, dtype=bool) == 0
            vectors = hidden[keep] if keep.any() else hidden
            return _unit(vectors)

        with self.active():
            return self._forward(self._encode(list(texts)), reduce)

    def _embed_now(self, requests: list[tuple[str, str]]) -> list[np.ndarray]:
        texts = [
            (self.query_prefix if kind == "query" else self.document_prefix) + text for kind, text in requests
        ]

        def reduce(encoding: Encoding, hidden: np.ndarray) -> np.ndarray:
            if hidden.ndim == 1:  # the export already pools
                pooled = hidden
            elif self.pooling == "cls":
                pooled = hidden[0]
            else:
                pooled = hidden.mean(axis=0)
            return _unit(pooled[None, :])[0]

        with self.active():
            return self._forward(self._encode(texts), reduce)

    def _encode(self, texts: list[str]) -> list[Encoding]:
        assert self._tokenizer is not None
        return self._tokenizer.encode_batch(texts)

    def _forward(
        self, encodings: list[Encoding], reduce: Callable[[Encoding, np.ndarray], np.ndarray]
    ) -> list[np.ndarray]:
        """`reduce(encoding, hidden states of its real tokens)` for every text, in input order.

        Runs in sub-batches under the token budget and reduces each sub-batch at once: ONNX Runtime's
        outputs live in the shared arena, so holding them across runs would eat the next run's room.
        """
        out: list[np.ndarray | None] = [None] * len(encodings)
        for group in sub_batches([len(e.ids) for e in encodings], self.token_budget):
            self._run_group(group, encodings, reduce, out)
        return [v for v in out if v is not None]

    def _run_group(
        self,
        group: list[int],
        encodings: list[Encoding],
        reduce: Callable[[Encoding, np.ndarray], np.ndarray],
        out: list[np.ndarray | None],
    ) -> None:
        assert self._session is not None
        ids, mask, types = pad([encodings[i] for i in group])
        feeds: dict[str, Any] = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = types
        try:
            output = self._session.run(None, feeds, run_options())[0]
        except Exception as exc:
            if is_arena_exhausted(exc) and len(group) > 1:  # split and retry: smaller runs fit the cap
                half = len(group) // 2
                self._run_group(group[:half], encodings, reduce, out)
                self._run_group(group[half:], encodings, reduce, out)
                return
            if is_arena_exhausted(exc):
                raise MemoryBudgetExceeded(
                    f"embedding one {len(encodings[group[0]].ids)}-token text needs more than the ONNX "
                    "Runtime arena allows; raise the arena cap or lower max_tokens"
                ) from exc
            raise ModelCorrupt(f"the embedder {self.name!r} failed to run: {exc}") from exc
        for row, index in enumerate(group):
            hidden = output[row]
            if hidden.ndim == 2:
                hidden = hidden[: len(encodings[index].ids)]
            out[index] = reduce(encodings[index], np.array(hidden, dtype=np.float32))
        del output


def onnx_estimate(model_file: Path) -> int:
    """Bytes an ONNX transformer is expected to add when loaded: 1.6 × the file (0 when absent) + 8 MB."""
    size = model_file.stat().st_size if model_file.is_file() else 0
    return int(size * 1.6) + 8 * MB


def lean_model_bytes(data: bytes) -> list[bytes | memoryview] | None:
    """The model with int8 lookup tables gathered before dequantizing (see `onnx_graph`), or None.

    None (load the file as it is) when the rewrite finds nothing to do or cannot parse the bytes;
    ONNX Runtime then reports the real problem with a damaged file.
    """
    try:
        parts, count = gather_before_dequantize_parts(data)
    except WireFormatError:
        return None
    return parts if count else None


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return (vectors / np.clip(norms, 1e-12, None)).astype(np.float32)
