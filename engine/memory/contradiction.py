"""Deciding what a new fact does to the active ones: add, bump a duplicate, supersede, or ask.

Pure: the caller gives the candidates (active facts about the same entity and category) and a
similarity function; nothing here touches the store. The no-deletion rule lives in the caller:
"supersede" marks the old fact superseded and points it to the new one, it never removes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from engine.memory.similarity import Similarity, normalise

Action = Literal["add", "duplicate", "supersede", "suggest"]

# Words with which people announce that something changed.
CHANGE_MARKERS = re.compile(
    r"\b(instead|changed? (?:my |our |the )?(?:plans?|mind)|change of plans?|no longer|not any ?more|anymore|"
    r"switch(?:ed|ing)? to|moved? to|from now on|replac(?:e|ed|ing)|cancel+(?:ed)?|dropped|gave up|"
    r"quit|stopped|actually|now (?:i'?m|i am|we'?re|it'?s))\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Thresholds:
    """Cut-offs on the similarity scale in use (lexical Jaccard and embedding cosine differ)."""

    duplicate: float
    unsure: float
    replace_floor: float


LEXICAL = Thresholds(duplicate=0.8, unsure=0.5, replace_floor=0.1)
SEMANTIC = Thresholds(duplicate=0.92, unsure=0.75, replace_floor=0.3)


@dataclass(frozen=True)
class Candidate:
    id: str
    content: str


@dataclass(frozen=True)
class Decision:
    action: Action
    target_id: str | None
    similarity: float
    reason: str


def announces_change(text: str) -> bool:
    return CHANGE_MARKERS.search(text) is not None


def decide(
    new_text: str,
    candidates: list[Candidate],
    similarity: Similarity,
    thresholds: Thresholds,
    *,
    scoped_to_entity: bool,
) -> Decision:
    """What to do with `new_text` given the active facts it could duplicate or replace."""
    if not candidates:
        return Decision("add", None, 0.0, "nothing similar is known")
    norm = normalise(new_text)
    for c in candidates:
        if normalise(c.content) == norm:
            return Decision("duplicate", c.id, 1.0, "the same fact is already known")
    scored = sorted(((similarity(new_text, c.content), c) for c in candidates), key=lambda p: -p[0])
    best_score, best = scored[0]
    if best_score >= thresholds.duplicate:
        return Decision("duplicate", best.id, best_score, "an almost identical fact is already known")
    if announces_change(new_text):
        if best_score >= thresholds.replace_floor:
            return Decision("supersede", best.id, best_score, "announces a change to a related fact")
        if scoped_to_entity and len(candidates) == 1:
            return Decision(
                "supersede", best.id, best_score, "announces a change to the only fact of its kind"
            )
        return Decision("suggest", best.id, best_score, "announces a change, but it is unclear to which fact")
    if best_score >= thresholds.unsure:
        return Decision("suggest", best.id, best_score, "similar to a known fact: it may replace it")
    return Decision("add", None, best_score, "new information")


_CATEGORY_RULES: list[tuple[str, re.Pattern[str]]] = [
    (
        "preference",
        re.compile(
            r"\b(i (?:really )?(?:like|love|prefer|hate|enjoy|dislike)|favou?rite|don'?t like|rather)\b", re.I
        ),
    ),
    (
        "health",
        re.compile(
            r"\b(sleep|slept|injur\w*|knee|back pain|doctor|diet|weight|calories|protein|sick|ill|"
            r"meditat\w*|stress\w*|anxi\w*|therap\w*)\b",
            re.I,
        ),
    ),
    (
        "finance",
        re.compile(
            r"\b(money|budget\w*|salary|savings?|saving|invest\w*|rent|debt|mortgage|spend\w*|income)\b", re.I
        ),
    ),
    (
        "goal",
        re.compile(
            r"\b(goal|aim|target|plan(?:s|ning)?|training for|train\w* for|running|race|marathon|"
            r"want to|going to|deadline|launch\w*|lead\w*|learn\w*|finish\w*)\b",
            re.I,
        ),
    ),
    (
        "relationship",
        re.compile(
            r"\b(wife|husband|partner|girlfriend|boyfriend|friend|mother|father|mum|mom|dad|sister|"
            r"brother|son|daughter|kids?|family)\b",
            re.I,
        ),
    ),
    ("work", re.compile(r"\b(boss|manager|job|team|client|colleague|meeting|office|work\w*|career)\b", re.I)),
]

CATEGORIES = ("preference", "health", "finance", "goal", "relationship", "work", "event", "general")


def infer_category(text: str) -> str:
    """A coarse category, enough to keep 'Berlin → Valencia' apart from 'I prefer mornings'."""
    for category, pattern in _CATEGORY_RULES:
        if pattern.search(text):
            return category
    return "general"
