"""The manifest of a coach pack: what it is, where its text came from, and the checksum of every file.

`schema` is the pack format's version. A pack written by a newer builder may use fields or files this
app does not understand, so it is refused with a message saying to update, rather than installed half
right. Older schemas are read as they are (there is only one so far).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from engine.errors import PackError, PackTooNew

SCHEMA_VERSION = 1
DOMAINS = ("Health", "Wealth", "Wisdom")
MANIFEST = "manifest.json"
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_VERSION = re.compile(r"^\d+(\.\d+){0,2}$")


@dataclass(frozen=True)
class Source:
    """Where a part of the knowledge came from, and under which terms it ships."""

    title: str
    author: str = ""
    origin: str = ""  # a URL, a book edition, or "written for LifeOS Coach"
    licence: str = ""
    ref_prefixes: tuple[str, ...] = ()  # citation ids starting with one of these came from this source

    def covers(self, ref: str) -> bool:
        return any(ref.startswith(p) for p in self.ref_prefixes)


@dataclass(frozen=True)
class Manifest:
    id: str
    name: str
    version: str
    domain: str
    description: str
    persona: str  # the persona template the soul was made from (socratic, cheerleader, analyst, mentor)
    tags: tuple[str, ...] = ()
    languages: tuple[str, ...] = ("en",)
    avatar: str = ""  # an emoji, or a file in the pack
    sources: tuple[Source, ...] = ()
    embedder_id: str | None = None  # the embedder that made index/ (None: the pack ships no vectors)
    sizes: dict[str, int] = field(default_factory=dict)  # bytes, files, passages, vectors
    files: dict[str, str] = field(default_factory=dict)  # relative path → sha256 (hex)
    schema: int = SCHEMA_VERSION
    builder: str = ""

    def to_json(self) -> str:
        data = asdict(self)
        data["tags"], data["languages"] = list(self.tags), list(self.languages)
        data["sources"] = [{**asdict(s), "ref_prefixes": list(s.ref_prefixes)} for s in self.sources]
        return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"

    @property
    def version_key(self) -> tuple[int, ...]:
        return version_key(self.version)


def version_key(version: str) -> tuple[int, ...]:
    """ "1.10" sorts after "1.9": versions compare as numbers, padded to three parts."""
    parts = [int(p) for p in version.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def validate_id(coach_id: str) -> str:
    if not _ID.match(coach_id):
        raise PackError(f"coach id {coach_id!r} must be lower-case letters, digits and '-' (at most 63)")
    return coach_id


def parse(raw: bytes | str) -> Manifest:
    """Read and check a manifest; every refusal says which field is wrong."""
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PackError(f"coach pack refused: {MANIFEST} is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise PackError(f"coach pack refused: {MANIFEST} is not a JSON object")
    schema = data.get("schema")
    if not isinstance(schema, int):
        raise PackError(f"coach pack refused: {MANIFEST} has no schema version")
    if schema > SCHEMA_VERSION:
        raise PackTooNew(
            f"coach pack {data.get('id', '?')!r} uses pack format {schema}; this app understands up to "
            f"{SCHEMA_VERSION}. Update LifeOS Coach to install it."
        )
    missing = [k for k in ("id", "name", "version", "domain", "files") if k not in data]
    if missing:
        raise PackError(f"coach pack refused: {MANIFEST} lacks {', '.join(missing)}")
    validate_id(str(data["id"]))
    if not _VERSION.match(str(data["version"])):
        raise PackError(f"coach pack refused: version {data['version']!r} is not like 1.0 or 1.2.3")
    if data["domain"] not in DOMAINS:
        raise PackError(f"coach pack refused: domain {data['domain']!r} is not one of {', '.join(DOMAINS)}")
    files = data["files"]
    if not isinstance(files, dict) or not all(
        isinstance(v, str) and re.fullmatch(r"[0-9a-f]{64}", v) for v in files.values()
    ):
        raise PackError(f"coach pack refused: {MANIFEST} 'files' must map paths to sha256 hex digests")
    for path in files:
        check_member_path(path)
    known = {f for f in Manifest.__dataclass_fields__}
    extra = {k: v for k, v in data.items() if k not in known}
    if extra:  # same schema, unknown fields: a hand-edited manifest, not a newer format
        raise PackError(f"coach pack refused: {MANIFEST} has unknown fields {', '.join(sorted(extra))}")
    return Manifest(
        id=str(data["id"]),
        name=str(data["name"]),
        version=str(data["version"]),
        domain=str(data["domain"]),
        description=str(data.get("description", "")),
        persona=str(data.get("persona", "mentor")),
        tags=tuple(str(t) for t in data.get("tags", [])),
        languages=tuple(str(t) for t in data.get("languages", ["en"])),
        avatar=str(data.get("avatar", "")),
        sources=tuple(_source(s) for s in data.get("sources", [])),
        embedder_id=data.get("embedder_id"),
        sizes={str(k): int(v) for k, v in data.get("sizes", {}).items()},
        files={str(k): str(v) for k, v in files.items()},
        schema=schema,
        builder=str(data.get("builder", "")),
    )


def _source(raw: Any) -> Source:
    if not isinstance(raw, dict) or "title" not in raw:
        raise PackError(f"coach pack refused: every source in {MANIFEST} needs a title")
    fields = {k: str(raw.get(k, "")) for k in ("title", "author", "origin", "licence")}
    return Source(**fields, ref_prefixes=tuple(str(p) for p in raw.get("ref_prefixes", [])))


def check_member_path(path: str) -> str:
    """A pack's file names are relative, forward-slashed and stay inside the pack (no `..`)."""
    parts = path.split("/")
    if not path or path.startswith("/") or "\\" in path or any(p in ("", ".", "..") for p in parts):
        raise PackError(f"coach pack refused: unsafe file name {path!r}")
    return path
