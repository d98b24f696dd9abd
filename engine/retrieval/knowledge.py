"""Indexing a coach's knowledge: passages into `chunks` (FTS5 follows by trigger) and their vectors.

Each passage is one `chunks` row. Its vectors live in `chunks_vectors`, keyed by (seq, part): the
passage itself (title and text, truncated by the embedder) at part 0, and, when the passage is longer
than one window (`WINDOW_TOKENS`), each overlapping window at parts 1…. `engine.retrieval.vectors`
addresses them as rowid = seq + part × 2⁴⁰ (`window_rowid`), so every window points back at its
passage with a bit mask; seqs stay far below 2⁴⁰.

`doc_id` groups the passages of one document (a letter, a chapter) so search can use the document as
context for each of its passages; BEIR sets have no such field, and `document_key` derives it from a
title such as "Letter 5: The Philosopher's Mean (part 2)".
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from engine.clock import new_id
from engine.errors import DataError
from engine.retrieval import chunking, vectors
from engine.store.connection import Connection
from engine.store.database import Database

WINDOW_SHIFT = vectors.PART_SHIFT
SEQ_MASK = vectors.SEQ_MASK
MAX_WINDOWS = 64
EMBED_BATCH = 64
# Windows of 128 word pieces (half MiniLM's 256): short enough that one thought dominates the vector,
# long enough to hold it. On the stoic set, 128-token windows combined with the whole-passage vector
# gave dense nDCG@10 0.242 against 0.229 for the passage alone.
WINDOW_TOKENS = 128

Progress = Callable[[int, int], None]  # (done, total)

_PART_SUFFIX = re.compile(r"\s*[\(\[]?\bpart\s+\d+[\)\]]?\s*$", re.IGNORECASE)


class DocumentEmbedder(Protocol):
    """What indexing needs from an embedder (`engine.inference` embedders satisfy it)."""

    @property
    def embedder_id(self) -> str: ...

    def embed_batch(self, texts: Sequence[str], *, kind: str = "document") -> np.ndarray: ...


@dataclass(frozen=True)
class KnowledgeIndexReport:
    passages: int
    vectors: int
    embedder_id: str | None  # None: stored for BM25 only (no embedder available)


@dataclass(frozen=True)
class KnowledgeDoc:
    """One passage of a coach's knowledge. `ref` is the caller's id for it (a BEIR `_id`)."""

    ref: str
    text: str
    title: str = ""
    doc_id: str | None = None  # the document it belongs to; derived from the title when None
    position: int | None = None  # order within the document; input order when None


def document_key(ref: str, title: str) -> str:
    """The document a passage belongs to: its title without a trailing "(part N)", else its ref."""
    stem = _PART_SUFFIX.sub("", title).strip()
    return stem or ref


def window_rowid(seq: int, window: int) -> int:
    return seq + (window << WINDOW_SHIFT)


def passage_seq(rowid: int) -> int:
    return rowid & SEQ_MASK


def embedding_text(title: str, text: str) -> str:
    """What the passage vector embeds: the title gives the topic ("On Anger") the text may not name."""
    return f"{title}. {text}" if title else text


def insert(conn: Connection, coach_id: str, docs: Sequence[KnowledgeDoc]) -> list[int]:
    """Insert passages (FTS5 twin kept by trigger); returns their seqs in input order."""
    seqs: list[int] = []
    positions: dict[str, int] = {}
    for doc in docs:
        group = doc.doc_id or document_key(doc.ref, doc.title)
        position = doc.position if doc.position is not None else positions.get(group, 0)
        positions[group] = position + 1
        cur = conn.execute(
            "INSERT INTO chunks (id, coach_id, doc_id, title, text, position, meta) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (new_id(), coach_id, group, doc.title, doc.text, position, json.dumps({"ref": doc.ref})),
        )
        seqs.append(int(cur.lastrowid))
    return seqs


def plan_vectors(
    conn: Connection,
    seqs: Sequence[int],
    docs: Sequence[KnowledgeDoc],
    *,
    window_tokens: int | None,
    count_tokens: chunking.TokenCounter = chunking.estimate_tokens,
) -> list[tuple[int, str]]:
    """(vec0 rowid, text) to embed for each passage: itself, then its windows when it needs several.

    Records in each passage's meta how many vectors it has, so search can look them all up.
    """
    jobs: list[tuple[int, str]] = []
    for seq, doc in zip(seqs, docs, strict=True):
        jobs.append((seq, embedding_text(doc.title, doc.text)))
        pieces = chunking.passage_windows(doc.text, window_tokens, count_tokens) if window_tokens else []
        pieces = pieces[: MAX_WINDOWS - 1] if len(pieces) > 1 else []
        jobs.extend((window_rowid(seq, w), piece) for w, piece in enumerate(pieces, 1))
        conn.execute(
            "UPDATE chunks SET meta = json_set(meta, '$.vectors', ?) WHERE seq = ?", (len(pieces) + 1, seq)
        )
    return jobs


@dataclass(frozen=True)
class Prebuilt:
    """Vectors made elsewhere (a coach pack's `index/`): per passage ref, its passage vector then its
    window vectors, as rows of a float matrix, all from the embedder named by `embedder_id`."""

    embedder_id: str
    vectors: Mapping[str, np.ndarray]


def load_prebuilt(path: Path, embedder_id: str) -> Prebuilt | None:
    """Vectors saved as a pack's `index/vectors.npz` plus an `embedder_id` entry (an earlier run's
    output, such as testkit/data/stoic_vectors.npz); None when another embedder made them."""
    from engine.coaches.pack import split_vectors

    saved = np.load(path, allow_pickle=False)
    if str(saved["embedder_id"]) != embedder_id:
        return None
    return Prebuilt(embedder_id, split_vectors(saved))


def index(
    db: Database,
    coach_id: str,
    docs: Sequence[KnowledgeDoc],
    embedder: DocumentEmbedder | None,
    *,
    window_tokens: int | None = WINDOW_TOKENS,
    count_tokens: chunking.TokenCounter = chunking.estimate_tokens,
    progress: Progress | None = None,
    prebuilt: Prebuilt | None = None,
) -> KnowledgeIndexReport:
    """Insert passages and embed them (or store `prebuilt` vectors, skipping the model).

    Rows go in one transaction (all or none); vectors follow in batches, each its own transaction,
    computed outside the database lock so other callers (the UI, a chat turn) are not blocked for the
    minutes a large book takes. Should embedding stop midway, the passages already answer BM25
    queries; their dense scores simply lack the missing vectors.
    """
    if not docs:
        return KnowledgeIndexReport(0, 0, None)
    embedder_id = prebuilt.embedder_id if prebuilt else embedder.embedder_id if embedder else None
    if embedder_id is not None:
        with db.lock:
            current = vectors.space(db.conn, "chunks")
        if current is not None and current != embedder_id:
            raise DataError(
                f"this profile's knowledge vectors were made by {current}, not {embedder_id}; "
                "re-embed the knowledge before adding more"
            )
    if prebuilt is not None:
        missing = [d.ref for d in docs if d.ref not in prebuilt.vectors]
        if missing:
            raise DataError(f"prebuilt vectors lack {len(missing)} passages, e.g. {missing[0]!r}")
    with db.atomic() as conn:
        seqs = insert(conn, coach_id, docs)
        if prebuilt is not None:
            jobs: list[tuple[int, Any]] = []
            for seq, doc in zip(seqs, docs, strict=True):
                matrix = np.atleast_2d(prebuilt.vectors[doc.ref])[:MAX_WINDOWS]
                jobs.extend((window_rowid(seq, w), row) for w, row in enumerate(matrix))
                conn.execute(
                    "UPDATE chunks SET meta = json_set(meta, '$.vectors', ?) WHERE seq = ?",
                    (len(matrix), seq),
                )
        else:
            jobs = plan_vectors(
                conn, seqs, docs, window_tokens=window_tokens if embedder else None, count_tokens=count_tokens
            )
    if embedder_id is None:
        return KnowledgeIndexReport(len(seqs), 0, None)
    stored = 0
    if progress:
        progress(0, len(jobs))
    for start in range(0, len(jobs), EMBED_BATCH):
        batch = jobs[start : start + EMBED_BATCH]
        if prebuilt is not None:
            rows = [np.asarray(v, dtype=np.float32) for _, v in batch]
        else:
            assert embedder is not None
            rows = list(embedder.embed_batch([t for _, t in batch], kind="document"))
        with db.atomic() as conn:
            stored += vectors.upsert(
                conn, "chunks", zip((r for r, _ in batch), rows, strict=True), embedder_id
            )
        if progress:
            progress(start + len(batch), len(jobs))
    return KnowledgeIndexReport(len(seqs), stored, embedder_id)


def export_vectors(conn: Connection, coach_id: str) -> Prebuilt | None:
    """Every stored vector of a coach's passages by ref (the inverse of `Prebuilt`), for a coach
    pack's `index/` or to re-use real vectors elsewhere; None when the profile holds no vectors."""
    space = vectors.space(conn, "chunks")
    if space is None:
        return None
    rows = conn.execute(
        "SELECT seq, meta, coalesce(json_extract(meta, '$.vectors'), 1) FROM chunks WHERE coach_id = ? ORDER BY seq",
        (coach_id,),
    ).fetchall()
    out: dict[str, np.ndarray] = {}
    for start in range(0, len(rows), 200):
        part = rows[start : start + 200]
        rowids = [window_rowid(int(seq), w) for seq, _, n in part for w in range(int(n))]
        stored = vectors.fetch(conn, "chunks", rowids, space)
        for seq, meta, n in part:
            found = [stored[r] for r in (window_rowid(int(seq), w) for w in range(int(n))) if r in stored]
            if found:
                out[str(json.loads(meta).get("ref", ""))] = np.stack(found)
    return Prebuilt(space, out)


