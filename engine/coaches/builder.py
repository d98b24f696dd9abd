"""`lifeos coach build`: a creator's folder (coach.toml, books, persona) → a verified coach pack.

The folder holds `coach.toml` (metadata, persona choice, sources and their licences), optional
`soul.md` and `agent.md` (else the persona template's), `examples/*.md` (3–5 exchanges), and the
knowledge files (Markdown, text, PDF, JSONL) under `knowledge/` or wherever `knowledge = [...]`
points. The pack's vectors are made here, once, by the creator's embedder, so that installing on a
device with the same embedder costs no model time at all (the Stoic pack installs in about a second
instead of minutes of embedding on two cores).

The vectors follow `engine.retrieval.knowledge` exactly: per passage, the passage vector (title and
text) and, when the passage is longer than a window, one vector per sentence-aligned window. So an
installed pack ranks exactly as if the device had embedded it.
"""

from __future__ import annotations

import io
import re
import time
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from engine.coaches import playbook as playbook_mod
from engine.coaches import signing
from engine.coaches.manifest import DOMAINS, Manifest, Source, validate_id
from engine.coaches.pack import (
    AGENT,
    INDEX,
    KNOWLEDGE,
    PLAYBOOK_INDEX,
    SOUL,
    Passage,
    open_pack,
    sha256,
    split_vectors,
    write_pack,
)
from engine.coaches.playbook import PLAYBOOK_DIR, Move
from engine.coaches.sources import SUPPORTED, Extracted, extract
from engine.errors import PackError
from engine.retrieval import chunking
from engine.retrieval.knowledge import MAX_WINDOWS, WINDOW_TOKENS, embedding_text

ASSETS = Path(__file__).resolve().parents[2] / "assets"
PERSONAS = ASSETS / "personas"
PERSONA_NAMES = ("socratic", "cheerleader", "analyst", "mentor")
DEFAULT_WINDOW = 256  # MiniLM's window, used when no embedder is given (a BM25-only pack)
BUILDER = "lifeos-coach/0.1"
Progress = Callable[[str, int, int], None]  # (stage, done, total)
_FRONT = re.compile(r"\A\+\+\+\n(.*?)\n\+\+\+\n?", re.DOTALL)


class PackEmbedder(Protocol):
    @property
    def embedder_id(self) -> str: ...

    def embed_batch(self, texts: Sequence[str], *, kind: str = "document") -> np.ndarray: ...


@dataclass
class BuildReport:
    manifest: Manifest
    out: Path | None  # None for a preview
    passages: int
    vectors: int
    flagged: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    samples: list[Passage] = field(default_factory=list)
    seconds: float = 0.0


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """`+++` TOML front matter (the persona's voice for the offline composer) and the Markdown body."""
    match = _FRONT.match(text)
    if not match:
        return {}, text
    try:
        return tomllib.loads(match.group(1)), text[match.end() :]
    except tomllib.TOMLDecodeError as exc:
        raise PackError(f"persona front matter is not valid TOML: {exc}") from None


def persona_template(name: str) -> str:
    path = PERSONAS / f"{name}.md"
    if name not in PERSONA_NAMES or not path.is_file():
        raise PackError(f"unknown persona {name!r}; choose one of {', '.join(PERSONA_NAMES)}")
    return path.read_text(encoding="utf-8")


def compose_soul(persona: str, own: str | None) -> str:
    """The pack's soul.md: the creator's own persona text, in the voice of the chosen template
    (the template's front matter is kept unless the creator's soul.md brings its own)."""
    template = persona_template(persona)
    if own is None:
        return template
    if _FRONT.match(own):
        split_front_matter(own)  # validate
        return own
    match = _FRONT.match(template)
    front = template[: match.end()] if match else ""
    return front + own.lstrip()


def _config(src: Path) -> dict[str, Any]:
    path = src / "coach.toml"
    if not path.is_file():
        raise PackError(f"{src} has no coach.toml (id, name, version, domain, persona, sources)")
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise PackError(f"coach.toml: {exc}") from None
    for key in ("id", "name", "version", "domain"):
        if key not in config:
            raise PackError(f"coach.toml lacks {key!r}")
    validate_id(str(config["id"]))
    if config["domain"] not in DOMAINS:
        raise PackError(f"coach.toml: domain must be one of {', '.join(DOMAINS)}")
    return config


