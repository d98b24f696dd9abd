"""Download one model file: resumable, checksummed, never half-installed.

The bytes go to `<target>.part`. A dropped connection (a phone leaving Wi-Fi, a server cutting a long
transfer) is resumed with an HTTP `Range` request from the bytes already on disk, a few times with a
short backoff; a server that ignores `Range` (answers 200) is read from the start again. Only when the
whole file is there and its SHA-256 matches is it renamed into place, so a model file under its final
name is always a verified one. A wrong checksum deletes the partial file: resuming cannot repair it.

The expected checksum comes from the catalog or, failing that, from the checksum the host publishes
for the file (`X-Linked-Etag` on Hugging Face). With neither, the download is refused before it starts.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import ModelCorrupt, ModelUnavailable
from engine.llm.gguf import sha256_file

if TYPE_CHECKING:
    import httpx

Progress = Callable[[int, int], None]  # (bytes done, bytes expected; 0 when unknown)
CHUNK = 1 << 20
MAX_RESUMES = 5
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Downloaded:
    path: Path
    sha256: str
    size_bytes: int
    resumes: int  # how many times a dropped connection was resumed


def published_sha256(headers: httpx.Headers) -> str | None:
    """The SHA-256 a host publishes in its headers for a large file, if any."""
    for key in ("x-linked-etag", "etag"):
        value = headers.get(key, "").strip().strip('"').removeprefix("W/").strip('"').lower()
        if _HEX64.fullmatch(value):
            return value
    return None


def download(
    url: str,
    target: Path,
    *,
    sha256: str | None,
    progress: Progress | None = None,
    transport: httpx.BaseTransport | None = None,
    timeout: float = 30.0,
    max_resumes: int = MAX_RESUMES,
    sleep: Callable[[float], None] = time.sleep,
) -> Downloaded:
    """Fetch `url` to `target`; `ModelCorrupt` for a wrong checksum, `ModelUnavailable` when the file
    cannot be had (unreachable, refused, still cut off after `max_resumes` resumes)."""
    import httpx

    part = target.with_name(target.name + ".part")
    target.parent.mkdir(parents=True, exist_ok=True)
    report = progress or (lambda _done, _total: None)
    expected = sha256
    total = 0
    resumes = 0
    with httpx.Client(
        transport=transport, timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)), follow_redirects=True
    ) as client:
        while True:
            have = part.stat().st_size if part.exists() else 0
            headers = {"Range": f"bytes={have}-"} if have else {}
            try:
                with client.stream("GET", url, headers=headers) as response:
                    if response.status_code == 416 and have:  # asked past the end: the file is all here
                        break
                    if response.status_code not in (200, 206):
                        raise ModelUnavailable(
                            f"cannot download {url}: the server answered {response.status_code}"
                        )
                    if expected is None:
                        expected = _published(response)
                        if expected is None:
                            raise ModelUnavailable(
                                f"cannot verify {url}: the catalog has no SHA-256 for it and the server "
                                "publishes none, so it is not downloaded"
                            )
                    if response.status_code == 200:
                        have = 0  # the server ignored Range: start again
                        total = int(response.headers.get("content-length", 0) or 0)
                    else:
                        total = _range_total(response.headers.get("content-range", "")) or total
                    with part.open("ab" if have else "wb") as out:
                        done = have
                        for block in response.iter_bytes(CHUNK):
                            out.write(block)
                            done += len(block)
                            report(done, total)
                break
            except (httpx.TransportError, httpx.TimeoutException) as exc:
                if resumes >= max_resumes:
                    raise ModelUnavailable(
                        f"the download of {url} kept breaking off ({type(exc).__name__}); "
                        f"{part.stat().st_size if part.exists() else 0:,} bytes are kept and the next "
                        "`add` resumes from there"
                    ) from None
                resumes += 1
                sleep(min(8.0, 0.5 * 2 ** (resumes - 1)))
    assert expected is not None
    size = part.stat().st_size
    if total and size != total:
        raise ModelUnavailable(f"the download of {url} ended at {size:,} of {total:,} bytes; try again")
    digest = sha256_file(part)
    if digest != expected:
        part.unlink(missing_ok=True)
        raise ModelCorrupt(
            f"the file downloaded from {url} does not match its checksum (SHA-256 {digest[:12]}…, "
            f"expected {expected[:12]}…); it was deleted and nothing was installed"
        )
    part.replace(target)
    return Downloaded(target, digest, size, resumes)


def _published(response: httpx.Response) -> str | None:
    found = published_sha256(response.headers)
    if found is None:
        for earlier in response.history:  # the redirect from the hub carries it
            found = published_sha256(earlier.headers)
            if found:
                break
    return found


def _range_total(content_range: str) -> int:
    """The full size from `Content-Range: bytes a-b/total` (0 when unknown)."""
    _, _, total = content_range.partition("/")
    return int(total) if total.strip().isdigit() else 0