@dataclass(frozen=True)
class KnowledgeHit:
    """A passage found by `engine.knowledge.search`, with where it came from and why it ranks here."""

    ref: str  # the caller's id of the passage (a BEIR `_id`)
    doc_id: str
    title: str
    text: str
    score: float
    found_by: tuple[str, ...]  # which first-stage lists found it: "bm25", "dense", or "context"
    ranks: dict[str, int]  # its rank in each of those lists
    scores: dict[str, float]  # every score along the way (bm25, dense, fused, context, rerank)


@dataclass(frozen=True)
class KnowledgeResults:
    hits: list[KnowledgeHit]
    method: str  # the method that actually ran ("bm25" when no embedder was available)
    dense_available: bool
    timings_ms: dict[str, float]


def token_counter(embedder: object | None) -> chunking.TokenCounter:
    """Exact word-piece counts from the embedder's own tokenizer (no truncation), else an estimate."""
    path = getattr(embedder, "tokenizer_file", None)
    if path is None:
        return chunking.estimate_tokens
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_truncation()
    tokenizer.no_padding()

    def count(texts: Sequence[str]) -> list[int]:
        return [len(e.ids) for e in tokenizer.encode_batch(list(texts))]

    return count


def describe(conn: Connection, hits: Sequence[object]) -> list[KnowledgeHit]:
    """Pipeline hits (`pipeline.Hit`) → `KnowledgeHit`s with the passage's text and provenance."""
    seqs = [h.seq for h in hits]  # type: ignore[attr-defined]
    if not seqs:
        return []
    marks = ",".join("?" * len(seqs))
    rows = {
        int(r[0]): r
        for r in conn.execute(
            f"SELECT seq, meta, doc_id, title, text FROM chunks WHERE seq IN ({marks})", seqs
        ).fetchall()
    }
    out: list[KnowledgeHit] = []
    for h in hits:
        row = rows.get(h.seq)  # type: ignore[attr-defined]
        if row is None:
            continue
        ref = str(json.loads(row[1]).get("ref", ""))
        out.append(
            KnowledgeHit(ref, str(row[2]), str(row[3]), str(row[4]), h.score, h.found_by, h.ranks, h.scores)  # type: ignore[attr-defined]
        )
    return out
