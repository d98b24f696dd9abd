"""Rerankers: an ONNX cross-encoder for a user-added model, and a default that needs no extra weights.

No PyPI package ships a cross-encoder (DESIGN.md §3), so the default is late interaction over the
embedder's own token vectors (ColBERT's MaxSim: for every query token, its best-matching passage
token). MaxSim rewards passages that cover each part of the query, which mean-pooled vectors blur;
it is blended with the pooled cosine because MiniLM's token vectors were never trained for MaxSim
alone. Whether it beats plain vectors is for the retrieval evaluation to decide; it costs no memory
beyond the embedder it borrows.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.errors import ModelCorrupt
from engine.inference.base import Reranker
from engine.inference.embedder import OnnxSentenceEmbedder, onnx_estimate
from engine.inference.onnx_runtime import open_session, run_options
from engine.inference.tokens import DEFAULT_TOKEN_BUDGET, load_tokenizer, pad, sub_batches

if TYPE_CHECKING:
    import onnxruntime as ort
    from tokenizers import Tokenizer

MAXSIM_WEIGHT = 0.5  # share of MaxSim in the blended score; the rest is the pooled cosine


class MaxSimReranker(Reranker):
    """Late interaction over an `OnnxSentenceEmbedder`'s token vectors, blended with its cosine."""

    backend = "maxsim"

    def __init__(self, embedder: OnnxSentenceEmbedder, weight: float = MAXSIM_WEIGHT) -> None:
        super().__init__(f"maxsim-{embedder.name}", f"token vectors of embedder {embedder.name!r}", None, 0)
        self.embedder = embedder
        self.weight = weight

    @property
    def is_loaded(self) -> bool:
        return self.embedder.is_loaded

    def _load(self) -> None:
        """Nothing of its own: the embedder loads (under the budget) on the first score."""

    def _unload(self) -> None:
        """Nothing of its own to drop."""

    def score_batch(self, query: str, passages: Sequence[str]) -> np.ndarray:
        if not passages:
            return np.zeros(0, dtype=np.float32)
        vectors = self.embedder.token_vectors([query, *passages])
        pooled_query = _unit(vectors[0].mean(axis=0))
        scores = np.empty(len(passages), dtype=np.float32)
        for i, passage in enumerate(vectors[1:]):
            maxsim = float((vectors[0] @ passage.T).max(axis=1).mean())
            cosine = float(pooled_query @ _unit(passage.mean(axis=0)))
            scores[i] = self.weight * maxsim + (1.0 - self.weight) * cosine
        return scores

    def describe(self) -> str:
        return f"MaxSim × {self.weight} + cosine × {1 - self.weight:.1f} over {self.embedder.embedder_id}"


class OnnxCrossEncoder(Reranker):
    """A cross-encoder exported to ONNX (query and passage read together), e.g. ms-marco-MiniLM.

    Inputs are the usual `input_ids`, `attention_mask` and optional `token_type_ids` of a sentence
    pair; the output is one logit per pair, shape (batch,) or (batch, 1), or (batch, 2) for a
    two-class head, whose last column is taken as relevance.
    """

    backend = "onnx-cross-encoder"

    def __init__(
        self,
        name: str,
        source: str,
        model_file: Path,
        tokenizer_file: Path,
        *,
        max_tokens: int = 512,
        token_budget: int = DEFAULT_TOKEN_BUDGET,
        arena_bytes: int | None = None,
    ) -> None:
        super().__init__(name, source, model_file, estimated_bytes=onnx_estimate(model_file))
        self.model_file = model_file
        self.tokenizer_file = tokenizer_file
        self.max_tokens = max_tokens
        self.token_budget = token_budget
        self.arena_bytes = arena_bytes
        self._session: ort.InferenceSession | None = None
        self._tokenizer: Tokenizer | None = None
        self._input_names: frozenset[str] = frozenset()

    @property
    def is_loaded(self) -> bool:
        return self._session is not None

    def _load(self) -> None:
        label = f"cross-encoder {self.name!r}"
        tokenizer = load_tokenizer(self.tokenizer_file, self.max_tokens, label)
        self._session = open_session(self.model_file, label, self.arena_bytes)
        self._input_names = frozenset(i.name for i in self._session.get_inputs())
        if "input_ids" not in self._input_names:
            self._session = None
            raise ModelCorrupt(
                f"{label} ({self.model_file}) has no 'input_ids' input; is it a cross-encoder export?"
            )
        self._tokenizer = tokenizer

    def _unload(self) -> None:
        self._session = None
        self._tokenizer = None

    def score_batch(self, query: str, passages: Sequence[str]) -> np.ndarray:
        if not passages:
            return np.zeros(0, dtype=np.float32)
        with self.active():
            assert self._tokenizer is not None and self._session is not None
            encodings = self._tokenizer.encode_batch([(query, p) for p in passages])
            scores = np.empty(len(passages), dtype=np.float32)
            for group in sub_batches([len(e.ids) for e in encodings], self.token_budget):
                ids, mask, types = pad([encodings[i] for i in group])
                feeds: dict[str, Any] = {"input_ids": ids}
                if "attention_mask" in self._input_names:
                    feeds["attention_mask"] = mask
                if "token_type_ids" in self._input_names:
                    feeds["token_type_ids"] = types
                try:
                    logits = np.asarray(self._session.run(None, feeds, run_options())[0], dtype=np.float32)
                except Exception as exc:
                    raise ModelCorrupt(f"the cross-encoder {self.name!r} failed to run: {exc}") from exc
                column = logits.reshape(len(group), -1)[:, -1]
                scores[group] = column
            return scores


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-12)
