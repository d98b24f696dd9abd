"""Vectors in the encrypted store: int8 quantisation, upsert into vec0 twins, KNN.

The embedder emits L2-normalised float vectors, whose components lie in [-1, 1]; scaling by 127 and
rounding keeps cosine ranking nearly intact at a quarter of the bytes, so a 100k-vector table fits in
the page cache and is not re-decrypted per query. Each vector carries its embedder id, and a search
only compares vectors of the same id: spaces of different models are never mixed.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from engine.errors import UsageError
from engine.store.connection import Connection
from engine.store.schema import EMBEDDING_DIM, VEC_TWINS

Vector = Sequence[float]


def quantize_int8(vector: Vector) -> bytes:
    """float in [-1, 1] → int8 bytes (clipped), the format of `vec_int8`."""
    return struct.pack(f"{len(vector)}b", *(max(-127, min(127, round(x * 127.0))) for x in vector))


def pack_float32(vector: Vector) -> bytes:
    return struct.pack(f"{len(vector)}f", *vector)


@dataclass(frozen=True)
class VectorHit:
    seq: int
    distance: float  # cosine distance: 0 is identical


def _twin(table: str) -> str:
    if table not in VEC_TWINS:
        raise UsageError(f"{table!r} has no vector twin; one of: {', '.join(VEC_TWINS)}")
    return f"{table}_vec"


def upsert(conn: Connection, table: str, rows: Iterable[tuple[int, Vector]], embedder_id: str) -> int:
    """Store vectors for base-table rows (by `seq`), replacing older ones. Returns the count."""
    twin = _twin(table)
    count = 0
    for seq, vector in rows:
        if len(vector) != EMBEDDING_DIM:
            raise UsageError(f"expected {EMBEDDING_DIM}-d vectors, got {len(vector)}")
        conn.execute(f"DELETE FROM {twin} WHERE rowid = ?", (seq,))
        conn.execute(
            f"INSERT INTO {twin} (rowid, embedding, embedder_id) VALUES (?, vec_int8(?), ?)",
            (seq, quantize_int8(vector), embedder_id),
        )
        count += 1
    return count


def nearest(conn: Connection, table: str, vector: Vector, embedder_id: str, k: int = 50) -> list[VectorHit]:
    """The `k` nearest rows by cosine distance among vectors made by `embedder_id`."""
    if k < 1:
        raise UsageError("k must be at least 1")
    rows = conn.execute(
        f"SELECT rowid, distance FROM {_twin(table)} "
        "WHERE embedding MATCH vec_int8(?) AND k = ? AND embedder_id = ? ORDER BY distance",
        (quantize_int8(vector), k, embedder_id),
    ).fetchall()
    return [VectorHit(int(r[0]), float(r[1])) for r in rows]


def count(conn: Connection, table: str, embedder_id: str | None = None) -> int:
    if embedder_id is None:
        return int(conn.execute(f"SELECT count(*) FROM {_twin(table)}").fetchone()[0])
    return int(
        conn.execute(f"SELECT count(*) FROM {_twin(table)} WHERE embedder_id = ?", (embedder_id,)).fetchone()[0]
    )
