"""Text similarity for memory upkeep: near-duplicates and which old fact a new one replaces.

Lexical similarity (stemmed content words, Jaccard) needs no model and is exact about repeats; when
an embedder is available, the Engine passes its cosine instead (`Similarity`), which also sees that
"training for the Berlin Marathon" and "running Valencia instead" are about the same thing.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Similarity = Callable[[str, str], float]

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "then",
        "so",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "about",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "i",
        "i'm",
        "im",
        "me",
        "my",
        "mine",
        "we",
        "our",
        "you",
        "your",
        "he",
        "she",
        "it",
        "they",
        "them",
        "their",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "have",
        "has",
        "had",
        "do",
        "does",
        "did",
        "not",
        "no",
        "yes",
        "just",
        "very",
        "really",
        "will",
        "would",
        "can",
        "could",
        "should",
        "may",
        "might",
        "must",
        "am",
        "up",
        "out",
        "over",
        "into",
        "than",
        "too",
        "also",
        "what",
        "which",
        "who",
        "whom",
        "when",
        "where",
        "why",
        "how",
        "all",
        "any",
        "some",
        "more",
        "most",
    ]
)


def stem(word: str) -> str:
    """A light English stemmer: enough to match 'running'/'runs'/'run', cheap and predictable."""
    for suffix in ("ingly", "edly", "ing", "ed", "es", "s", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
        word = word[:-1]  # runn → run
    return word


def content_terms(text: str) -> set[str]:
    return {stem(w) for w in _WORD.findall(text.lower()) if w not in STOP_WORDS}


def lexical_similarity(a: str, b: str) -> float:
    ta, tb = content_terms(a), content_terms(b)
    if not ta or not tb:
        return 1.0 if a.strip().lower() == b.strip().lower() else 0.0
    return len(ta & tb) / len(ta | tb)


def normalise(text: str) -> str:
    """Whitespace and case folded: two captures of the same sentence compare equal."""
    return " ".join(text.lower().split()).rstrip(".!")
