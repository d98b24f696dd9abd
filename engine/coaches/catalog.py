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

import functools
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlparse

from engine.coaches.manifest import Manifest
from engine.errors import PackError, PackTampered

if TYPE_CHECKING:
    import httpx  # imported where used: it costs ~0.15 s at every start

CATALOG_SCHEMA = 1
MAX_CATALOG_BYTES = 4 << 20
MAX_CATALOG_ENTRIES = 10_000
MAX_DOWNLOAD_BYTES = 512 << 20
"""The largest pack fetched (the size a pack may unpack to, see `engine.coaches.pack`)."""
DOWNLOAD_DEADLINE_S = 30 * 60.0
"""A whole download, every resumed attempt included: at this deadline a 512 MB pack needs about
300 KB/s. A server trickling a byte every two seconds is given up on, not waited for."""
MAX_REDIRECTS = 5
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
    publisher_key: str | None = None  # when given, only packs signed by this Ed25519 key install


def is_url(text: str) -> bool:
    return urlparse(str(text)).scheme in ("http", "https")


def _entry(raw: object, base: str) -> CatalogEntry:
    """One catalog entry, checked against `entry_schema`; a URL is resolved against the catalog's
    own place, and a catalog fetched from the web may only point at the web (never `file://`)."""
    from pydantic import ValidationError

    try:
        checked = entry_schema().model_validate(raw)
    except ValidationError as exc:
        ident = raw.get("id", "?") if isinstance(raw, dict) else "?"
        error = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in error["loc"]) or "(the entry)"
        raise PackError(f"catalog entry {str(ident)[:63]!r} is invalid: {where}: {error['msg']}") from None
    entry = CatalogEntry(
        id=checked.id,
        name=checked.name,
        version=checked.version,
        domain=checked.domain,
        description=checked.description,
        languages=tuple(checked.languages),
        tags=tuple(checked.tags),
        size=checked.size,
        sha256=checked.sha256,
        url=checked.url,
        publisher_key=checked.publisher_key,
    )
    if is_url(base):
        url = urljoin(base, entry.url)
        if not is_url(url):
            raise PackError(
                f"catalog entry {entry.id!r} points at {url[:80]!r}; a web catalog may only link http(s)"
            )
    else:
        url = entry.url if is_url(entry.url) else str(Path(base).parent / entry.url)
    return CatalogEntry(**{**entry.__dict__, "url": url})


@functools.cache
def entry_schema() -> Any:
    """A catalog entry's schema (pydantic, strict, with ceilings), built on first use."""
    from typing import Annotated, Literal

    from pydantic import BaseModel, ConfigDict, Field, StringConstraints

    def text(max_length: int, min_length: int = 0, pattern: str | None = None) -> Any:
        return Annotated[
            str, StringConstraints(min_length=min_length, max_length=max_length, pattern=pattern)
        ]

    short_text, long_text, url = text(100, 1), text(5000), text(2000, 1)
    coach_id, version = text(63, 1, r"^[a-z0-9][a-z0-9-]{0,62}$"), text(30, 1, r"^\d+(\.\d+){0,2}$")
    digest, label = text(64, 64, "^[0-9a-f]{64}$"), text(50)

    class EntrySchema(BaseModel):
        model_config = ConfigDict(extra="ignore", strict=True)
        id: coach_id  # type: ignore[valid-type]
        name: short_text  # type: ignore[valid-type]
        version: version  # type: ignore[valid-type]
        domain: Literal["Health", "Wealth", "Wisdom"]
        description: long_text = ""  # type: ignore[valid-type]
        languages: list[label] = Field(default_factory=lambda: ["en"], max_length=20)  # type: ignore[valid-type]
        tags: list[label] = Field(default_factory=list, max_length=50)  # type: ignore[valid-type]
        size: Annotated[int, Field(ge=0, le=MAX_DOWNLOAD_BYTES)]
        sha256: digest  # type: ignore[valid-type]
        url: url  # type: ignore[valid-type]
        publisher_key: text(44, 44, r"^[A-Za-z0-9+/]{43}=$") | None = None  # type: ignore[valid-type]

    return EntrySchema


def parse_catalog(raw: bytes | str, base: str) -> list[CatalogEntry]:
    if len(raw) > MAX_CATALOG_BYTES:
        raise PackError(f"the catalog is larger than {MAX_CATALOG_BYTES >> 20} MB")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise PackError(f"the catalog is not valid JSON ({exc})") from None
    schema = data.get("schema") if isinstance(data, dict) else None
    if not isinstance(schema, int) or isinstance(schema, bool):
        raise PackError("the catalog has no schema version")
    if schema > CATALOG_SCHEMA:
        raise PackError(
            f"the catalog uses format {schema}, newer than this app ({CATALOG_SCHEMA}); update LifeOS Coach"
        )
    coaches = data.get("coaches", [])
    if not isinstance(coaches, list) or len(coaches) > MAX_CATALOG_ENTRIES:
        raise PackError(f"the catalog's 'coaches' must be a list of at most {MAX_CATALOG_ENTRIES:,} entries")
    return [_entry(e, base) for e in coaches]