def _knowledge_files(src: Path, config: dict[str, Any]) -> list[Path]:
    roots = [src / p for p in config.get("knowledge", ["knowledge"])]
    files: list[Path] = []
    for root in roots:
        if root.is_dir():
            files.extend(p for p in sorted(root.rglob("*")) if p.is_file() and p.suffix.lower() in SUPPORTED)
        elif root.is_file():
            files.append(root)
        else:
            raise PackError(f"coach.toml: knowledge path {root.relative_to(src)} does not exist")
    if not files:
        raise PackError(
            f"no knowledge files ({', '.join(SUPPORTED)}) under {', '.join(str(r) for r in roots)}"
        )
    return files


def read_folder(src: Path | str) -> tuple[dict[str, Any], list[Path]]:
    """A creator folder's coach.toml and its knowledge files, checked as `build` checks them (the
    studio's content check reads a folder this way before anything is built)."""
    config = _config(Path(src))
    return config, _knowledge_files(Path(src), config)


def _sources(config: dict[str, Any], passages: Sequence[Passage]) -> tuple[Source, ...]:
    """Sources from coach.toml, each with the citation-id prefixes of the passages of its files."""
    out: list[Source] = []
    for raw in config.get("sources", []):
        files = {Path(f).name for f in raw.get("files", [])}
        prefixes = sorted({_ref_prefix(p.ref) for p in passages if p.source in files})
        out.append(
            Source(
                title=str(raw.get("title", "")),
                author=str(raw.get("author", "")),
                origin=str(raw.get("origin", "")),
                licence=str(raw.get("licence", "")),
                ref_prefixes=tuple(prefixes),
            )
        )
    return tuple(out)


def _ref_prefix(ref: str) -> str:
    head = re.match(r"^[a-z]+-", ref)
    return head.group(0) if head else ref


def vector_texts(passage: Passage, window_tokens: int, count_tokens: chunking.TokenCounter) -> list[str]:
    """What is embedded for one passage, in `Prebuilt` order (as `knowledge.plan_vectors` does)."""
    texts = [embedding_text(passage.title, passage.text)]
    pieces = chunking.passage_windows(passage.text, window_tokens, count_tokens)
    if len(pieces) > 1:
        texts.extend(pieces[: MAX_WINDOWS - 1])
    return texts


def embed_passages(
    passages: Sequence[Passage],
    embedder: PackEmbedder,
    count_tokens: chunking.TokenCounter,
    progress: Progress | None = None,
    batch: int = 32,
    reuse: Mapping[str, np.ndarray] | None = None,
) -> tuple[bytes, int]:
    """Embed every passage and its windows; the npz bytes of `index/vectors.npz` and how many
    vectors were reused.

    `reuse` holds vectors this same embedder already made, by passage ref (an earlier build of the
    same sources, see `load_reusable`): a passage whose plan has the same number of vectors takes
    them instead of being embedded again. A 1,000-passage book embeds for minutes on two busy
    cores, and a rebuild for a persona or metadata change should not pay that again.
    """
    plan = [vector_texts(p, WINDOW_TOKENS, count_tokens) for p in passages]
    rows: list[np.ndarray | None] = []
    todo: list[tuple[int, str]] = []
    reused = 0
    for p, texts in zip(passages, plan, strict=True):
        previous = reuse.get(p.ref) if reuse else None
        if previous is not None and len(previous) == len(texts):
            rows.extend(np.asarray(previous, dtype=np.float32))
            reused += len(texts)
        else:
            todo.extend((len(rows) + i, t) for i, t in enumerate(texts))
            rows.extend([None] * len(texts))
    for start in range(0, len(todo), batch):
        part = todo[start : start + batch]
        for (slot, _), vector in zip(
            part, embedder.embed_batch([t for _, t in part], kind="document"), strict=True
        ):
            rows[slot] = vector
        if progress:
            progress("embed", min(start + batch, len(todo)), len(todo))
    matrix = np.clip(np.rint(np.stack(rows) * 127.0), -127, 127).astype(np.int8)  # type: ignore[arg-type]
    buffer = io.BytesIO()
    np.savez(
        buffer,
        embedder_id=np.array(embedder.embedder_id),
        refs=np.array([p.ref for p in passages]),
        counts=np.array([len(g) for g in plan], dtype=np.int32),
        int8=matrix,
    )
    return buffer.getvalue(), reused


