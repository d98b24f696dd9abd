"""Vectors in the encrypted store: int8 quantisation, upsert into vec0 twins, KNN.

The embedder emits L2-normalised float vectors, whose components lie in [-1, 1]; scaling by 127 and
rounding keeps the ranking nearly intact at a quarter of the bytes, so a 100k-vector table fits in
the page cache and is not re-decrypted per query. Each twin holds one vector space: the id of the
embedder that made its vectors is recorded in `meta`, writing vectors of another embedder is refused,
and a search with another embedder finds nothing, so spaces of different models are never mixed; the
caller re-embeds (`reset_space`) after a change of model.

A coach's knowledge (`chunks`) is stored differently (migration 3): its vectors sit in a plain table
keyed by (passage seq, part), part 0 the passage and parts 1… its windows, addressed here by the same
rowid = seq + part × 2⁴⁰ as before. Search does not scan them through sqlite-vec: `matrix` loads one
coach's vectors into memory once (int8, ~40 MB per 100k vectors, plus a float32 copy of each
passage's own vector, ~150 MB per 100k passages; kept until any write to the table changes the
generation stamp in `meta`). Search scores the passage vectors with one BLAS product (~10 ms at 100k
passages; the int8 rows of passages and windows together took ~150 ms, most of it the int8 → float32
conversion, which numpy does not accelerate) and then only the rows of the passages it needs
(`Matrix.exact_scores`); `fetch` reads candidates' vectors from the B-tree in one query.
"""

from __future__ import annotations

import struct
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from engine.errors import DataError, UsageError
from engine.retrieval import memory_scan
from engine.store import meta
from engine.store.connection import Connection
from engine.store.schema import (
    EMBEDDING_DIM,
    KNOWLEDGE_GENERATION_KEY,
    KNOWLEDGE_VECTORS_TABLE,
    VEC_TWINS,
)

Vector = Sequence[float]
INT8_SCALE = 127.0
PART_SHIFT = 40  # rowid of a plain-table vector: seq + part << PART_SHIFT (the old vec0 layout)
SEQ_MASK = (1 << PART_SHIFT) - 1
PLAIN = {"chunks": KNOWLEDGE_VECTORS_TABLE}
MEMORY_SCAN = frozenset({"facts", "notes"})  # scanned in memory (memory_scan.py), not by vec0's KNN


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
    return meta.get(conn, _space_key(table))


def reset_space(conn: Connection, table: str, embedder_id: str) -> None:
    """Drop every vector of `table` and start a new space for `embedder_id` (after a model change)."""
    conn.execute(f"DELETE FROM {PLAIN.get(table) or _twin(table)}")
    meta.put(conn, _space_key(table), embedder_id)


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
    if table in PLAIN:
        batch = []
        for rowid, vector in rows:
            if len(vector) != EMBEDDING_DIM:
                raise UsageError(f"expected {EMBEDDING_DIM}-d vectors, got {len(vector)}")
            batch.append((rowid & SEQ_MASK, rowid >> PART_SHIFT, quantize_int8(vector)))
        conn.executemany(
            f"INSERT INTO {PLAIN[table]} (seq, part, embedding) VALUES (?, ?, ?) "
            "ON CONFLICT (seq, part) DO UPDATE SET embedding = excluded.embedding",
            batch,
        )
        return len(batch)
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
    if table in PLAIN:
        m = matrix(conn, table, embedder_id)
        if m is None:
            return []
        sims = m.cosines(np.asarray(vector, dtype=np.float32))
        top = top_indexes(sims, k)
        return [VectorHit(int(m.rowids[i]), 1.0 - float(sims[i])) for i in top]
    if table in MEMORY_SCAN:
        found = memory_scan.nearest(conn, table, np.asarray(vector, dtype=np.float32), k, embedder_id)
        return [VectorHit(rowid, 1.0 - sim) for rowid, sim in found]
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
    if table in PLAIN:
        wanted = set(rowids)
        seqs = list(dict.fromkeys(r & SEQ_MASK for r in rowids))
        for start in range(0, len(seqs), 500):
            part = seqs[start : start + 500]
            marks = ",".join("?" * len(part))
            for seq, p, blob in conn.execute(
                f"SELECT seq, part, embedding FROM {PLAIN[table]} WHERE seq IN ({marks})", part
            ):
                rowid = int(seq) + (int(p) << PART_SHIFT)
                if rowid in wanted:
                    out[rowid] = dequantize_int8(blob)
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
    return int(conn.execute(f"SELECT count(*) FROM {PLAIN.get(table) or _twin(table)}").fetchone()[0])


