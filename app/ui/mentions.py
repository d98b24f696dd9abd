"""`@` and `#` autocomplete for the chat composer, as pure functions over the draft text.

The engine reads `@sarah` as a person and `#marathon-2026` as a project (engine.inference.markup),
and matches names with separators folded (`Marathon 2026` ⇔ `#marathon-2026`). Suggestions therefore
insert exactly the token the engine will resolve to the existing entity, so a mention picked here
links to that page instead of creating a near-duplicate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SIGIL_TYPES = {"@": ("person",), "#": ("project", "area")}
"""What each sigil completes: people after `@`; projects (and areas, `#area/…`) after `#`."""

MAX_SUGGESTIONS = 6

_OPEN_TOKEN = re.compile(r"(?:^|(?<=[\s(\[{\"']))(?P<sigil>[@#])(?P<prefix>[^\s@#]*)$")


@dataclass(frozen=True)
class OpenMention:
    """The `@…` or `#…` the coachee is typing at the end of the draft."""

    sigil: str
    prefix: str
    start: int


@dataclass(frozen=True)
class Suggestion:
    entity_id: str
    name: str
    type: str
    token: str


def open_mention(draft: str) -> OpenMention | None:
    """The mention being typed at the end of ``draft``, if any (an e-mail address is not one)."""
    m = _OPEN_TOKEN.search(draft)
    if m is None:
        return None
    return OpenMention(m["sigil"], m["prefix"], m.start("sigil"))


def _fold(text: str) -> str:
    return re.sub(r"[\s_\-/]+", " ", text.lower()).strip()


def token_for(name: str, type_: str) -> str:
    """The markup that names this entity: `@Sarah`, `#marathon-2026`, `#area/health`."""
    slug = re.sub(r"\s+", "-", name.strip())
    if type_ == "person":
        return f"@{slug}"
    if type_ == "area":
        return f"#area/{slug.lower()}"
    return f"#{slug.lower()}"


def suggest(
    entities: tuple[tuple[str, str, str], ...], mention: OpenMention, limit: int = MAX_SUGGESTIONS
) -> list[Suggestion]:
    """Entities (id, name, type) the open mention may mean: names starting with the prefix first,
    then names with a later word starting with it; an empty prefix lists the first few."""
    types = SIGIL_TYPES[mention.sigil]
    prefix = _fold(mention.prefix.removeprefix("area/"))
    starts: list[Suggestion] = []
    inside: list[Suggestion] = []
    for entity_id, name, type_ in entities:
        if type_ not in types:
            continue
        folded = _fold(name)
        item = Suggestion(entity_id, name, type_, token_for(name, type_))
        if folded.startswith(prefix):
            starts.append(item)
        elif any(word.startswith(prefix) for word in folded.split()[1:]):
            inside.append(item)
    return (starts + inside)[:limit]


def complete(draft: str, mention: OpenMention, suggestion: Suggestion) -> str:
    """The draft with the open mention replaced by the suggestion's token and a space to go on."""
    return draft[: mention.start] + suggestion.token + " "
