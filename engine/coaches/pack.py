"""Reading a coach pack, a directory or a `.coach` ZIP, and proving it is the pack its manifest describes.

`open_pack` verifies before anything is parsed: every file listed in the manifest must exist and hash
to its recorded SHA-256, and no unlisted file may ride along. A refusal names the file, so a creator
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
from engine.coaches.manifest import MANIFEST, Manifest, check_member_path, parse
from engine.coaches.playbook import PLAYBOOK_DIR, Move
from engine.errors import PackError, PackTampered

KNOWLEDGE = "knowledge/passages.jsonl.zst"
INDEX = "index/vectors.npz"
PLAYBOOK_INDEX = "index/playbook.npz"
SOUL, AGENT = "soul.md", "agent.md"
PACK_SUFFIX = ".coach"


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
        raw = self._files.get(KNOWLEDGE)
        if raw is None:
            return []
        import zstandard

        text = zstandard.ZstdDecompressor().decompress(raw, max_output_size=1 << 31).decode("utf-8")
        out: list[Passage] = []
        for line in text.splitlines():
            if line.strip():
                d = json.loads(line)
                out.append(
                    Passage(
                        d["ref"],
                        d["text"],
                        d.get("title", ""),
                        d.get("doc_id", ""),
                        int(d.get("position", 0)),
                        d.get("source", ""),
                    )
                )
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
        saved = np.load(io.BytesIO(raw), allow_pickle=False)
        return [str(i) for i in saved["ids"]], saved["vectors"].astype(np.float32)

    def vectors(self) -> dict[str, np.ndarray] | None:
        """Prebuilt vectors by passage ref (float32, unit length as the embedder made them)."""
        raw = self._files.get(INDEX)
        if raw is None:
            return None
        return split_vectors(np.load(io.BytesIO(raw), allow_pickle=False))


def split_vectors(saved: Any) -> dict[str, np.ndarray]:
    """An `index/vectors.npz` (loaded) → float32 vectors by passage ref (int8 rows scaled back by 127)."""
    matrix = saved["int8"].astype(np.float32) / 127.0
    out: dict[str, np.ndarray] = {}
    row = 0
    for ref, n in zip(saved["refs"], saved["counts"], strict=True):
        out[str(ref)] = matrix[row : row + int(n)]
        row += int(n)
    return out


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_dir(root: Path) -> Iterator[tuple[str, bytes]]:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            yield path.relative_to(root).as_posix(), path.read_bytes()


def _read_zip(path: Path) -> Iterator[tuple[str, bytes]]:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise PackError(f"coach pack refused: {path.name} is not a readable .coach archive ({exc})") from None
    with archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            name = info.filename
            try:
                data = archive.read(info)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:  # CRC mismatch, truncated member
                raise PackTampered(name, f"is damaged inside {path.name} ({exc})") from None
            except Exception as exc:  # zlib errors in a corrupt deflate stream
                raise PackTampered(name, f"is damaged inside {path.name} ({exc})") from None
            yield name, data


def read_files(location: Path) -> dict[str, bytes]:
    if location.is_dir():
        return dict(_read_dir(location))
    if location.is_file():
        return dict(_read_zip(location))
    raise PackError(f"no coach pack at {location}")


def open_pack(location: Path | str) -> Pack:
    """Read and verify a pack; raises `PackTampered` naming the first file that does not match."""
    location = Path(location)
    files = read_files(location)
    if MANIFEST not in files:
        raise PackError(f"coach pack refused: {location.name} has no {MANIFEST}")
    manifest = parse(files.pop(MANIFEST))
    for name in sorted(files):
        check_member_path(name)
        if name not in manifest.files:
            raise PackTampered(name, "is not listed in the manifest")
    for name, digest in sorted(manifest.files.items()):
        if name not in files:
            raise PackTampered(name, "is missing")
        if sha256(files[name]) != digest:
            raise PackTampered(name, "does not match its checksum (changed or damaged)")
    return Pack(location, manifest, files)


def write_pack(out: Path, manifest: Manifest, files: dict[str, bytes]) -> Path:
    """Write a pack as a `.coach` ZIP (when `out` ends in .coach) or as a directory.

    Members are stored, not deflated: the knowledge is already zstd and int8 vectors barely compress,
    and a stored member lets a one-byte change be caught by its CRC before its checksum is computed.
    Timestamps are fixed so that building the same sources twice gives the same bytes.
    """
    body = {MANIFEST: manifest.to_json().encode("utf-8"), **files}
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