def load_catalog(
    source: str | Path, *, transport: httpx.BaseTransport | None = None, timeout: float = 10.0
) -> list[CatalogEntry]:
    """A catalog from a file or a URL."""
    import httpx

    text = str(source)
    if is_url(text):
        with httpx.Client(
            transport=transport, timeout=timeout, follow_redirects=True, max_redirects=MAX_REDIRECTS
        ) as client:
            try:
                with client.stream("GET", text, headers={"Accept-Encoding": "identity"}) as response:
                    response.raise_for_status()
                    body = b""
                    for block in response.iter_bytes():
                        body += block
                        if len(body) > MAX_CATALOG_BYTES:
                            raise PackError(
                                f"the catalog at {text} is larger than {MAX_CATALOG_BYTES >> 20} MB"
                            )
            except httpx.HTTPError as exc:
                raise PackError(f"could not fetch the catalog {text}: {_why(exc)}") from None
        return parse_catalog(body, text)
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
    deadline_s: float = DOWNLOAD_DEADLINE_S,
    max_bytes: int = MAX_DOWNLOAD_BYTES,
) -> Path:
    """Fetch `url` into `dest`, resuming from `dest.part` (Range) after a cut; verified by `sha256`.

    A server that ignores Range (200 instead of 206) makes the download start over rather than
    append a second copy. After `attempts` failed connections the `.part` file is kept, so the next
    call resumes where this one stopped. What is refused (past `max_bytes` or the catalog's `size`,
    past `deadline_s`, a wrong checksum, a redirect loop) leaves no file behind. Bytes are taken as
    sent (`Accept-Encoding: identity`): a compressed response could otherwise unpack to gigabytes.
    """
    import httpx

    limit = min(max_bytes, size) if size is not None else max_bytes
    deadline = time.monotonic() + deadline_s
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    if part.exists() and part.stat().st_size > limit:
        part.unlink()  # a stale part from another version of the pack: start over
    resumed = part.exists()
    last_error: Exception | None = None
    try:
        with httpx.Client(
            transport=transport, timeout=timeout, follow_redirects=True, max_redirects=MAX_REDIRECTS
        ) as client:
            for attempt in range(attempts):
                have = part.stat().st_size if part.exists() else 0
                if size is not None and have >= size:
                    break
                headers = {"Accept-Encoding": "identity", **({"Range": f"bytes={have}-"} if have else {})}
                try:
                    with client.stream("GET", url, headers=headers) as response:
                        if response.status_code == 416:  # nothing left to send: the part is whole
                            break
                        response.raise_for_status()
                        if have and response.status_code != 206:
                            have = 0
                        total = _total(response, have, size)
                        if total > limit:
                            raise _Refused(
                                f"{url} is {total >> 20} MB, more than the {limit >> 20} MB allowed"
                            )
                        with part.open("ab" if have else "wb") as out:
                            done = have
                            for block in response.iter_bytes():  # unchunked: every byte received is kept
                                done += len(block)
                                if done > limit:
                                    raise _Refused(f"{url} sent more than the {limit >> 20} MB allowed")
                                if time.monotonic() > deadline:
                                    raise _Refused(f"{url} did not finish downloading in {deadline_s:.0f} s")
                                out.write(block)
                                if progress:
                                    progress("download", done, total)
                    if total and part.stat().st_size < total:
                        raise httpx.ReadError("the connection closed before the end of the file")
                    break
                except httpx.HTTPStatusError as exc:
                    if exc.response.status_code < 500:
                        raise _Refused(f"could not download {url}: HTTP {exc.response.status_code}") from None
                    last_error = exc
                except httpx.TransportError as exc:  # cut connection, timeout: resume on the next attempt
                    last_error = exc
                except httpx.HTTPError as exc:  # redirect loop, undecodable body: trying again will not help
                    raise _Refused(f"could not download {url}: {_why(exc)}") from None
                if time.monotonic() > deadline:
                    raise _Refused(f"{url} did not finish downloading in {deadline_s:.0f} s")
                if attempt + 1 < attempts:
                    time.sleep(min(2.0, pause * (2**attempt)))
            else:
                raise PackError(
                    f"could not download {url} after {attempts} attempts ({_why(last_error)}); "
                    "run the install again to resume"
                )
    except _Refused as exc:
        part.unlink(missing_ok=True)
        raise PackError(str(exc)) from None
    if sha256 is not None and file_sha256(part) != sha256:
        part.unlink()
        if resumed:  # the part kept from an earlier try was of another file: one fresh download
            return download(
                url,
                dest,
                sha256=sha256,
                size=size,
                progress=progress,
                transport=transport,
                timeout=timeout,
                attempts=attempts,
                pause=pause,
                deadline_s=deadline_s,
                max_bytes=max_bytes,
            )
        raise PackTampered(dest.name, "does not match the catalog's checksum (changed or damaged download)")
    part.replace(dest)
    return dest


class _Refused(Exception):
    """A download that must not be resumed later: its partial file is removed."""


def _why(exc: BaseException | None) -> str:
    """An httpx error in words (some carry no message of their own)."""
    if exc is None:
        return "no answer"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


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
        **({"publisher_key": manifest.publisher.key} if manifest.publisher else {}),
    }
