"""Tokenisation and batching shared by the transformer backends (embedder, cross-encoder).

Texts are sorted by length and cut into sub-batches whose padded size (rows × longest row) stays
under a token budget. Why: attention memory grows with batch × length², and one 32 × 256 batch is
what took the process to 1.6 GB in DESIGN.md §3. Sorting keeps padding (wasted work) small.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from engine.errors import ModelCorrupt, ModelUnavailable

if TYPE_CHECKING:
    from tokenizers import Encoding, Tokenizer

# Cost of one run ≈ rows × length × (length + ATTENTION_WIDTH): the linear layers grow with length,
# attention with its square. The default budget is one 256-token text (about 36 MB of activations
# for MiniLM, inside the 48 MB arena) or about 30 sixteen-token queries.
ATTENTION_WIDTH = 256
DEFAULT_TOKEN_BUDGET = 256 * (256 + ATTENTION_WIDTH)
MAX_ROWS = 64


def load_tokenizer(path: Path, max_length: int, label: str) -> Tokenizer:
    """A Hugging Face `tokenizer.json`, truncating to `max_length`, with clear errors."""
    from tokenizers import Tokenizer

    if not path.is_file():
        raise ModelUnavailable(f"tokenizer for {label} not found: {path}")
    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:  # tokenizers raises a bare Exception for unparsable JSON
        raise ModelCorrupt(f"cannot read the {label} tokenizer {path}: {exc}") from exc
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_length)
    return tokenizer


def pad(encodings: Sequence[Encoding], pad_id: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(input_ids, attention_mask, token_type_ids) as int64 arrays, right-padded to the longest row."""
    width = max(len(e.ids) for e in encodings)
    rows = len(encodings)
    ids = np.full((rows, width), pad_id, dtype=np.int64)
    mask = np.zeros((rows, width), dtype=np.int64)
    types = np.zeros((rows, width), dtype=np.int64)
    for r, e in enumerate(encodings):
        n = len(e.ids)
        ids[r, :n] = e.ids
        mask[r, :n] = 1
        types[r, :n] = e.type_ids
    return ids, mask, types


def sub_batches(
    lengths: Sequence[int], token_budget: int = DEFAULT_TOKEN_BUDGET, max_rows: int = MAX_ROWS
) -> Iterator[list[int]]:
    """Indices grouped longest first so that each run's cost stays within `token_budget` (≥ 1 row)."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batch: list[int] = []
    for i in order:
        longest = lengths[batch[0]] if batch else lengths[i]
        cost = (len(batch) + 1) * longest * (longest + ATTENTION_WIDTH)
        if batch and (cost > token_budget or len(batch) >= max_rows):
            yield batch
            batch = []
        batch.append(i)
    if batch:
        yield batch