def load_reusable(
    path: Path | str, embedder_id: str, passages: Sequence[Passage] | None = None
) -> dict[str, np.ndarray]:
    """Vectors to reuse from an earlier pack (`.coach` or folder) or an `index/vectors.npz`-style file.

    From a pack, only passages whose title and text are unchanged are reused. Vectors of another
    embedder are never reused (an empty result), since mixing spaces would corrupt search.
    """
    path = Path(path)
    if path.suffix == ".npz":
        saved = np.load(path, allow_pickle=False)
        if str(saved["embedder_id"]) != embedder_id:
            return {}
        return split_vectors(saved)
    old = open_pack(path)
    if old.manifest.embedder_id != embedder_id:
        return {}
    vectors = old.vectors() or {}
    unchanged = {(p.ref, p.title, p.text) for p in old.passages()}
    if passages is None:
        return vectors
    return {
        p.ref: vectors[p.ref] for p in passages if (p.ref, p.title, p.text) in unchanged and p.ref in vectors
    }


def knowledge_bytes(passages: Sequence[Passage]) -> bytes:
    import json

    import zstandard

    lines = "".join(
        json.dumps(
            {
                "ref": p.ref,
                "title": p.title,
                "text": p.text,
                "doc_id": p.doc_id,
                "position": p.position,
                "source": p.source,
            },
            ensure_ascii=False,
        )
        + "\n"
        for p in passages
    )
    return zstandard.ZstdCompressor(level=10).compress(lines.encode("utf-8"))


