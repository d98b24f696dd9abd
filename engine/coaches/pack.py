"""Reading a coach pack, a directory or a `.coach` ZIP, and proving it is the pack its manifest describes.

`open_pack` verifies before anything is parsed: every file listed in the manifest must exist and hash
to its recorded SHA-256, and no unlisted file may ride along. Sizes are checked before bytes are
read: a ZIP's directory (member count, total size, compression ratio) and a folder's files (no
symlinks, which could pull in a file from outside the pack) are refused past `PackLimits`, the
manifest is read first and only the members it lists are unpacked, and the knowledge is decompressed
with a ceiling, so a small hostile pack cannot ask for gigabytes. A refusal names the file, so a creator
or a coachee can see which part of a download or an edit went wrong. ZIP members are read with their
CRC checked too; a damaged member is reported under its own name rather than as a generic ZIP error.

Knowledge is `knowledge/passages.jsonl.zst` (one passage per line: ref, title, text, doc_id,
position, source); prebuilt vectors are `index/vectors.npz` (refs, counts, int8 rows: per passage its
whole-passage vector, then one per window, the layout of `engine.retrieval.knowledge.Prebuilt`).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine.coaches import playbook as playbook_mod
from engine.coaches import signing
from engine.coaches.manifest import MANIFEST, Manifest, check_member_path, parse
from engine.coaches.playbook import PLAYBOOK_DIR, Move
from engine.coaches.signing import SIGNATURE, PublisherKey
from engine.errors import PackError, PackTampered

KNOWLEDGE = "knowledge/passages.jsonl.zst"
INDEX = "index/vectors.npz"
PLAYBOOK_INDEX = "index/playbook.npz"
SOUL, AGENT = "soul.md", "agent.md"
PACK_SUFFIX = ".coach"


MAX_MEMBERS = 5_000
MAX_PACK_BYTES = 512 << 20
MAX_MEMBER_RATIO = 100
"""Deflate reaches about 10:1 on prose; a member claiming more than 100:1 (and over a megabyte) is
a zip bomb, not a book."""
MAX_KNOWLEDGE_BYTES = 512 << 20
MAX_PASSAGE_CHARS = 200_000


@dataclass(frozen=True)
class Passage:
    """One passage of a coach's knowledge; `ref` is its citation id (e.g. `med-4-7`)."""

    ref: str
    text: str
    title: str = ""
    doc_id: str = ""
    position: int = 0
    source: str = ""  # the file it came from in the coach's sources


@dataclass(frozen=True)
class Example:
    name: str
    text: str


class Pack:
    """A verified pack held in memory (packs are small: the Stoic one is about 2 MB)."""

    def __init__(self, location: Path, manifest: Manifest, files: dict[str, bytes]) -> None:
        self.location = location
        self.manifest = manifest
        self._files = files

    @property
    def signed(self) -> bool:
        """Whether a publisher vouches for this pack (its signature was verified on opening)."""
        return self.manifest.publisher is not None

    @property
    def size(self) -> int:
        return sum(len(b) for b in self._files.values())

    def text(self, name: str) -> str:
        return self._files[name].decode("utf-8") if name in self._files else ""

    @property
    def soul(self) -> str:
        return self.text(SOUL)

    @property
    def agent(self) -> str:
        return self.text(AGENT)

    def examples(self) -> list[Example]:
        return [
            Example(Path(name).stem, self.text(name))
            for name in sorted(self._files)
            if name.startswith("examples/") and name.endswith(".md")
        ]

    def passages(self) -> list[Passage]:
        """The knowledge, each line checked (`passage_of`): a bad line names its number."""
        raw = self._files.get(KNOWLEDGE)
        if raw is None:
            return []
        text = _decompress(raw)
        out: list[Passage] = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                out.append(passage_of(line, number))
        return out

    def playbook(self) -> list[Move]:
        """The coach's moves (`playbook/*.toml`); an older pack without one has none."""
        return playbook_mod.parse_files(
            {n: b for n, b in self._files.items() if n.startswith(PLAYBOOK_DIR) and n.endswith(".toml")}
        )

    def playbook_vectors(self) -> tuple[list[str], np.ndarray] | None:
        """Prebuilt move vectors (made by the manifest's embedder): the move id of each row, and the
        rows (one per situation and one per text), when the pack has them."""
        raw = self._files.get(PLAYBOOK_INDEX)
        if raw is None:
            return None
        saved = _load_npz(raw, PLAYBOOK_INDEX, ("ids", "vectors"))
        ids, matrix = saved["ids"], saved["vectors"]
        if matrix.ndim != 2 or len(ids) != matrix.shape[0] or not np.issubdtype(matrix.dtype, np.number):
            raise PackError(
                f"coach pack refused: {PLAYBOOK_INDEX} has {len(ids)} ids for {matrix.shape} vectors"
            )
        return [str(i) for i in ids], matrix.astype(np.float32)

    def vectors(self) -> dict[str, np.ndarray] | None:
        """Prebuilt vectors by passage ref (float32, unit length as the embedder made them)."""
        raw = self._files.get(INDEX)
        if raw is None:
            return None
        return split_vectors(_load_npz(raw, INDEX, ("refs", "counts", "int8")))


