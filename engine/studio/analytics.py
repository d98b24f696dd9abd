"""The creator's own numbers from their preview conversations: what the draft actually gets used for.

Nothing here leaves the device, and only the studio's preview turns are counted (never a coachee's
conversations): a creator sees which moves the composer reaches for, which passages carry the coach,
which replies quoted nothing (a gap in the books, or a gate doing its job), and which moves never come
up (situations worded unlike what people say, or moments that never occur).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class TurnRecord:
    message: str
    moves: list[str]
    passages: list[str]


@dataclass(frozen=True)
class Analytics:
    turns: int
    move_use: list[tuple[str, int]]  # most used first
    passage_use: list[tuple[str, int]]
    quoted_nothing: list[str]  # the messages whose reply quoted no passage
    unused_moves: list[str]  # moves of the current playbook no preview reply made


def summarise(turns: Sequence[TurnRecord], playbook_ids: Sequence[str]) -> Analytics:
    moves = Counter(m for t in turns for m in t.moves)
    passages = Counter(p for t in turns for p in t.passages)
    return Analytics(
        len(turns),
        moves.most_common(),
        passages.most_common(),
        [t.message for t in turns if not t.passages],
        [m for m in playbook_ids if m not in moves],
    )
