"""A draft coach as data, its semantic version, and the creator folder it becomes for the builder.

The studio does not build packs itself: it writes the draft out as the folder `lifeos coach build`
reads (coach.toml, soul.md, agent.md, examples/, playbook/, knowledge/) and hands that to the
builder, so a pack made in the app and one made from the command line are the same kind of pack,
checked by the same code. The knowledge goes as one JSONL file per source with the chunks' own
citation ids: an edited, split or redacted chunk keeps the id coachees' conversations cite.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from engine.coaches.builder import PERSONA_NAMES
from engine.coaches.manifest import DOMAINS
from engine.coaches.playbook import Move
from engine.errors import UsageError

Bump = Literal["major", "minor", "patch"]
_SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
FIRST_VERSION = "0.1.0"


@dataclass(frozen=True)
class Release:
    version: str
    date: str
    notes: str


@dataclass(frozen=True)
class Draft:
    id: str
    coach_id: str
    name: str
    version: str = FIRST_VERSION
    domain: str = "Wisdom"
    description: str = ""
    persona: str = "mentor"
    avatar: str = "📘"
    tags: tuple[str, ...] = ()
    soul: str = ""  # the creator's soul.md ("" until they write one: the persona template's is used)
    agent: str = ""  # the creator's agent.md ("" : the default instructions)
    examples: tuple[str, ...] = ()  # example exchanges, Markdown
    playbook: str = ""  # playbook TOML ([[moves]] tables)
    changelog: tuple[Release, ...] = ()
    released: bool = False  # whether `version` was built already (edits after it need a bump)

    def body(self) -> str:
        data = asdict(self)
        for key in ("id", "coach_id"):
            del data[key]
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_row(cls, draft_id: str, coach_id: str, body: str) -> Draft:
        data: dict[str, Any] = json.loads(body)
        data["tags"] = tuple(data.get("tags", ()))
        data["examples"] = tuple(data.get("examples", ()))
        data["changelog"] = tuple(Release(**r) for r in data.get("changelog", ()))
        known = {f for f in cls.__dataclass_fields__}
        return cls(id=draft_id, coach_id=coach_id, **{k: v for k, v in data.items() if k in known})


EDITABLE = (
    "name",
    "domain",
    "description",
    "persona",
    "avatar",
    "tags",
    "soul",
    "agent",
    "examples",
    "playbook",
)


def check_fields(changes: dict[str, Any]) -> dict[str, Any]:
    """Refuse a bad edit before it is stored, naming the field."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise UsageError(f"a draft has no field {sorted(unknown)[0]!r}; editable: {', '.join(EDITABLE)}")
    out = dict(changes)
    if "name" in out and not 1 <= len(str(out["name"]).strip()) <= 100:
        raise UsageError("a coach's name is 1 to 100 characters")
    if "domain" in out and out["domain"] not in DOMAINS:
        raise UsageError(f"the domain is one of {', '.join(DOMAINS)}")
    if "persona" in out and out["persona"] not in PERSONA_NAMES:
        raise UsageError(f"the persona template is one of {', '.join(PERSONA_NAMES)}")
    for key in ("tags", "examples"):
        if key in out:
            out[key] = tuple(str(v) for v in out[key] if str(v).strip())
    return out


def bumped(version: str, part: Bump) -> str:
    match = _SEMVER.match(version)
    if match is None:
        raise UsageError(f"version {version!r} is not MAJOR.MINOR.PATCH")
    major, minor, patch = (int(g) for g in match.groups())
    if part == "major":
        return f"{major + 1}.0.0"
    if part == "minor":
        return f"{major}.{minor + 1}.0"
    if part == "patch":
        return f"{major}.{minor}.{patch + 1}"
    raise UsageError("bump major, minor or patch")


@dataclass
class SourceFiles:
    """One source as the builder's folder names it: its JSONL knowledge and its coach.toml entry."""

    code: str
    title: str
    author: str
    origin: str
    licence: str
    passages: list[dict[str, str]] = field(default_factory=list)


def write_folder(
    root: Path, draft: Draft, sources: list[SourceFiles], *, coach_id: str | None = None
) -> Path:
    """The draft as a creator folder under `root` (which must exist and be empty)."""
    config: dict[str, Any] = {
        "id": coach_id or draft.coach_id,
        "name": draft.name,
        "version": draft.version,
        "domain": draft.domain,
        "persona": draft.persona,
        "avatar": draft.avatar,
        "description": draft.description,
        "tags": list(draft.tags),
        "languages": ["en"],
        "knowledge": ["knowledge"],
    }
    lines = [f"{key} = {_toml(value)}" for key, value in config.items()]
    for s in sources:
        lines += [
            "",
            "[[sources]]",
            f"title = {_toml(s.title or s.code)}",
            f"author = {_toml(s.author)}",
            f"origin = {_toml(s.origin)}",
            f"licence = {_toml(s.licence)}",
            f"files = {_toml([s.code + '.jsonl'])}",
        ]
    (root / "coach.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if draft.soul.strip():
        (root / "soul.md").write_text(draft.soul, encoding="utf-8")
    if draft.agent.strip():
        (root / "agent.md").write_text(draft.agent, encoding="utf-8")
    if draft.examples:
        (root / "examples").mkdir()
        for number, text in enumerate(draft.examples, 1):
            (root / "examples" / f"{number:02d}.md").write_text(text, encoding="utf-8")
    if draft.playbook.strip():
        (root / "playbook").mkdir()
        (root / "playbook" / "moves.toml").write_text(draft.playbook, encoding="utf-8")
    (root / "knowledge").mkdir()
    for s in sources:
        with (root / "knowledge" / f"{s.code}.jsonl").open("w", encoding="utf-8") as out:
            for p in s.passages:
                out.write(json.dumps(p, ensure_ascii=False) + "\n")
    return root


def _toml(value: object) -> str:
    """A TOML literal for a string or a list of strings (JSON's escaping is valid TOML's)."""
    if isinstance(value, list):
        return "[" + ", ".join(json.dumps(str(v), ensure_ascii=False) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def moves_toml(moves: Sequence[Move]) -> str:
    """A playbook file of `moves`, in the format `playbook.parse_file` reads (the studio's move form
    writes through this, so a draft's playbook is always a file the builder accepts)."""
    blocks = []
    for m in moves:
        lines = [
            "[[moves]]",
            f"id = {_toml(m.id)}",
            f"kind = {_toml(m.kind)}",
            f"situations = {_toml(list(m.situations))}",
            f"moments = {_toml(list(m.moments))}",
        ]
        if m.intents:
            lines.append(f"intents = {_toml(list(m.intents))}")
        lines.append(f"text = {_toml(m.text)}")
        if m.steps:
            lines.append(f"steps = {_toml(list(m.steps))}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + ("\n" if blocks else "")
