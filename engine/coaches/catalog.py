"""The coach catalog (browse, filter) and resumable downloads of packs over HTTP(S).

A catalog is a small JSON document, `{"schema": 1, "coaches": [entry, …]}`, each entry naming a pack
with its domain, languages, download size, SHA-256 and URL (relative URLs resolve against the
catalog's own location, so the same catalog works from a folder of files or from a server). The app
ships one for its bundled coaches (assets/coaches/catalog.json); a server publishes another.

Downloads go to `<name>.part` beside the target and resume with an HTTP Range request after a cut
connection, so a large pack on a poor network is never fetched twice; the file is only renamed into
place once its SHA-256 matches the catalog's. httpx's `transport=` lets tests swap the network.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlparse

from engine.coaches.manifest import DOMAINS, Manifest
from engine.errors import PackError, PackTampered

if TYPE_CHECKING:
    import httpx  # imported where used: it costs ~0.15 s at every start

CATALOG_SCHEMA = 1
Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    name: str
    version: str
    domain: str
    description: str
    languages: tuple[str, ...]
    tags: tuple[str, ...]
    size: int  # download size in bytes
    sha256: str
    url: str  # absolute (resolved against the catalog)


def is_url(text: str) -> bool:
    return urlparse(str(text)).scheme in ("http", "https")


def _entry(raw: dict[str, object], base: str) -> CatalogEntry:
    try:
        entry = CatalogEntry(
            id=str(raw["id"]),
            name=str(raw["name"]),
            version=str(raw["version"]),
            domain=str(raw["domain"]),
            description=str(raw.get("description", "")),
            languages=tuple(str(x) for x in raw.get("languages", ["en"])),  # type: ignore[attr-defined]
            tags=tuple(str(x) for x in raw.get("tags", [])),  # type: ignore[attr-defined]
            size=int(raw["size"]),  # type: ignore[arg-type]
            sha256=str(raw["sha256"]),
            url=str(raw["url"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise PackError(f"catalog entry {raw.get('id', '?')!r} is incomplete ({exc})") from None
    if entry.domain not in DOMAINS:
        raise PackError(f"catalog entry {entry.id!r}: unknown domain {entry.domain!r}")
    url = (
        entry.url
        if is_url(entry.url)
        else urljoin(base, entry.url)
        if is_url(base)
        else str(Path(base).parent / entry.url)
    )
    return CatalogEntry(**{**entry.__dict__, "url": url})


def parse_catalog(raw: bytes | str, base: str) -> list[CatalogEntry]:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise PackError(f"the catalog is not valid JSON ({exc})") from None
    schema = data.get("schema") if isinstance(data, dict) else None
    if not isinstance(schema, int):
        raise PackError("the catalog has no schema version")
    if schema > CATALOG_SCHEMA:
        raise PackError(
            f"the catalog uses format {schema}, newer than this app ({CATALOG_SCHEMA}); update LifeOS Coach"
        )
    return [_entry(e, base) for e in data.get("coaches", [])]


def load_catalog(
    source: str | Path, *, transport: httpx.BaseTransport | None = None, timeout: float = 10.0
) -> list[CatalogEntry]:
    """A catalog from a file or a URL."""
    import httpx

    text = str(source)
    if is_url(text):
        with httpx.Client(transport=transport, timeout=timeout, follow_redirects=True) as client:
            try:
                response = client.get(text)
                response.raise_for_status()
            except httpx.HTTPError as exc:
                raise PackError(f"could not fetch the catalog {text}: {exc}") from None
        return parse_catalog(response.content, text)
    path = Path(source)
    if not path.is_file():
        raise PackError(f"no catalog at {path}")
    return parse_catalog(path.read_bytes(), str(path.resolve()))


def browse(
    entries: list[CatalogEntry],
    *,
    domain: str | None = None,
    language: str | None = None,
    text: str | None = None,
) -> list[CatalogEntry]:
    """Filter by domain (case-insensitive), language code, and words in name, description or tags."""
    out = entries
    if domain:
        out = [e for e in out if e.domain.lower() == domain.lower()]
    if language:
        out = [e for e in out if language.lower() in (lang.lower() for lang in e.languages)]
    if text:
        words = text.lower().split()
        out = [
            e for e in out if all(w in f"{e.name} {e.description} {' '.join(e.tags)}".lower() for w in words)
        ]
    return sorted(out, key=lambda e: (e.domain, e.name.lower()))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download(
    url: str,
    dest: Path,
    *,
    sha256: str | None = None,
    size: int | None = None,
    progress: Progress | None = None,
    transport: httpx.BaseTransport | None = None,
    timeout: float = 30.0,
    attempts: int = 5,
    pause: float = 0.2,
) -> Path:
    """Fetch `url` into `dest`, resuming from `dest.part` (Range) after a cut; verified by `sha256`.

    A server that ignores Range (200 instead of 206) makes the download start over rather than
    append a second copy. After `attempts` failed connections the `.part` file is kept, so the next
    call resumes where this one stopped.
    """
    import httpx

    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    last_error: Exception | None = None
    with httpx.Client(transport=transport, timeout=timeout, follow_redirects=True) as client:
        for attempt in range(attempts):
            have = part.stat().st_size if part.exists() else 0
            if size is not None and have >= size:
                break
            headers = {"Range": f"bytes={have}-"} if have else {}
            try:
                with client.stream("GET", url, headers=headers) as response:
                    if response.status_code == 416:  # nothing left to send: the part is whole
                        break
                    response.raise_for_status()
                    if have and response.status_code != 206:
                        have = 0
                    total = _total(response, have, size)
                    with part.open("ab" if have else "wb") as out:
                        done = have
                        for block in response.iter_bytes():  # unchunked: every byte received is kept
                            out.write(block)
                            done += len(block)
                            if progress:
                                progress("download", done, total)
                if total and part.stat().st_size < total:
                    raise httpx.ReadError("the connection closed before the end of the file")
                break
            except httpx.HTTPStatusError as exc:
                if exc.response.status_code < 500:
                    raise PackError(f"could not download {url}: HTTP {exc.response.status_code}") from None
                last_error = exc
            except httpx.TransportError as exc:  # cut connection, timeout: resume on the next attempt
                last_error = exc
            if attempt + 1 < attempts:
                time.sleep(min(2.0, pause * (2**attempt)))
        else:
            raise PackError(
                f"could not download {url} after {attempts} attempts ({last_error}); run the install again to resume"
            )
    if sha256 is not None and file_sha256(part) != sha256:
        part.unlink()
        raise PackTampered(dest.name, "does not match the catalog's checksum (changed or damaged download)")
    part.replace(dest)
    return dest


def _total(response: httpx.Response, have: int, size: int | None) -> int:
    if response.status_code == 206:
        cr = response.headers.get("content-range", "")
        if "/" in cr and cr.rsplit("/", 1)[1].isdigit():
            return int(cr.rsplit("/", 1)[1])
    length = response.headers.get("content-length")
    if length and length.isdigit():
        return int(length) + (have if response.status_code == 206 else 0)
    return size or 0


def catalog_entry(pack_path: Path, manifest: Manifest, url: str) -> dict[str, object]:
    """A catalog entry for a built pack (used to write the bundled catalog)."""
    return {
        "id": manifest.id,
        "name": manifest.name,
        "version": manifest.version,
        "domain": manifest.domain,
        "description": manifest.description,
        "languages": list(manifest.languages),
        "tags": list(manifest.tags),
        "size": pack_path.stat().st_size,
        "sha256": file_sha256(pack_path),
        "url": url,
    }
