"""The HTTP side of sync: signed requests, retries with back-off, typed refusals.

A `transport` can be given (httpx's cut between client and network, as STYLE.md takes from httpx);
by default requests go over the network. A 429 or 5xx answer, a timeout or a dropped connection is
retried a bounded number of times with exponential back-off (honouring `Retry-After`, capped); a
401/403/404/409/413 is the server's decision and raises `SyncRefused` at once.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from typing import Any

import httpx
from nacl.signing import SigningKey

from engine.errors import SyncError, SyncRefused
from engine.sync import protocol
from engine.sync.crypto import sign

RETRY_STATUSES = {429, 500, 502, 503, 504}
MAX_ATTEMPTS = 6
BASE_DELAY_S = 0.2
MAX_DELAY_S = 5.0
TIMEOUT_S = 30.0


class SyncClient:
    """One device talking to one server; `identity` is None before the device has an account."""

    def __init__(
        self,
        server: str,
        *,
        account_id: str = "",
        device_id: str = "",
        device_key: SigningKey | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.server = server.rstrip("/")
        self.account_id = account_id
        self.device_id = device_id
        self.device_key = device_key
        self._sleep = sleep
        self._http = httpx.Client(base_url=self.server, transport=transport, timeout=TIMEOUT_S)
        self.retries = 0

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: dict[str, Any] | None = None,
        signed: bool = True,
    ) -> Any:
        """Send one request (JSON in, JSON out), signed by this device unless `signed` is False."""
        raw = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        url = httpx.URL(protocol.PREFIX + path, params=params)
        path_qs = url.raw_path.decode()
        delay = BASE_DELAY_S
        for attempt in range(MAX_ATTEMPTS):
            headers = {"content-type": "application/json"}
            if signed:
                headers.update(self._signature(method, path_qs, raw))
            try:
                response = self._http.request(method, path_qs, content=raw, headers=headers)
            except httpx.TransportError as exc:
                if attempt == MAX_ATTEMPTS - 1:
                    raise SyncError(f"sync server {self.server} could not be reached: {exc}") from exc
                self.retries += 1
                self._sleep(delay)
                delay = min(delay * 2, MAX_DELAY_S)
                continue
            if response.status_code in RETRY_STATUSES and attempt < MAX_ATTEMPTS - 1:
                self.retries += 1
                wait = _retry_after(response) or delay
                self._sleep(min(wait, MAX_DELAY_S))
                delay = min(delay * 2, MAX_DELAY_S)
                continue
            if response.status_code >= 400:
                detail = _detail(response)
                if response.status_code in RETRY_STATUSES:
                    raise SyncError(
                        f"sync server {self.server} kept answering {response.status_code}: {detail}"
                    )
                raise SyncRefused(
                    f"sync server {self.server} refused {method} {path}: {response.status_code} {detail}",
                    response.status_code,
                )
            return response.json() if response.content else None
        raise SyncError(f"sync server {self.server}: no answer after {MAX_ATTEMPTS} attempts")

    def _signature(self, method: str, path_qs: str, raw: bytes) -> dict[str, str]:
        if self.device_key is None:
            raise SyncError("this device has no sync key yet")
        timestamp = str(int(time.time() * 1000))
        nonce = os.urandom(protocol.NONCE_HEX_LEN // 2).hex()
        message = protocol.signed_string(method, path_qs, timestamp, nonce, raw)
        return {
            protocol.H_ACCOUNT: self.account_id,
            protocol.H_DEVICE: self.device_id,
            protocol.H_TIMESTAMP: timestamp,
            protocol.H_NONCE: nonce,
            protocol.H_SIGNATURE: sign(self.device_key, message),
        }

    def download(self, url: str, dest: Any, *, offset: int = 0) -> int:
        """Stream a file (a coach pack) into `dest` from `offset` on: a dropped download resumes."""
        headers = {"range": f"bytes={offset}-"} if offset else {}
        written = 0
        with self._http.stream("GET", url, headers=headers) as response:
            if response.status_code not in (200, 206):
                raise SyncRefused(f"{url}: {response.status_code}", response.status_code)
            if offset and response.status_code == 200:
                dest.seek(0)
                dest.truncate()
            for chunk in response.iter_bytes():
                dest.write(chunk)
                written += len(chunk)
        return written


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error", ""))
    except (ValueError, AttributeError):
        return response.text[:200]