# -- in-memory matrices of plain-table vectors ---------------------------------------------------


@dataclass(frozen=True)
class Matrix:
    """Int8 vectors of one coach (or of the whole table), rows ordered by (seq, part).

    `seqs` are the passages that have a vector, ascending; `starts[i]` is the first row of
    passage `seqs[i]` (its part 0 when present).
    """

    rowids: np.ndarray  # int64, seq + part << PART_SHIFT per row
    vectors: np.ndarray  # int8, rows × EMBEDDING_DIM
    inverse_norms: np.ndarray  # float32 per row: 1 / ‖row‖ (0 for a zero row)
    seqs: np.ndarray  # int64, one per passage
    starts: np.ndarray  # int64, one per passage
    heads: np.ndarray  # float32, one unit row per passage: its part 0 (its first window if it has none)

    @property
    def nbytes(self) -> int:
        return int(self.vectors.nbytes + self.heads.nbytes + self.rowids.nbytes + self.seqs.nbytes * 2)

    def head_cosines(self, query: np.ndarray) -> np.ndarray:
        """Per passage (aligned with `seqs`): the cosine of its part 0, in one float32 BLAS product
        over one row per passage (the int8 rows would need a conversion that costs more than the
        product itself)."""
        q = np.asarray(query, dtype=np.float32)
        return self.heads @ (q / max(float(np.linalg.norm(q)), 1e-9))

    def exact_scores(self, query: np.ndarray, indexes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(whole-passage cosine, best window's cosine) of the passages at `indexes` (into `seqs`),
        from all their rows, as `passage_scores` gives them, without scanning the other passages."""
        idx = np.asarray(indexes, dtype=np.int64)
        if not len(idx):
            empty = np.empty(0, dtype=np.float32)
            return empty, empty
        ends = np.append(self.starts[1:], len(self.vectors))
        lengths = ends[idx] - self.starts[idx]
        offsets = np.cumsum(lengths) - lengths
        rows = np.arange(int(lengths.sum())) + np.repeat(self.starts[idx] - offsets, lengths)
        q = np.asarray(query, dtype=np.float32)
        q = q / max(float(np.linalg.norm(q)), 1e-9)
        sims = (self.vectors[rows].astype(np.float32) @ q) * self.inverse_norms[rows]
        best = np.maximum.reduceat(sims, offsets)
        parts = self.rowids[rows] >> PART_SHIFT
        whole = np.where(parts[offsets] == 0, sims[offsets], best)
        window = np.maximum.reduceat(np.where(parts == 0, -np.inf, sims), offsets)
        return whole.astype(np.float32), np.where(np.isfinite(window), window, whole).astype(np.float32)

    def cosines(self, query: np.ndarray) -> np.ndarray:
        """Cosine of `query` to every row: int8 → float32 in blocks (no 4× copy of the matrix)."""
        q = np.asarray(query, dtype=np.float32)
        q = q / max(float(np.linalg.norm(q)), 1e-9)
        out = np.empty(len(self.vectors), dtype=np.float32)
        for start in range(0, len(self.vectors), _BLOCK):
            block = self.vectors[start : start + _BLOCK].astype(np.float32)
            np.matmul(block, q, out=out[start : start + _BLOCK])
        out *= self.inverse_norms
        return out

    def passage_scores(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per passage (aligned with `seqs`): the cosine of its nearest vector, its whole-passage
        cosine, and its best window's (the passage's own where it has no window)."""
        sims = self.cosines(query)
        if not len(sims):
            empty = np.empty(0, dtype=np.float32)
            return empty, empty, empty
        best = np.maximum.reduceat(sims, self.starts)
        parts = self.rowids >> PART_SHIFT
        whole = np.where(parts[self.starts] == 0, sims[self.starts], best)
        windows_only = np.where(parts == 0, -np.inf, sims)
        window = np.maximum.reduceat(windows_only, self.starts)
        window = np.where(np.isfinite(window), window, whole).astype(np.float32)
        return best, whole, window

    def positions(self, seqs: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """(the given seqs that have vectors, their indexes into `seqs`)."""
        wanted = np.asarray(list(seqs), dtype=np.int64)
        if not len(self.seqs) or not len(wanted):
            return wanted[:0], wanted[:0]
        idx = np.clip(np.searchsorted(self.seqs, wanted), 0, len(self.seqs) - 1)
        found = self.seqs[idx] == wanted
        return wanted[found], idx[found]


_BLOCK = 8192
_MATRIX_CACHE_BYTES = 256 * 1024 * 1024
_matrices: OrderedDict[tuple[str, str, str | None], Matrix] = OrderedDict()
_matrices_lock = threading.Lock()


def generation(conn: Connection, table: str) -> str:
    """A random stamp that every write to `table`'s plain vector table renews (by trigger)."""
    if table not in PLAIN:
        raise UsageError(f"{table!r} keeps its vectors in vec0, not in memory")
    return meta.get(conn, KNOWLEDGE_GENERATION_KEY) or ""


def matrix(conn: Connection, table: str, embedder_id: str, coach_id: str | None = None) -> Matrix | None:
    """The vectors of `table` (of one coach's passages when `coach_id` is given) in memory.

    Loaded once per generation: any insert, update or delete renews the stamp, so a stale copy is
    never used. None when the table holds another embedder's space. Kept in a small LRU (256 MiB
    at most), keyed by the stamp, which is random per write and so never shared by two profiles.
    """
    if space(conn, table) != embedder_id:
        return None
    key = (generation(conn, table), embedder_id, coach_id)
    with _matrices_lock:
        if key in _matrices:
            _matrices.move_to_end(key)
            return _matrices[key]
    loaded = _load(conn, table, coach_id)
    with _matrices_lock:
        _matrices[key] = loaded
        total = sum(m.nbytes for m in _matrices.values())
        while len(_matrices) > 1 and total > _MATRIX_CACHE_BYTES:
            _, dropped = _matrices.popitem(last=False)
            total -= dropped.nbytes
    return loaded


def _load(conn: Connection, table: str, coach_id: str | None) -> Matrix:
    plain = PLAIN[table]
    if coach_id is None:
        cursor = conn.execute(f"SELECT seq, part, embedding FROM {plain} ORDER BY seq, part")
    else:
        cursor = conn.execute(
            f"SELECT v.seq, v.part, v.embedding FROM {table} AS t JOIN {plain} AS v ON v.seq = t.seq "
            "WHERE t.coach_id = ? ORDER BY v.seq, v.part",
            (coach_id,),
        )
    seq_list: list[int] = []
    part_list: list[int] = []
    blobs: list[bytes] = []
    for seq, part, blob in cursor:
        seq_list.append(seq)
        part_list.append(part)
        blobs.append(blob)
    vecs = np.frombuffer(b"".join(blobs), dtype=np.int8).reshape(len(blobs), EMBEDDING_DIM).copy()
    row_seqs = np.asarray(seq_list, dtype=np.int64)
    rowids = row_seqs + (np.asarray(part_list, dtype=np.int64) << PART_SHIFT)
    norms = np.sqrt(np.einsum("ij,ij->i", vecs, vecs, dtype=np.float32))
    inverse = np.where(norms > 0, 1.0 / np.maximum(norms, 1e-9), 0.0).astype(np.float32)
    seqs, starts = np.unique(row_seqs, return_index=True)
    heads = vecs[starts].astype(np.float32) * inverse[starts, None]
    return Matrix(rowids, vecs, inverse, seqs.astype(np.int64), starts.astype(np.int64), heads)


def top_indexes(scores: np.ndarray, k: int) -> np.ndarray:
    """Indexes of the `k` largest scores, best first."""
    if k >= len(scores):
        return np.argsort(-scores, kind="stable")
    part = np.argpartition(-scores, k)[:k]
    return part[np.argsort(-scores[part], kind="stable")]


def clear_matrices() -> None:
    """Drop every in-memory knowledge matrix (when a profile locks, nothing decrypted stays behind)."""
    with _matrices_lock:
        _matrices.clear()


def cached_matrices() -> int:
    with _matrices_lock:
        return len(_matrices)