def build(
    src: Path | str,
    out: Path | str | None,
    *,
    embedder: PackEmbedder | None = None,
    count_tokens: chunking.TokenCounter = chunking.estimate_tokens,
    window: int = DEFAULT_WINDOW,
    progress: Progress | None = None,
    preview: int = 0,
    reuse: Path | str | None = None,
    sign: Path | str | signing.PublisherKey | None = None,
) -> BuildReport:
    """Build a pack from `src` into `out` (a `.coach` file or a directory).

    `window` is the embedder's token window: no chunk made from Markdown, text or PDF exceeds it.
    With `preview` > 0 nothing is embedded or written: the report carries that many sample chunks
    spread over the knowledge, so a creator can check the chunking first. `reuse` names an earlier
    build (or a vectors file) whose vectors are taken for unchanged passages.
    """
    started = time.perf_counter()
    src = Path(src)
    config = _config(src)
    # A key file (the CLI), or a key already in memory (the studio keeps it encrypted in the profile
    # and never writes it out in the clear to sign).
    publisher_key = (
        sign if isinstance(sign, signing.PublisherKey) else signing.load_key(Path(sign)) if sign is not None else None
    )
    persona = str(config.get("persona", "mentor"))
    own_soul = (src / SOUL).read_text(encoding="utf-8") if (src / SOUL).is_file() else None
    soul = compose_soul(persona, own_soul)
    agent_path = src / AGENT if (src / AGENT).is_file() else PERSONAS / AGENT
    agent = agent_path.read_text(encoding="utf-8")
    examples = sorted((src / "examples").glob("*.md")) if (src / "examples").is_dir() else []
    warnings: list[str] = []
    if not 3 <= len(examples) <= 5:
        warnings.append(f"{len(examples)} example exchanges in examples/; 3 to 5 show the persona best")

    playbook_files = {
        f"{PLAYBOOK_DIR}{path.name}": path.read_bytes()
        for path in sorted((src / "playbook").glob("*.toml"))
        if (src / "playbook").is_dir()
    }
    moves = playbook_mod.parse_files(playbook_files)  # a bad move fails the build, naming it
    if not moves:
        warnings.append("no playbook/ moves: offline replies will use only the persona's generic phrases")

    passages: list[Passage] = []
    flagged: list[str] = []
    files = _knowledge_files(src, config)
    for number, path in enumerate(files, 1):
        got: Extracted = extract(path, max_tokens=window, count_tokens=count_tokens)
        passages.extend(got.passages)
        flagged.extend(got.flagged)
        if progress:
            progress("extract", number, len(files))
    seen: set[str] = set()
    for p in passages:
        if p.ref in seen:
            raise PackError(f"citation id {p.ref!r} occurs twice in the knowledge; ids must be unique")
        seen.add(p.ref)
    if not passages:
        raise PackError("the knowledge files yielded no text")

    def manifest_for(
        files_digest: dict[str, str], sizes: dict[str, int], embedder_id: str | None
    ) -> Manifest:
        return Manifest(
            id=str(config["id"]),
            name=str(config["name"]),
            version=str(config["version"]),
            domain=str(config["domain"]),
            description=str(config.get("description", "")),
            persona=persona,
            tags=tuple(config.get("tags", ())),
            languages=tuple(config.get("languages", ("en",))),
            avatar=str(config.get("avatar", "")),
            sources=_sources(config, passages),
            embedder_id=embedder_id,
            sizes=sizes,
            files=files_digest,
            builder=BUILDER,
            publisher=publisher_key.publisher if publisher_key else None,
        )

    if preview:
        step = max(1, len(passages) // preview)
        samples = passages[::step][:preview]
        return BuildReport(
            manifest_for({}, {"passages": len(passages)}, None),
            None,
            len(passages),
            0,
            flagged,
            warnings,
            samples,
            time.perf_counter() - started,
        )

    body: dict[str, bytes] = {
        SOUL: soul.encode("utf-8"),
        AGENT: agent.encode("utf-8"),
        KNOWLEDGE: knowledge_bytes(passages),
    }
    for path in examples:
        body[f"examples/{path.name}"] = path.read_bytes()
    body.update(playbook_files)
    avatar = str(config.get("avatar", ""))
    if avatar and (src / avatar).is_file():
        body[avatar] = (src / avatar).read_bytes()
    vectors = 0
    if embedder is not None:
        cached = load_reusable(reuse, embedder.embedder_id, passages) if reuse else None
        body[INDEX], reused = embed_passages(passages, embedder, count_tokens, progress, reuse=cached)
        vectors = int(np.load(io.BytesIO(body[INDEX]))["counts"].sum())
        if reuse and not reused:
            warnings.append(f"no vectors could be reused from {reuse} (another embedder, or changed text)")
        if moves:
            body[PLAYBOOK_INDEX] = embed_moves(moves, embedder)
    sizes = {
        "bytes": sum(len(b) for b in body.values()),
        "files": len(body),
        "passages": len(passages),
        "vectors": vectors,
        "moves": len(moves),
    }
    manifest = manifest_for(
        {name: sha256(data) for name, data in sorted(body.items())},
        sizes,
        embedder.embedder_id if embedder is not None else None,
    )
    if out is None:
        raise PackError("an output path is needed (or ask for a preview)")
    written = write_pack(Path(out), manifest, body, sign=publisher_key)
    return BuildReport(
        manifest, written, len(passages), vectors, flagged, warnings, [], time.perf_counter() - started
    )


def embed_moves(moves: Sequence[Move], embedder: PackEmbedder) -> bytes:
    """The playbook's vectors as `.npz` bytes: one row per situation and one for the text of each
    move, with the move's id repeated in `ids` for each of its rows."""
    ids = [m.id for m in moves for _ in m.embedding_texts()]
    texts = [t for m in moves for t in m.embedding_texts()]
    matrix = np.asarray(embedder.embed_batch(texts, kind="document"), np.float32)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, ids=np.array(ids), vectors=matrix.astype(np.float16))
    return buffer.getvalue()
