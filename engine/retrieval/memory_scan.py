"""Exact nearest neighbours for the coachee's own vectors (facts, notes), scanned in memory.

sqlite-vec's brute-force KNN re-reads and decrypts every vector page per query: about 20 ms per
25k-row twin here, twice per recall (facts and notes). This keeps each twin's vectors in memory as
unit-length float32 rows and scores them with one BLAS product, a couple of milliseconds per 25k rows.
Measured alternatives: int8 rows widened to float32 block by block per query cost 24 ms (the
conversion dominates), float16 is slower still in numpy. The price is memory: 1.5 KB per fact or
note, about 75 MB for 50k; a locked profile keeps none (`forget`). The copy follows the twin: it is checked with one cheap query on the
twin's rowid table, and new rows (a capture adds one or two) are appended without a full reload.
Vectors are only ever added or removed here (facts and notes are never edited in place), so the
vector space, the row count and the highest rowid tell when the copy is stale.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from engine.store.connection import Connection


@dataclass
class _Copy:
    marker: tuple[object, ...]
    rowids: np.ndarray  # int64
    rows: np.ndarray  # float32, (n, dim), unit length


_copies: dict[tuple[int, str], _Copy] = {}
_lock = threading.Lock()


def _marker(conn: Connection, table: str, space: str) -> tuple[object, ...]:
    path = conn.execute("PRAGMA database_list").fetchone()[2]
    # The vector space is part of it: re-embedding after a change of model keeps count and rowids.
    count, top = conn.execute(f"SELECT count(*), coalesce(max(rowid), 0) FROM {table}_vec_rowids").fetchone()
    return (path, space, int(count), int(top))


def _decode(rows: list[tuple[int, bytes]], dim: int) -> tuple[np.ndarray, np.ndarray]:
    rowids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    if not rows:
        return rowids, np.zeros((0, dim), dtype=np.float32)
    matrix = (
        np.frombuffer(b"".join(r[1] for r in rows), dtype=np.int8).reshape(len(rows), dim).astype(np.float32)
    )
    matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-9)
    return rowids, matrix


def _copy(conn: Connection, table: str, dim: int, space: str) -> _Copy:
    marker = _marker(conn, table, space)
    key = (id(conn), table)
    with _lock:
        current = _copies.get(key)
    if current is not None and current.marker == marker:
        return current
    if current is not None and current.marker[:2] == marker[:2] and marker[2] > current.marker[2]:
        last_top = int(current.marker[3])
        new_ids = [
            r[0] for r in conn.execute(f"SELECT rowid FROM {table}_vec_rowids WHERE rowid > ?", (last_top,))
        ]
        if len(new_ids) == int(marker[2]) - int(current.marker[2]):  # only appends since the last look
            fresh = [
                (
                    rid,
                    conn.execute(f"SELECT embedding FROM {table}_vec WHERE rowid = ?", (rid,)).fetchone()[0],
                )
                for rid in new_ids
            ]
            rowids, rows = _decode(fresh, dim)
            updated = _Copy(
                marker, np.concatenate([current.rowids, rowids]), np.concatenate([current.rows, rows])
            )
            with _lock:
                _copies[key] = updated
            return updated
    rowids, rows = _decode(conn.execute(f"SELECT rowid, embedding FROM {table}_vec").fetchall(), dim)
    loaded = _Copy(marker, rowids, rows)
    with _lock:
        _copies[key] = loaded
    return loaded


def nearest(conn: Connection, table: str, query: np.ndarray, k: int, space: str) -> list[tuple[int, float]]:
    """(rowid, cosine similarity) of the `k` most similar rows, best first.

    `space` is the twin's embedder id as the caller (`vectors.nearest`) has just read it from `meta`.
    """
    q = np.asarray(query, dtype=np.float32)
    q = q / max(float(np.linalg.norm(q)), 1e-9)
    data = _copy(conn, table, q.shape[0], space)
    n = len(data.rowids)
    if n == 0:
        return []
    sims = data.rows @ q
    k = min(k, n)
    top = np.argpartition(-sims, k - 1)[:k]
    top = top[np.argsort(-sims[top], kind="stable")]
    return [(int(data.rowids[i]), float(sims[i])) for i in top]


def forget(conn: Connection) -> None:
    """Drop the copies made for a connection that is closing (a locked profile keeps none in memory)."""
    with _lock:
        for key in [k for k in _copies if k[0] == id(conn)]:
            del _copies[key]


def cached() -> int:
    """How many decrypted vector copies are held (the lock tests assert none remain)."""
    with _lock:
        return len(_copies)
