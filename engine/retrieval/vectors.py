"""Vectors in the encrypted store: int8 quantisation, upsert into vec0 twins, KNN.

The embedder emits L2-normalised float vectors, whose components lie in [-1, 1]; scaling by 127 and
rounding keeps the ranking nearly intact at a quarter of the bytes, so a 100k-vector table fits in
the page cache and is not re-decrypted per query. Each twin holds one vector space: the id of the
embedder that made its vectors is recorded in `meta`, writing vectors of another embedder is refused,
and a search with another embedder finds nothing, so spaces of different models are never mixed; the
caller re-embeds (`reset_space`) after a change of model.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from engine.errors import DataError, UsageError
from engine.store.connection import Connection
from engine.store.schema import EMBEDDING_DIM, VEC_TWINS

Vector = Sequence[float]
INT8_SCALE = 127.0


def quantize_int8(vector: Vector) -> bytes:
    """float in [-1, 1] → int8 bytes (clipped), the format of `vec_int8`."""
    if isinstance(vector, np.ndarray):  # the embedder's rows: vectorised, same rounding (half to even)
        return np.clip(np.rint(vector * INT8_SCALE), -127, 127).astype(np.int8).tobytes()
    return struct.pack(f"{len(vector)}b", *(max(-127, min(127, round(x * INT8_SCALE))) for x in vector))


def pack_float32(vector: Vector) -> bytes:
    return struct.pack(f"{len(vector)}f", *vector)


def l2_to_cosine_distance(l2: float) -> float:
    """For unit vectors ‖a−b‖² = 2 − 2·cos, so the int8 L2 distance maps back to a cosine distance."""
    return (l2 / INT8_SCALE) ** 2 / 2.0


@dataclass(frozen=True)
class VectorHit:
    seq: int
    distance: float  # cosine distance: 0 is identical, 2 is opposite


def _twin(table: str) -> str:
    if table not in VEC_TWINS:
        raise UsageError(f"{table!r} has no vector twin; one of: {', '.join(VEC_TWINS)}")
    return f"{table}_vec"


def _space_key(table: str) -> str:
    return f"vectors.{table}.embedder_id"


def space(conn: Connection, table: str) -> str | None:
    """The embedder id of the vectors in `table`'s twin, or None when it holds none yet."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (_space_key(table),)).fetchone()
    return str(row[0]) if row else None


def reset_space(conn: Connection, table: str, embedder_id: str) -> None:
    """Drop every vector of `table` and start a new space for `embedder_id` (after a model change)."""
    conn.execute(f"DELETE FROM {_twin(table)}")
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (_space_key(table), embedder_id),
    )


def upsert(conn: Connection, table: str, rows: Iterable[tuple[int, Vector]], embedder_id: str) -> int:
    """Store vectors for base-table rows (by `seq`), replacing older ones. Returns the count."""
    twin = _twin(table)
    current = space(conn, table)
    if current is None:
        reset_space(conn, table, embedder_id)
    elif current != embedder_id:
        raise DataError(
            f"{table} vectors were made by {current}, not {embedder_id}; re-embed them (reset_space) first"
        )
    n = 0
    for seq, vector in rows:
        if len(vector) != EMBEDDING_DIM:
            raise UsageError(f"expected {EMBEDDING_DIM}-d vectors, got {len(vector)}")
        conn.execute(f"DELETE FROM {twin} WHERE rowid = ?", (seq,))
        conn.execute(
            f"INSERT INTO {twin} (rowid, embedding) VALUES (?, vec_int8(?))", (seq, quantize_int8(vector))
        )
        n += 1
    return n


def nearest(conn: Connection, table: str, vector: Vector, embedder_id: str, k: int = 50) -> list[VectorHit]:
    """The `k` nearest rows by cosine distance, or none when the twin holds another model's space."""
    if k < 1:
        raise UsageError("k must be at least 1")
    if space(conn, table) != embedder_id:
        return []
    rows = conn.execute(
        f"SELECT rowid, distance FROM {_twin(table)} WHERE embedding MATCH vec_int8(?) AND k = ? ORDER BY distance",
        (quantize_int8(vector), k),
    ).fetchall()
    return [VectorHit(int(r[0]), l2_to_cosine_distance(float(r[1]))) for r in rows]


def similarities(
    conn: Connection, table: str, vector: Vector, rowids: Sequence[int], embedder_id: str
) -> dict[int, float]:
    """Cosine similarity of the query to the given rows only (absent rows are left out).

    Lets search score a few hundred candidates exactly without a second full scan: the rows are
    fetched by rowid and compared here. (sqlite-vec 0.1.9's KNN with `rowid IN (…)` would compute
    the distances in C, but it drops or duplicates rows for some lists, so it is not used.)
    """
    stored = fetch(conn, table, list(dict.fromkeys(rowids)), embedder_id)
    if not stored:
        return {}
    keys = list(stored)
    matrix = np.stack([stored[k] for k in keys])
    query = np.asarray(vector, dtype=np.float32)
    sims = (matrix @ query) / np.maximum(np.linalg.norm(matrix, axis=1) * float(np.linalg.norm(query)), 1e-9)
    return {k: float(x) for k, x in zip(keys, sims, strict=True)}


def dequantize_int8(blob: bytes) -> np.ndarray:
    """int8 bytes from a vec0 column → float32 vector on the embedder's scale (inverse of quantize)."""
    return np.frombuffer(blob, dtype=np.int8).astype(np.float32) / INT8_SCALE


def fetch(conn: Connection, table: str, rowids: Sequence[int], embedder_id: str) -> dict[int, np.ndarray]:
    """Stored vectors by rowid (point lookups on the vec0 twin; absent rowids are left out).

    Used to score a few hundred candidates exactly (their siblings, their other windows) without a
    second KNN scan. Empty when the twin holds another embedder's space.
    """
    out: dict[int, np.ndarray] = {}
    if space(conn, table) != embedder_id:
        return out
    twin = _twin(table)
    for start in range(0, len(rowids), 500):
        part = list(rowids[start : start + 500])
        marks = ",".join("?" * len(part))
        rows = conn.execute(f"SELECT rowid, embedding FROM {twin} WHERE rowid IN ({marks})", part).fetchall()
        for rowid, blob in rows:
            out[int(rowid)] = dequantize_int8(blob)
    return out


def count(conn: Connection, table: str) -> int:
    return int(conn.execute(f"SELECT count(*) FROM {_twin(table)}").fetchone()[0])
