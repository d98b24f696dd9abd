"""How well a passage would fit as a quote for a message: the number the quote gate is calibrated on.

Two cosines, averaged: the message against the passage as the search saw it (its best window), and
the message against the sentences that would actually be quoted (`grounded.pick_quote`). A passage
can match a question through one clause while the sentences shown say something else; the second
cosine catches that. On the public Stoic queries the average ranks quotes better than the passage
cosine alone (README, Coaching quality).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from engine.chat.grounded import content_words, pick_quote

Embed = Callable[[list[str]], np.ndarray]
CANDIDATES = 2  # the composer quotes the best passage, and a second only from the next ones


def relevances(
    message: str,
    message_vector: np.ndarray | None,
    passages: Sequence[tuple[str, float]],
    embed: Embed | None,
) -> list[float]:
    """For (text, passage cosine) pairs in search order, the quote relevance of each: the average
    described above for the first `CANDIDATES`, the passage cosine for the rest (never quoted)."""
    out = [cosine for _, cosine in passages]
    if embed is None or message_vector is None or not passages:
        return out
    words = content_words(message)
    head = [pick_quote(text, words)[0] for text, _ in passages[:CANDIDATES]]
    vectors = np.asarray(embed(head), dtype=np.float32)
    q = np.asarray(message_vector, dtype=np.float32)
    q = q / max(float(np.linalg.norm(q)), 1e-9)
    sims = vectors @ q / np.maximum(np.linalg.norm(vectors, axis=1), 1e-9)
    for i, sim in enumerate(sims):
        out[i] = (out[i] + float(sim)) / 2
    return out
