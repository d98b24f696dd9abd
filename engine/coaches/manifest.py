"""The manifest of a coach pack: what it is, where its text came from, and the checksum of every file.

`schema` is the pack format's version. A pack written by a newer builder may use fields or files this
app does not understand, so it is refused with a message saying to update, rather than installed half
right. Older schemas are read as they are (there is only one so far).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Annotated, Any, Literal

from engine.coaches.signing import Publisher
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
    publisher: Publisher | None = None  # None: a creator's own, unsigned build

    def to_json(self) -> str:
        data = asdict(self)
        if self.publisher is None:
            del data["publisher"]  # unsigned manifests stay byte-for-byte what they were
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
    """Read and check a manifest against its schema (`manifest_schema`); every refusal names the
    field and what is wrong with it. A newer format is told apart first: it may use fields this app
    does not know, and deserves "update the app" rather than a list of them."""
    if len(raw) > MAX_MANIFEST_BYTES:
        raise PackError(f"coach pack refused: {MANIFEST} is larger than {MAX_MANIFEST_BYTES >> 10} KB")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise PackError(f"coach pack refused: {MANIFEST} is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise PackError(f"coach pack refused: {MANIFEST} is not a JSON object")
    schema = data.get("schema")
    if not isinstance(schema, int) or isinstance(schema, bool):
        raise PackError(f"coach pack refused: {MANIFEST} has no schema version")
    if schema > SCHEMA_VERSION:
        raise PackTooNew(
            f"coach pack {str(data.get('id', '?'))[:63]!r} uses pack format {schema}; this app understands "
            f"up to {SCHEMA_VERSION}. Update LifeOS Coach to install it."
        )
    from pydantic import ValidationError

    try:
        checked = manifest_schema().model_validate(data)
    except ValidationError as exc:
        raise PackError(f"coach pack refused: {MANIFEST} {_first_problem(exc)}") from None
    for path in checked.files:
        check_member_path(path)
    return Manifest(
        id=checked.id,
        name=checked.name,
        version=checked.version,
        domain=checked.domain,
        description=checked.description,
        persona=checked.persona,
        tags=tuple(checked.tags),
        languages=tuple(checked.languages),
        avatar=checked.avatar,
        sources=tuple(
            Source(s.title, s.author, s.origin, s.licence, tuple(s.ref_prefixes)) for s in checked.sources
        ),
        embedder_id=checked.embedder_id,
        sizes=dict(checked.sizes),
        files=dict(checked.files),
        schema=checked.schema_version,
        builder=checked.builder,
        publisher=Publisher(checked.publisher.name, checked.publisher.key) if checked.publisher else None,
    )


MAX_MANIFEST_BYTES = 2 << 20


def _first_problem(exc: Any) -> str:
    """Pydantic's first error as "field 'sizes.passages': Input should be a valid integer"."""
    error = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"has an unknown field {where!r}"
    if error["type"] == "missing":
        return f"lacks {where}"
    return f"field {where!r}: {error['msg']}"


def _text(max_length: int, min_length: int = 0, pattern: str | None = None) -> Any:
    from pydantic import StringConstraints

    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length, pattern=pattern)]


@functools.cache
def manifest_schema() -> Any:
    """The manifest's schema as pydantic models, built on first use (pydantic costs ~0.1 s to import
    and most commands never read a manifest). Strict: no type is coerced ("lots" is not a size, a
    number is not a tag), and every text, list and map has a ceiling."""
    from pydantic import BaseModel, ConfigDict, Field

    short, name, long_text = _text(200), _text(100, 1), _text(5000)
    tag, language, ref_prefix = _text(50), _text(20), _text(100, 1)
    digest = _text(64, 64, "^[0-9a-f]{64}$")
    member, size_name = _text(300, 1), _text(50)
    size = Annotated[int, Field(ge=0, le=2**53)]

    class SourceSchema(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True)
        title: _text(500, 1)  # type: ignore[valid-type]
        author: _text(500) = ""  # type: ignore[valid-type]
        origin: _text(2000) = ""  # type: ignore[valid-type]
        licence: _text(500) = ""  # type: ignore[valid-type]
        ref_prefixes: list[ref_prefix] = Field(default_factory=list, max_length=1000)  # type: ignore[valid-type]

    class PublisherSchema(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True)
        name: name  # type: ignore[valid-type]
        key: _text(44, 44, r"^[A-Za-z0-9+/]{43}=$")  # type: ignore[valid-type]

    class ManifestSchema(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True)
        schema_version: int = Field(alias="schema")
        id: _text(63, 1, _ID.pattern)  # type: ignore[valid-type]
        name: name  # type: ignore[valid-type]
        version: _text(30, 1, _VERSION.pattern)  # type: ignore[valid-type]
        domain: Literal["Health", "Wealth", "Wisdom"]
        description: long_text = ""  # type: ignore[valid-type]
        persona: _text(50) = "mentor"  # type: ignore[valid-type]
        tags: list[tag] = Field(default_factory=list, max_length=50)  # type: ignore[valid-type]
        languages: list[language] = Field(default_factory=lambda: ["en"], max_length=20)  # type: ignore[valid-type]
        avatar: short = ""  # type: ignore[valid-type]
        sources: list[SourceSchema] = Field(default_factory=list, max_length=200)
        embedder_id: _text(200, 1) | None = None  # type: ignore[valid-type]
        sizes: dict[size_name, size] = Field(default_factory=dict, max_length=50)  # type: ignore[valid-type]
        files: dict[member, digest] = Field(max_length=5000)  # type: ignore[valid-type]
        builder: short = ""  # type: ignore[valid-type]
        publisher: PublisherSchema | None = None

    return ManifestSchema


def check_member_path(path: str) -> str:
    """A pack's file names are relative, forward-slashed and stay inside the pack (no `..`)."""
    parts = path.split("/")
    if not path or path.startswith("/") or "\\" in path or any(p in ("", ".", "..") for p in parts):
        raise PackError(f"coach pack refused: unsafe file name {path!r}")
    return path
