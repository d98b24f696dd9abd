"""Indexing a coach's knowledge: passages into `chunks` (FTS5 follows by trigger) and their vectors.

Each passage is one `chunks` row. Its vectors live in `chunks_vec`: the passage itself (title and
text, truncated by the embedder) at rowid = seq, and, when the passage is longer than the embedder's
window, each overlapping window at rowid = seq + window × 2⁴⁰ (`window_rowid`). So every window
points back at its passage with a bit mask, and no schema change or side table is needed; seqs stay
far below 2⁴⁰.

`doc_id` groups the passages of one document (a letter, a chapter) so search can use the document as
context for each of its passages; BEIR sets have no such field, and `document_key` derives it from a
title such as "Letter 5: The Philosopher's Mean (part 2)".
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from engine.clock import new_id
from engine.retrieval import chunking, vectors
from engine.store.connection import Connection

WINDOW_SHIFT = 40
SEQ_MASK = (1 << WINDOW_SHIFT) - 1
MAX_WINDOWS = 64
EMBED_BATCH = 64

Progress = Callable[[int, int], None]  # (done, total)

_PART_SUFFIX = re.compile(r"\s*[\(\[]?\bpart\s+\d+[\)\]]?\s*$", re.IGNORECASE)


class DocumentEmbedder(Protocol):
    """What indexing needs from an embedder (`engine.inference` embedders satisfy it)."""

    @property
    def embedder_id(self) -> str: ...

    def embed_batch(self, texts: Sequence[str], *, kind: str = "document") -> np.ndarray: ...


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


def embed(
    conn: Connection,
    seqs: Sequence[int],
    docs: Sequence[KnowledgeDoc],
    embedder: DocumentEmbedder,
    *,
    window_tokens: int | None,
    count_tokens: chunking.TokenCounter = chunking.estimate_tokens,
    progress: Progress | None = None,
) -> int:
    """Embed each passage (and its windows when `window_tokens` is set); returns vectors stored."""
    jobs: list[tuple[int, str]] = []  # (vec0 rowid, text)
    for seq, doc in zip(seqs, docs, strict=True):
        jobs.append((seq, embedding_text(doc.title, doc.text)))
        if window_tokens:
            pieces = chunking.passage_windows(doc.text, window_tokens, count_tokens)
            if len(pieces) > 1:
                for w, piece in enumerate(pieces[: MAX_WINDOWS - 1], 1):
                    jobs.append((window_rowid(seq, w), piece))
    embedder_id = embedder.embedder_id
    stored = 0
    if progress:
        progress(0, len(jobs))
    for start in range(0, len(jobs), EMBED_BATCH):
        batch = jobs[start : start + EMBED_BATCH]
        matrix = embedder.embed_batch([t for _, t in batch], kind="document")
        stored += vectors.upsert(conn, "chunks", zip((r for r, _ in batch), matrix, strict=True), embedder_id)
        if progress:
            progress(min(start + EMBED_BATCH, len(jobs)), len(jobs))
    return stored


def refs(conn: Connection, seqs: Iterable[int]) -> dict[int, str]:
    """The caller's ref of each passage seq (its BEIR `_id`)."""
    wanted = list(seqs)
    if not wanted:
        return {}
    marks = ",".join("?" * len(wanted))
    rows = conn.execute(f"SELECT seq, meta FROM chunks WHERE seq IN ({marks})", wanted).fetchall()
    return {int(seq): str(json.loads(meta).get("ref", "")) for seq, meta in rows}
