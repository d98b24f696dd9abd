"""Windows over a passage that fit the embedder's token window, each pointing back at its passage.

MiniLM truncates at 256 word pieces, and a median passage of the stoic corpus is about 260 of them:
embedding the passage whole silently drops its ending. Splitting it into sentence-aligned windows
that overlap by a sentence means every sentence is embedded somewhere, and no window starts in the
middle of a thought. Search scores a passage by its windows (`best window` and the passage vector
together, see `pipeline`), and every window carries the passage it came from, so results always name
the passage, never a fragment.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# A sentence ends at . ! ? ; or : followed by space (old translations lean on semicolons and colons
# for long periodic sentences, which would otherwise make one "sentence" of a whole paragraph).
_SENTENCE_END = re.compile(r"(?<=[.!?;:])[\"'”’)\]]*\s+")

TokenCounter = Callable[[Sequence[str]], list[int]]


def estimate_tokens(texts: Sequence[str]) -> list[int]:
    """Word pieces per text, estimated (1.3 per word plus the two special tokens).

    Used when no tokenizer is at hand (BM25-only profiles); the real tokenizer is preferred.
    """
    return [int(len(t.split()) * 1.3) + 2 for t in texts]


@dataclass(frozen=True)
class Window:
    """A piece of a passage: `index` 0 is the passage's first window."""

    passage: int  # position of the passage in the list given to `windows`
    index: int
    text: str


def split_sentences(text: str) -> list[str]:
    parts = [p.strip() for p in _SENTENCE_END.split(text)]
    return [p for p in parts if p]


def passage_windows(
    text: str, max_tokens: int, count_tokens: TokenCounter = estimate_tokens, overlap: int = 1
) -> list[str]:
    """Sentence-aligned windows of at most `max_tokens` (a longer single sentence is cut by words).

    Consecutive windows share their last/first `overlap` sentences, so a thought that straddles a
    boundary is whole in at least one window. A passage that fits is one window: itself.
    """
    if max_tokens < 8:
        raise ValueError("max_tokens must be at least 8")
    if count_tokens([text])[0] <= max_tokens:
        return [text]
    sentences: list[str] = []
    for sentence in split_sentences(text):
        sentences.extend(_cut_long(sentence, max_tokens, count_tokens))
    sizes = count_tokens(sentences)
    windows: list[str] = []
    start = 0
    while start < len(sentences):
        end = start
        total = 2  # [CLS] and [SEP]
        while end < len(sentences) and (end == start or total + sizes[end] - 2 <= max_tokens):
            total += sizes[end] - 2
            end += 1
        windows.append(" ".join(sentences[start:end]))
        if end >= len(sentences):
            break
        start = max(start + 1, end - overlap)
    return windows


def windows(
    texts: Sequence[str], max_tokens: int, count_tokens: TokenCounter = estimate_tokens, overlap: int = 1
) -> list[Window]:
    """All windows of all passages, in passage order."""
    out: list[Window] = []
    for p, text in enumerate(texts):
        for i, piece in enumerate(passage_windows(text, max_tokens, count_tokens, overlap)):
            out.append(Window(p, i, piece))
    return out


def _cut_long(sentence: str, max_tokens: int, count_tokens: TokenCounter) -> list[str]:
    """A sentence longer than the window, cut into word runs that fit (rare: lists, run-ons)."""
    if count_tokens([sentence])[0] <= max_tokens:
        return [sentence]
    words = sentence.split()
    pieces: list[str] = []
    current: list[str] = []
    for word in words:
        candidate = [*current, word]
        if current and count_tokens([" ".join(candidate)])[0] > max_tokens:
            pieces.append(" ".join(current))
            current = [word]
        else:
            current = candidate
    if current:
        pieces.append(" ".join(current))
    return pieces
