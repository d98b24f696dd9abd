"""Bridges between memory and the embedder: cosine similarity and keeping vector twins filled.

Memory works without a model (lexical similarity, BM25 only); with the embedder it also sees
paraphrases. Every vector written here carries the embedder's space (see retrieval/vectors.py); when
the model changed, the twin is left for `refresh` to rebuild instead of mixing spaces.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

from engine.inference.base import Embedder
from engine.retrieval import vectors
from engine.store.connection import Connection

EMBED_BATCH = 32


class CosineSimilarity:
    """`Similarity` over embeddings, caching recent texts (a new fact meets several candidates)."""

    def __init__(self, embedder: Embedder, cache_size: int = 256) -> None:
        self.embedder = embedder
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._size = cache_size

    def _vector(self, text: str) -> np.ndarray:
        if text in self._cache:
            self._cache.move_to_end(text)
            return self._cache[text]
        vector = self.embedder.embed(text, kind="document")
        self._cache[text] = vector
        if len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return vector

    def prime(self, texts: Sequence[str]) -> None:
        """Embed uncached texts in one batch (faster than one by one)."""
        todo = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if todo:
            for text, vector in zip(todo, self.embedder.embed_batch(todo, kind="document"), strict=True):
                self._cache[text] = vector

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for `texts`, embedding only those not seen yet (each text is embedded once)."""
        self.prime(texts)
        return np.stack([self._cache[t] for t in texts])

    def load_stored(self, conn: Connection, fact_ids: Sequence[str]) -> None:
        """Reuse the stored vectors of known facts instead of embedding them again.

        int8 divided by 127 is within 0.4 % of the float vector, plenty for deciding duplicates.
        """
        todo = list(fact_ids)
        if not todo or vectors.space(conn, "facts") != self.embedder.embedder_id:
            return
        rows = conn.execute(
            f"SELECT f.content, v.embedding FROM facts f JOIN facts_vec v ON v.rowid = f.seq "
            f"WHERE f.id IN ({','.join('?' * len(todo))})",
            todo,
        ).fetchall()
        for content, blob in rows:
            if content not in self._cache:
                vector = vectors.dequantize_int8(blob)
                self._cache[content] = vector / max(float(np.linalg.norm(vector)), 1e-9)

    def __call__(self, a: str, b: str) -> float:
        return float(np.dot(self._vector(a), self._vector(b)))


def write_vectors(
    conn: Connection,
    table: str,
    rows: Sequence[tuple[int, str]],
    embedder: Embedder,
    embed: Callable[[Sequence[str]], np.ndarray] | None = None,
) -> int:
    """Embed `(seq, text)` rows into `table`'s twin, unless the twin holds another model's space.

    `embed` lets a caller that already embedded these texts (capture) hand its cache in.
    """
    current = vectors.space(conn, table)
    if not rows or current not in (None, embedder.embedder_id):
        return 0
    written = 0
    for start in range(0, len(rows), EMBED_BATCH):
        batch = rows[start : start + EMBED_BATCH]
        texts = [text for _, text in batch]
        matrix = embed(texts) if embed else embedder.embed_batch(texts, kind="document")
        written += vectors.upsert(
            conn,
            table,
            [(seq, vec.tolist()) for (seq, _), vec in zip(batch, matrix, strict=True)],
            embedder.embedder_id,
        )
    return written


def missing_rows(conn: Connection, table: str, text_sql: str, limit: int) -> list[tuple[int, str]]:
    """Rows of `table` without a vector yet (new, imported, or after a change of model)."""
    return [
        (int(seq), str(text))
        for seq, text in conn.execute(
            f"SELECT seq, {text_sql} FROM {table} WHERE seq NOT IN (SELECT rowid FROM {table}_vec) ORDER BY seq LIMIT ?",
            (limit,),
        )
    ]


Progress = Callable[[int, int], None]
