"""The models installed for the `local` reasoner: a folder of verified GGUF files and an index.

`<home>/models/llm/` holds one `<name>.gguf` per model and `index.json` recording, for each, where it
came from, its SHA-256, size and header facts. A file enters the folder only verified: a download
whose checksum matched (`download.py`), or an imported file whose GGUF header is whole (`gguf.py`) and
whose checksum, when it is a catalog model, matches the catalog. Nothing here touches the network
unless `add` is called with a catalog name, and nothing here needs the profile unlocked: models are
not personal data, and `lifeos llm list` should not ask for a passphrase.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import DataError, ModelCorrupt, NotFound, UsageError
from engine.llm import catalog as catalog_mod
from engine.llm import download as download_mod
from engine.llm.catalog import CatalogEntry
from engine.llm.gguf import GgufInfo, read_info, sha256_file
from engine.llm.runner import DEFAULT_CONTEXT, estimate_bytes

if TYPE_CHECKING:
    import httpx

INDEX = "index.json"
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class InstalledModel:
    name: str
    file: Path
    sha256: str
    size_bytes: int
    source: str  # "catalog" or "file"
    origin: str  # the URL or the imported file's path
    licence: str
    context_length: int
    architecture: str
    chat_template: bool  # False: the plain prompt format is used
    added_at: str


class ModelManager:
    """List, add (download or import), remove and verify local models in one folder."""

    def __init__(
        self,
        folder: Path,
        *,
        catalog: tuple[CatalogEntry, ...] = catalog_mod.CATALOG,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.folder = Path(folder)
        self.catalog = catalog
        self.transport = transport

    # -- reading -----------------------------------------------------------------------------------

    def installed(self) -> list[InstalledModel]:
        return sorted(self._index().values(), key=lambda m: m.name)

    def get(self, name: str) -> InstalledModel:
        found = self._index().get(name)
        if found is None:
            raise NotFound(f"no local model {name!r} is installed (see `lifeos llm list`)")
        return found

    def by_file(self, path: Path) -> InstalledModel | None:
        resolved = Path(path).resolve()
        return next((m for m in self._index().values() if m.file.resolve() == resolved), None)

    def ready(self, name: str) -> InstalledModel:
        """The model, checked cheaply before a load: present, and the size it had when verified
        (a full checksum of gigabytes at every load would cost seconds; `verify` does that)."""
        model = self.get(name)
        try:
            size = model.file.stat().st_size
        except OSError:
            raise NotFound(f"the file of local model {name!r} is gone ({model.file}); add it again") from None
        if size != model.size_bytes:
            raise ModelCorrupt(
                f"the file of local model {name!r} changed size ({size:,} bytes, verified at "
                f"{model.size_bytes:,}); remove it and add it again"
            )
        return model

    def estimated_bytes(self, name: str, n_ctx: int = DEFAULT_CONTEXT) -> int:
        """Resident memory of this model when loaded with `n_ctx` tokens of context (its budget check)."""
        info = read_info(self.ready(name).file)
        return estimate_bytes(info, min(n_ctx, info.context_length))

    def verify(self, name: str, progress: Progress | None = None) -> InstalledModel:
        """Recompute the checksum; `ModelCorrupt` when the file no longer matches."""
        model = self.ready(name)
        digest = sha256_file(model.file, progress)
        if digest != model.sha256:
            raise ModelCorrupt(
                f"local model {name!r} no longer matches its checksum; remove it and add it again"
            )
        return model

    # -- changing ----------------------------------------------------------------------------------

    def add(self, what: str, *, progress: Progress | None = None, name: str | None = None) -> InstalledModel:
        """A catalog name (downloaded) or a path to a `.gguf` file (imported)."""
        path = Path(what).expanduser()
        if what.lower().endswith(".gguf") or path.is_file():
            return self.import_file(path, name=name, progress=progress)
        return self.download(catalog_mod.find(what, self.catalog), progress=progress)

    def download(self, entry: CatalogEntry, *, progress: Progress | None = None) -> InstalledModel:
        existing = self._index().get(entry.name)
        if existing is not None:
            return existing
        target = self.folder / f"{entry.name}.gguf"
        got = download_mod.download(
            entry.url, target, sha256=entry.sha256, progress=progress, transport=self.transport
        )
        try:
            info = read_info(target)
        except ModelCorrupt:
            target.unlink(missing_ok=True)
            raise
        return self._record(entry.name, info, got.sha256, "catalog", entry.url, entry.licence)

    def import_file(
        self, source: Path, *, name: str | None = None, progress: Progress | None = None
    ) -> InstalledModel:
        """Copy a GGUF file the person already has into the folder, after checking it is whole."""
        source = Path(source).expanduser()
        if not source.is_file():
            raise UsageError(f"no file {source}")
        info = read_info(source)  # refuses a truncated or foreign file before anything is copied
        chosen = name or _slug(source.stem)
        if chosen in self._index():
            raise UsageError(f"a local model named {chosen!r} is installed already; remove it first")
        target = self.folder / f"{chosen}.gguf"
        self.folder.mkdir(parents=True, exist_ok=True)
        part = target.with_name(target.name + ".part")
        try:
            _copy(source, part, progress)
            digest = sha256_file(part)
            known = next((e for e in self.catalog if e.sha256 and e.size_bytes == info.file_bytes), None)
            licence = known.licence if known and known.sha256 == digest else "see the model's card"
            part.replace(target)
        finally:
            part.unlink(missing_ok=True)
        return self._record(chosen, read_info(target), digest, "file", str(source), licence)

    def remove(self, name: str) -> InstalledModel:
        model = self.get(name)
        index = self._index()
        del index[name]
        self._write(index)
        model.file.unlink(missing_ok=True)
        return model

    # -- internals ---------------------------------------------------------------------------------

    def _record(
        self, name: str, info: GgufInfo, sha256: str, source: str, origin: str, licence: str
    ) -> InstalledModel:
        model = InstalledModel(
            name=name,
            file=info.path,
            sha256=sha256,
            size_bytes=info.file_bytes,
            source=source,
            origin=origin,
            licence=licence,
            context_length=info.context_length,
            architecture=info.architecture,
            chat_template=info.chat_template is not None,
            added_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        index = self._index()
        index[name] = model
        self._write(index)
        return model

    def _index(self) -> dict[str, InstalledModel]:
        path = self.folder / INDEX
        if not path.exists():
            return {}
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return {
                name: InstalledModel(**{**row, "file": self.folder / Path(row["file"]).name})
                for name, row in raw.get("models", {}).items()
            }
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise DataError(
                f"the local model index {path} is unreadable ({exc}); remove it and add the models again"
            ) from exc

    def _write(self, index: dict[str, InstalledModel]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        rows: dict[str, Any] = {n: {**asdict(m), "file": m.file.name} for n, m in sorted(index.items())}
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".index-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"version": 1, "models": rows}, f, indent=2)
        os.replace(tmp, self.folder / INDEX)


def _slug(stem: str) -> str:
    slug = re.sub(r"[^a-z0-9._-]+", "-", stem.lower()).strip("-.") or "model"
    return slug[:64]


def _copy(source: Path, target: Path, progress: Progress | None) -> None:
    total = source.stat().st_size
    done = 0
    with source.open("rb") as src, target.open("wb") as dst:
        while block := src.read(4 << 20):
            dst.write(block)
            done += len(block)
            if progress is not None:
                progress(done, total)
    shutil.copystat(source, target)