def split_vectors(saved: Any) -> dict[str, np.ndarray]:
    """An `index/vectors.npz` (loaded) → float32 vectors by passage ref (int8 rows scaled back by 127).

    The refs, the row count of each and the rows must agree exactly; anything else is refused by name.
    """
    refs, counts, rows = saved["refs"], saved["counts"], saved["int8"]
    if (
        rows.ndim != 2
        or refs.ndim != 1
        or counts.ndim != 1
        or len(refs) != len(counts)
        or not np.issubdtype(counts.dtype, np.integer)
        or (counts < 1).any()
        or int(counts.sum()) != rows.shape[0]
    ):
        raise PackError(
            f"coach pack refused: {INDEX} does not add up ({len(refs)} refs, {len(counts)} counts, "
            f"rows of shape {rows.shape})"
        )
    matrix = rows.astype(np.float32) / 127.0
    out: dict[str, np.ndarray] = {}
    row = 0
    for ref, n in zip(refs, counts, strict=True):
        out[str(ref)] = matrix[row : row + int(n)]
        row += int(n)
    return out


def _load_npz(raw: bytes, name: str, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Arrays of an `.npz`, never pickles (`allow_pickle=False`), each key present."""
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as saved:
            missing = [k for k in keys if k not in saved.files]
            if missing:
                raise PackError(f"coach pack refused: {name} lacks {', '.join(missing)}")
            return {k: saved[k] for k in keys}
    except PackError:
        raise
    except Exception as exc:  # ValueError (pickled objects), zipfile/OSError (not an npz), …
        raise PackError(f"coach pack refused: {name} is not a readable vector file ({exc})") from None


def _decompress(raw: bytes) -> str:
    """The knowledge's text, decompressed in pieces so that its size is known before it is held."""
    import zstandard

    pieces: list[bytes] = []
    total = 0
    try:
        with zstandard.ZstdDecompressor().stream_reader(raw) as reader:
            while chunk := reader.read(1 << 20):
                total += len(chunk)
                if total > MAX_KNOWLEDGE_BYTES:
                    raise PackError(
                        f"coach pack refused: {KNOWLEDGE} unpacks to more than {MAX_KNOWLEDGE_BYTES >> 20} MB"
                    )
                pieces.append(chunk)
    except zstandard.ZstdError as exc:
        raise PackError(f"coach pack refused: {KNOWLEDGE} is not zstd-compressed text ({exc})") from None
    try:
        return b"".join(pieces).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PackError(
            f"coach pack refused: {KNOWLEDGE} is not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None


def passage_of(line: str, number: int) -> Passage:
    """One knowledge line → a `Passage`, or `PackError` naming the line and what is wrong with it."""
    where = f"{KNOWLEDGE} line {number}"
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise PackError(f"coach pack refused: {where} is not JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise PackError(f"coach pack refused: {where} is not a JSON object")
    ref, text = data.get("ref"), data.get("text")
    if not isinstance(ref, str) or not 0 < len(ref) <= 200:
        raise PackError(f"coach pack refused: {where} needs a 'ref' (text, at most 200 characters)")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_PASSAGE_CHARS:
        raise PackError(
            f"coach pack refused: {where} needs a 'text' of 1 to {MAX_PASSAGE_CHARS:,} characters"
        )
    fields = {k: data.get(k, "") for k in ("title", "doc_id", "source")}
    position = data.get("position", 0)
    if not all(isinstance(v, str) and len(v) <= 1000 for v in fields.values()):
        raise PackError(f"coach pack refused: {where} has a title, doc_id or source that is not short text")
    if not isinstance(position, int) or isinstance(position, bool) or not 0 <= position < 10**9:
        raise PackError(f"coach pack refused: {where} has a position that is not a whole number")
    return Passage(ref, text, fields["title"], fields["doc_id"], position, fields["source"])


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_dir(root: Path) -> Iterator[tuple[str, bytes]]:
    """A folder pack's files; a symlink anywhere inside is refused (it could point outside the pack)."""
    paths = sorted(root.rglob("*"))
    if len(paths) > MAX_MEMBERS:
        raise PackError(f"coach pack refused: {root.name} holds more than {MAX_MEMBERS:,} files")
    total = 0
    for path in paths:
        name = path.relative_to(root).as_posix()
        if path.is_symlink():
            raise PackError(f"coach pack refused: {name} is a symbolic link; a pack holds plain files only")
        if path.is_file():
            total += path.stat().st_size
            if total > MAX_PACK_BYTES:
                raise PackError(f"coach pack refused: {root.name} is larger than {MAX_PACK_BYTES >> 20} MB")
            yield name, path.read_bytes()


def _zip_directory(archive: zipfile.ZipFile, path: Path) -> dict[str, zipfile.ZipInfo]:
    """The members of a `.coach` ZIP by name, refused from its directory alone when too many, too
    large in all, or compressed past any real text's ratio."""
    members = [i for i in archive.infolist() if not i.is_dir()]
    if len(members) > MAX_MEMBERS:
        raise PackError(f"coach pack refused: {path.name} holds more than {MAX_MEMBERS:,} files")
    if sum(i.file_size for i in members) > MAX_PACK_BYTES:
        raise PackError(f"coach pack refused: {path.name} unpacks to more than {MAX_PACK_BYTES >> 20} MB")
    for info in members:
        if info.file_size > 1 << 20 and info.file_size > MAX_MEMBER_RATIO * max(info.compress_size, 1):
            raise PackError(
                f"coach pack refused: {info.filename} in {path.name} unpacks {info.file_size // max(info.compress_size, 1)}:1 "
                "(a zip bomb, not a coach)"
            )
    by_name: dict[str, zipfile.ZipInfo] = {}
    for info in members:
        if info.filename in by_name:
            raise PackTampered(info.filename, f"appears twice in {path.name}")
        by_name[info.filename] = info
    return by_name


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> bytes:
    try:
        return archive.read(info)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:  # CRC mismatch, truncated member
        raise PackTampered(info.filename, f"is damaged inside {path.name} ({exc})") from None
    except Exception as exc:  # zlib errors in a corrupt deflate stream, unsupported compression
        raise PackTampered(info.filename, f"is damaged inside {path.name} ({exc})") from None


def _open_zip(path: Path) -> tuple[Manifest, dict[str, bytes]]:
    """The manifest first, then only the members it lists: an unlisted member is refused unread."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise PackError(f"coach pack refused: {path.name} is not a readable .coach archive ({exc})") from None
    with archive:
        members = _zip_directory(archive, path)
        if MANIFEST not in members:
            raise PackError(f"coach pack refused: {path.name} has no {MANIFEST}")
        raw_manifest = _read_member(archive, members.pop(MANIFEST), path)
        manifest = parse(raw_manifest)
        signature_info = members.pop(SIGNATURE, None)
        signature = _read_member(archive, signature_info, path) if signature_info else None
        _check_signature(manifest, raw_manifest, signature)
        for name in sorted(members):
            check_member_path(name)
            if name not in manifest.files:
                raise PackTampered(name, "is not listed in the manifest")
        return manifest, {name: _read_member(archive, info, path) for name, info in sorted(members.items())}


def _check_signature(manifest: Manifest, raw_manifest: bytes, signature: bytes | None) -> None:
    """A manifest naming a publisher must carry their signature; one without may not carry any."""
    if manifest.publisher is not None:
        signing.verify(raw_manifest, signature, manifest.publisher)
    elif signature is not None:
        raise PackTampered(SIGNATURE, "signs a manifest that names no publisher")


def open_pack(location: Path | str) -> Pack:
    """Read and verify a pack; raises `PackTampered` naming the first file that does not match."""
    location = Path(location)
    if location.is_file():
        manifest, files = _open_zip(location)
    elif location.is_dir():
        files = dict(_read_dir(location))
        if MANIFEST not in files:
            raise PackError(f"coach pack refused: {location.name} has no {MANIFEST}")
        raw_manifest = files.pop(MANIFEST)
        manifest = parse(raw_manifest)
        _check_signature(manifest, raw_manifest, files.pop(SIGNATURE, None))
        for name in sorted(files):
            check_member_path(name)
            if name not in manifest.files:
                raise PackTampered(name, "is not listed in the manifest")
    else:
        raise PackError(f"no coach pack at {location}")
    for name, digest in sorted(manifest.files.items()):
        if name not in files:
            raise PackTampered(name, "is missing")
        if sha256(files[name]) != digest:
            raise PackTampered(name, "does not match its checksum (changed or damaged)")
    return Pack(location, manifest, files)


def write_pack(
    out: Path, manifest: Manifest, files: dict[str, bytes], sign: PublisherKey | None = None
) -> Path:
    """Write a pack as a `.coach` ZIP (when `out` ends in .coach) or as a directory.

    Members are stored, not deflated: the knowledge is already zstd and int8 vectors barely compress,
    and a stored member lets a one-byte change be caught by its CRC before its checksum is computed.
    Timestamps are fixed so that building the same sources twice gives the same bytes.
    """
    raw_manifest = manifest.to_json().encode("utf-8")
    body = {MANIFEST: raw_manifest, **files}
    if sign is not None:
        body[SIGNATURE] = sign.sign(raw_manifest)
    if out.suffix == PACK_SUFFIX:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".tmp")
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as archive:
            for name in sorted(body):
                info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
                info.external_attr = 0o644 << 16
                archive.writestr(info, body[name])
        tmp.replace(out)
        return out
    if out.exists() and any(out.iterdir()):
        raise PackError(f"{out} exists and is not empty; choose another output or remove it")
    for name, data in body.items():
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return out
