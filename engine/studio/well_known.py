"""Passages that look copied from a well-known text, so the creator confirms they may ship them.

The reference is what this app already carries: the sources of the bundled coaches (Meditations,
the Enchiridion and Discourses, and the others in assets/coaches), each with its title and licence.
A chunk that shares a run of `SHINGLE` consecutive words with one of them in at least `MIN_SHARED`
places is reported with the work it matches. This is a prompt for the creator, not a verdict: a
public-domain translation may ship, and the licence field of the source is where they say so.

Words are compared lower-cased and stripped of punctuation, so a re-typed or re-flowed quotation
still matches; the reference is hashed once per process (about 0.2 s for the bundled texts).
"""

from __future__ import annotations

import functools
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

SHINGLE = 8
MIN_SHARED = 3
ASSETS_COACHES = Path(__file__).resolve().parents[2] / "assets" / "coaches"
_WORD = re.compile(r"[a-z0-9']+")


@dataclass(frozen=True)
class Work:
    title: str
    author: str
    licence: str


@dataclass(frozen=True)
class CopyMatch:
    work: Work
    shared: int  # how many 8-word runs the chunk shares with it


def shingles(text: str) -> set[int]:
    words = _WORD.findall(text.lower())
    return {hash(" ".join(words[i : i + SHINGLE])) for i in range(len(words) - SHINGLE + 1)}


@functools.cache
def reference() -> dict[int, Work]:
    """Shingle hash → the work it comes from, over every bundled coach's knowledge files."""
    index: dict[int, Work] = {}
    for config_path in sorted(ASSETS_COACHES.glob("*/coach.toml")):
        try:
            config = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError):
            continue
        for source in config.get("sources", []):
            work = Work(
                str(source.get("title", "")), str(source.get("author", "")), str(source.get("licence", ""))
            )
            for name in source.get("files", []):
                for path in config_path.parent.glob(f"**/{name}"):
                    for shingle in shingles(_plain_text(path)):
                        index.setdefault(shingle, work)
    return index


def _plain_text(path: Path) -> str:
    raw = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix != ".jsonl":
        return raw
    texts = []
    for line in raw.splitlines():
        try:
            texts.append(str(json.loads(line).get("text", "")))
        except (json.JSONDecodeError, AttributeError):
            continue
    return "\n".join(texts)


def copied_from(text: str) -> CopyMatch | None:
    """The well-known work this text shares the most word runs with, if it shares enough."""
    index = reference()
    counts: dict[Work, int] = {}
    for shingle in shingles(text):
        work = index.get(shingle)
        if work is not None:
            counts[work] = counts.get(work, 0) + 1
    if not counts:
        return None
    work, shared = max(counts.items(), key=lambda item: item[1])
    return CopyMatch(work, shared) if shared >= MIN_SHARED else None
