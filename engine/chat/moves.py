"""Ranking a coach's playbook moves by meaning for one message at one point of a conversation.

A move fits when one of its situations (or its text) is close to what the person just wrote *and*
to what the conversation was about (the person's messages before this one): "What should I say?"
alone says nothing about the topic, while the conversation says it is about a manager's criticism.
The two similarities are blended. A follow-up, which takes up what the person just answered, is
matched against the statements of the message (not its question). Without an embedder, shared
content words stand in for the vectors.

The move vectors come with the pack (made by the builder's embedder) or, when this device's embedder
differs, are made here once per coach version and kept for the process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from engine.chat.context import ScoredMove
from engine.coaches.playbook import Move

MESSAGE_WEIGHT = 0.5  # the rest goes to the conversation's topic
TOPIC_TURNS = 3  # the person's messages before this one that make the topic (with this one: 3)
HUB_NEIGHBOURS = 10
HUB_PENALTY = 0.5  # share of a move's hubness taken off its fit

Embed = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class MoveVectors:
    """Unit vectors of a playbook: `rows[i]` belongs to move `owner[i]` (an index into the moves),
    and each move's `hub` score (see `hubness`)."""

    owner: np.ndarray
    rows: np.ndarray
    hub: np.ndarray


def hubness(owner: np.ndarray, rows: np.ndarray, n: int, k: int = HUB_NEIGHBOURS) -> np.ndarray:
    """How close each move sits to everything: the mean similarity of its rows' `k` nearest rows of
    *other* moves. In a sentence-embedding space some texts are near every query (a "hub") and would
    win every turn; subtracting part of this, as CSLS does for word translation, lets the move that
    is specifically about the message win instead. The other moves' situations stand in for the
    messages a coach receives."""
    sims = rows @ rows.T
    sims[owner[:, None] == owner[None, :]] = -1.0  # a move is not its own neighbour
    k = max(1, min(k, rows.shape[0] - 1))
    nearest = np.sort(sims, axis=1)[:, -k:].mean(axis=1)
    hub = np.zeros(n, dtype=np.float32)
    counts = np.zeros(n, dtype=np.float32)
    np.add.at(hub, owner, nearest)
    np.add.at(counts, owner, 1.0)
    return hub / np.maximum(counts, 1.0)


_cache: dict[tuple[str, str, str], tuple[list[str], MoveVectors]] = {}
_lock = threading.Lock()


def move_vectors(
    key: tuple[str, str, str],
    moves: Sequence[Move],
    load_stored: Callable[[], tuple[str, list[str], np.ndarray] | None],
    embed: Embed,
) -> MoveVectors:
    """The vectors of `moves`, cached under `key` (coach id, version stamp, embedder id): the
    installed ones when they match the embedder and cover every move, else embedded here once."""
    ids = [m.id for m in moves]
    with _lock:
        hit = _cache.get(key)
    if hit is not None and hit[0] == ids:
        return hit[1]
    position = {move_id: i for i, move_id in enumerate(ids)}
    stored = load_stored()
    if stored is not None and stored[0] == key[2] and set(ids) <= set(stored[1]):
        keep = [r for r, move_id in enumerate(stored[1]) if move_id in position]
        owner = np.array([position[stored[1][r]] for r in keep], dtype=np.int64)
        rows = _units(stored[2][keep])
    else:
        owner = np.array([i for i, m in enumerate(moves) for _ in m.embedding_texts()], dtype=np.int64)
        rows = _units(np.asarray(embed([t for m in moves for t in m.embedding_texts()]), dtype=np.float32))
    vectors = MoveVectors(owner, rows, hubness(owner, rows, len(moves)))
    with _lock:
        _cache[key] = (ids, vectors)
    return vectors


def forget() -> None:
    with _lock:
        _cache.clear()


def rank(
    moves: Sequence[Move],
    vectors: MoveVectors | None,
    message: np.ndarray | None,
    topic: np.ndarray | None,
    statement: np.ndarray | None,
    *,
    words: tuple[set[str], set[str], set[str]],
    words_of: Callable[[str], set[str]],
) -> list[ScoredMove]:
    """Every move with its fit, best first. `message`, `topic` and `statement` are query vectors
    (None without an embedder: then `words`, the content words of the three, are used)."""
    if not moves:
        return []
    if vectors is not None and message is not None:
        per_move = [_best_per_move(vectors, v, len(moves)) for v in (message, topic, statement)]
        msg, top, stat = ((p if p is not None else per_move[0]) - HUB_PENALTY * vectors.hub for p in per_move)
    else:
        texts = [set().union(*(words_of(t) for t in m.embedding_texts())) for m in moves]
        msg, top, stat = (np.array([_overlap(t, w) for t in texts], dtype=np.float32) for w in words)
    scores = np.where(
        np.array([m.kind == "followup" for m in moves]),
        MESSAGE_WEIGHT * stat + (1 - MESSAGE_WEIGHT) * msg,
        MESSAGE_WEIGHT * msg + (1 - MESSAGE_WEIGHT) * top,
    )
    order = np.argsort(-scores, kind="stable")
    return [ScoredMove(moves[i], float(scores[i])) for i in order]


def _best_per_move(vectors: MoveVectors, query: np.ndarray | None, n: int) -> np.ndarray | None:
    """For each move, the similarity of its closest row to `query`."""
    if query is None:
        return None
    q = np.asarray(query, dtype=np.float32)
    sims = vectors.rows @ (q / max(float(np.linalg.norm(q)), 1e-9))
    best = np.full(n, -1.0, dtype=np.float32)
    np.maximum.at(best, vectors.owner, sims)
    return best


def _units(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-9)


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / (len(b) ** 0.5 * 3) if a and b else 0.0
