"""Obsidian's Markdown conventions: [[wikilinks]], ![[embeds]], #tags, daily-note names."""

from __future__ import annotations

import re
from datetime import date

_FENCE = re.compile(r"```.*?```|~~~.*?~~~", re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"(!?)\[\[([^\[\]\n]+?)\]\]")
_TAG = re.compile(r"(?<![\w/&#\]])#([A-Za-z_][\w/-]*)")
_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})$")


def _prose(text: str) -> str:
    return _INLINE_CODE.sub(" ", _FENCE.sub(" ", text))


def link_target(inner: str) -> str:
    """`Page#Heading|shown` → `Page` (what the link points at)."""
    return inner.split("|", 1)[0].split("#", 1)[0].split("^", 1)[0].strip()


def links_and_embeds(text: str) -> tuple[list[str], list[str]]:
    links: list[str] = []
    embeds: list[str] = []
    for bang, inner in _LINK.findall(_prose(text)):
        target = link_target(inner)
        if target:
            (embeds if bang else links).append(target)
    return list(dict.fromkeys(links)), list(dict.fromkeys(embeds))


def inline_tags(text: str) -> list[str]:
    return list(dict.fromkeys(_TAG.findall(_prose(text))))


def day_of(stem: str) -> date | None:
    """A daily note's date from its name (`2026-03-01`), or None."""
    m = _DAY.search(stem)
    if not m or m.start() != 0:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None
