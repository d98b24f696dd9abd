"""The explicit markup a coachee types: `#tags`, `@mentions` and `[[wiki links]]`.

These are promises the person made on purpose, so they are read by rules and always win over what a
statistical model guesses for the same span. Obsidian-style nested tags choose the PARA type:
`#area/health` is an area, `#milestone/first-10k` a milestone, `#project/marathon` and a plain
`#marathon` a project. `@sarah` is a person. `[[Marathon plan]]` (or `[[target|label]]`) is a link
whose target is resolved to an entity by the memory layer.
"""

from __future__ import annotations

import re

from engine.inference.base import Entity, EntityType

_TAG = re.compile(r"(?<![\w#&/])#(?P<tag>[^\W\d_][\w\-]*(?:/[\w\-]+)*)", re.UNICODE)
_MENTION = re.compile(r"(?<![\w@.])@(?P<name>[^\W\d_][\w\-.]*[\w])", re.UNICODE)
_LINK = re.compile(r"\[\[(?P<target>[^\[\]|#]+)(?:#[^\[\]|]*)?(?:\|(?P<label>[^\[\]]+))?\]\]")

_TAG_PREFIXES: dict[str, EntityType] = {
    "area": "area",
    "areas": "area",
    "project": "project",
    "projects": "project",
    "milestone": "milestone",
    "milestones": "milestone",
    "person": "person",
    "people": "person",
}


def find_markup(text: str) -> list[Entity]:
    """Tags, mentions and links in `text`, left to right."""
    found: list[Entity] = []
    for m in _LINK.finditer(text):
        target = m["target"].strip()
        found.append(Entity(m.group(0), "link", m.start(), m.end(), "markup", value=target))
    linked = [(e.start, e.end) for e in found]

    def inside_link(start: int) -> bool:
        return any(s <= start < e for s, e in linked)

    for m in _TAG.finditer(text):
        if inside_link(m.start()):
            continue
        tag = m["tag"]
        head, _, rest = tag.partition("/")
        kind: EntityType = _TAG_PREFIXES.get(head.lower(), "project") if rest else "project"
        value = rest if rest and head.lower() in _TAG_PREFIXES else tag
        found.append(Entity(m.group(0), kind, m.start(), m.end(), "markup", value=value))
    for m in _MENTION.finditer(text):
        if inside_link(m.start()):
            continue
        found.append(Entity(m.group(0), "person", m.start(), m.end(), "markup", value=m["name"]))
    return sorted(found, key=lambda e: e.start)
