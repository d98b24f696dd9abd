"""The thin sync server: a relay of opaque blobs and the coach catalog (DESIGN.md §8).

It never sees a plaintext or a key: what it stores is an append-only per-account log of sealed
blobs, device public keys, and rotated keys sealed to each device. Every request that touches an
account is signed by one of its devices (`engine/sync/protocol.py`): the signature is checked
against the device's public key, the timestamp must be fresh and the nonce new (replay protection),
and a revoked device is refused. An account's device can only ever name its own account, so a
device of A asking for B's log is refused before any query runs.

Limits: request bodies over `max_body` bytes are refused (413) before they are read whole; each
account (and, for the unsigned pairing calls, each client address) has a token bucket (429 with
`Retry-After`). `/metrics` speaks Prometheus' text format; the access log is one JSON object per
request and never contains a blob or a body.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from backend.limits import RateLimiter
from backend.metrics import Metrics
from backend.store import Conflict, Store
from engine.sync import protocol

log = logging.getLogger("lifeos.server")

_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_PAIR_ID = re.compile(r"^[0-9A-Z]{4}$")
_HEX = re.compile(r"^[0-9a-f]+$")


class Refused(Exception):
    def __init__(self, status: int, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


def create_app(
    store: Store,
    *,
    catalog_dir: Path | None = None,
    rate_per_s: float = 50.0,
    burst: int = 200,
    max_body: int = protocol.MAX_BODY_BYTES,
) -> Starlette:
    """The server app over `store`; `catalog_dir` (catalog.json and its packs) is served if given."""
    metrics = Metrics()
    limiter = RateLimiter(rate_per_s, burst)

    async def body_of(request: Request) -> bytes:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_body:
            raise Refused(413, f"request body over {max_body} bytes")
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_body:
                raise Refused(413, f"request body over {max_body} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def json_of(raw: bytes) -> dict[str, Any]:
        try:
            value = json.loads(raw or b"{}")
        except ValueError:
            raise Refused(400, "body is not JSON") from None
        if not isinstance(value, dict):
            raise Refused(400, "body must be a JSON object")
        return value

    def limit(key: str) -> None:
        wait = limiter.take(key)
        if wait is not None:
            raise Refused(429, "rate limit exceeded", retry_after=wait)

    async def authenticate(request: Request, raw: bytes, *, public_key: str | None = None) -> tuple[str, str]:
        """(account id, device id) of a correctly signed, fresh, unreplayed request by an active device."""
        h = request.headers
        account, device = h.get(protocol.H_ACCOUNT, ""), h.get(protocol.H_DEVICE, "")
        stamp, nonce, signature = (
            h.get(protocol.H_TIMESTAMP, ""),
            h.get(protocol.H_NONCE, ""),
            h.get(protocol.H_SIGNATURE, ""),
        )
        if not (
            _ID.match(device)
            and stamp.isdigit()
            and len(nonce) == protocol.NONCE_HEX_LEN
            and _HEX.match(nonce)
        ):
            raise Refused(401, "missing or malformed signature headers")
        if public_key is None:
            if not _ID.match(account):
                raise Refused(401, "missing account")
            limit("account:" + account)
            found = await run_in_threadpool(store.device, account, device)
            if found is None:
                raise Refused(403, "unknown device for this account")
            if found.revoked_at is not None:
                raise Refused(403, "this device was revoked")
            public_key = found.public_key
        if abs(int(time.time() * 1000) - int(stamp)) > protocol.MAX_SKEW_MS:
            raise Refused(401, "request timestamp too far from the server's clock")
        path_qs = request.scope.get("raw_path", request.url.path.encode()).decode()
        if request.scope.get("query_string"):
            path_qs += "?" + request.scope["query_string"].decode()
        message = protocol.signed_string(request.method, path_qs, stamp, nonce, raw)
        if not _verify(public_key, message, signature):
            raise Refused(401, "bad signature")
        try:
            await run_in_threadpool(store.use_nonce, account or "new", device, nonce, protocol.MAX_SKEW_MS)
        except Conflict:
            raise Refused(401, "replayed request (nonce already used)") from None
        return account, device

    def endpoint(
        name: str, handler: Callable[[Request], Awaitable[Response]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            started = time.perf_counter()
            request.state.account = ""
            try:
                response = await handler(request)
            except Refused as exc:
                headers = {"retry-after": f"{exc.retry_after:.2f}"} if exc.retry_after else None
                response = JSONResponse({"error": str(exc)}, status_code=exc.status, headers=headers)
            except ClientDisconnect:  # the device went away mid-request (killed, offline): nothing to answer
                response = Response(status_code=499)
            elapsed = time.perf_counter() - started
            size_in = int(request.headers.get("content-length") or 0)
            size_out = int(response.headers.get("content-length") or 0)
            metrics.observe(name, response.status_code, elapsed, size_in, size_out)
            log.info(
                json.dumps(
                    {
                        "route": name,
                        "method": request.method,
                        "status": response.status_code,
                        "account": request.state.account,
                        "bytes_in": size_in,
                        "bytes_out": size_out,
                        "ms": round(elapsed * 1000, 2),
                    }
                )
            )
            return response

        return run

    # -- accounts and devices --------------------------------------------------------------------

    async def create_account(request: Request) -> Response:
        limit("ip:" + _client(request))
        raw = await body_of(request)
        body = json_of(raw)
        device, public = str(body.get("device_id", "")), str(body.get("public_key", ""))
        if not _ID.match(device) or not _is_key(public):
            raise Refused(400, "device_id and a 32-byte hex public_key are required")
        await authenticate(request, raw, public_key=public)  # proof that the caller holds the key
        account = binascii.hexlify(os.urandom(16)).decode()
        await run_in_threadpool(store.create_account, account, device, public)
        request.state.account = account
        return JSONResponse({"account_id": account}, status_code=201)

    async def delete_account(request: Request) -> Response:
        account, _ = await authenticate(request, await body_of(request))
        request.state.account = account
        await run_in_threadpool(store.delete_account, account)
        return JSONResponse({"deleted": True})

    async def list_devices(request: Request) -> Response:
        account, _ = await authenticate(request, await body_of(request))
        request.state.account = account
        devices = await run_in_threadpool(store.devices, account)
        return JSONResponse(
            {
                "devices": [
                    {
                        "device_id": d.device_id,
                        "public_key": d.public_key,
                        "added_at": _iso(d.added_at),
                        "revoked_at": _iso(d.revoked_at) if d.revoked_at else None,
                    }
                    for d in devices
                ]
            }
        )

    async def revoke_device(request: Request) -> Response:
        account, _ = await authenticate(request, await body_of(request))
        request.state.account = account
        target = request.path_params["device_id"]
        if not await run_in_threadpool(store.revoke_device, account, target):
            raise Refused(404, f"no active device {target} in this account")
        return JSONResponse({"revoked": target})

    # -- the log ---------------------------------------------------------------------------------

    async def push(request: Request) -> Response:
        raw = await body_of(request)
        account, device = await authenticate(request, raw)
        request.state.account = account
        items = json_of(raw).get("items")
        if not isinstance(items, list) or not 0 < len(items) <= protocol.MAX_PUSH_ITEMS:
            raise Refused(400, f"items must be a list of 1 to {protocol.MAX_PUSH_ITEMS} blobs")
        decoded = []
        for item in items:
            item_id = str(item.get("id", "")) if isinstance(item, dict) else ""
            if not (len(item_id) == 32 and _HEX.match(item_id)):
                raise Refused(400, "each item needs a 32-hex-digit id")
            decoded.append((item_id, _unb64(item.get("blob"))))
        seqs = await run_in_threadpool(store.append, account, device, decoded)
        metrics.count("blobs_appended", len(decoded))
        return JSONResponse({"seqs": seqs})

    async def pull(request: Request) -> Response:
        account, _ = await authenticate(request, await body_of(request))
        request.state.account = account
        try:
            after = int(request.query_params.get("after", "0"))
            count = min(int(request.query_params.get("limit", "500")), protocol.MAX_PULL_ITEMS)
        except ValueError:
            raise Refused(400, "after and limit must be integers") from None
        rows = await run_in_threadpool(store.read, account, after, max(count, 1))
        head = await run_in_threadpool(store.head, account)
        return JSONResponse(
            {
                "items": [{"seq": s, "blob": base64.b64encode(b).decode()} for s, b in rows],
                "head": head,
            }
        )

    async def rewrap(request: Request) -> Response:
        raw = await body_of(request)
        account, _ = await authenticate(request, raw)
        request.state.account = account
        items = json_of(raw).get("items")
        if not isinstance(items, list) or len(items) > protocol.MAX_PUSH_ITEMS:
            raise Refused(400, "items must be a list of {seq, blob}")
        decoded = [(int(i["seq"]), _unb64(i.get("blob"))) for i in items]
        changed = await run_in_threadpool(store.rewrap, account, decoded)
        return JSONResponse({"rewrapped": changed})

    async def put_keys(request: Request) -> Response:
        raw = await body_of(request)
        account, _ = await authenticate(request, raw)
        request.state.account = account
        body = json_of(raw)
        key_id, envelopes = str(body.get("key_id", "")), body.get("envelopes")
        if not (_HEX.match(key_id) and isinstance(envelopes, dict)):
            raise Refused(400, "key_id and envelopes {device_id: base64} are required")
        decoded = {str(d): _unb64(e) for d, e in envelopes.items()}
        try:
            await run_in_threadpool(store.put_envelopes, account, key_id, decoded)
        except Conflict:
            raise Refused(409, "this key was already published") from None
        return JSONResponse({"stored": len(decoded)})

    async def get_keys(request: Request) -> Response:
        account, device = await authenticate(request, await body_of(request))
        request.state.account = account
        rows = await run_in_threadpool(store.envelopes, account, device)
        return JSONResponse(
            {"envelopes": [{"key_id": k, "envelope": base64.b64encode(e).decode()} for k, e in rows]}
        )

    # -- pairing ---------------------------------------------------------------------------------

    async def offer(request: Request) -> Response:
        raw = await body_of(request)
        account, _ = await authenticate(request, raw)
        request.state.account = account
        body = json_of(raw)
        pair_id, public = str(body.get("pair_id", "")), str(body.get("public", ""))
        if not (_PAIR_ID.match(pair_id) and _is_key(public)):
            raise Refused(400, "pair_id (4 characters) and a 32-byte hex public key are required")
        try:
            expires = await run_in_threadpool(
                store.offer_pairing, pair_id, account, public, protocol.PAIRING_TTL_S
            )
        except Conflict:
            raise Refused(409, "pairing id in use; start pairing again") from None
        return JSONResponse({"expires_at": expires / 1000}, status_code=201)

    async def pairing_of(request: Request) -> dict[str, Any]:
        pair_id = request.path_params["pair_id"]
        found = await run_in_threadpool(store.pairing, pair_id) if _PAIR_ID.match(pair_id) else None
        if found is None:
            raise Refused(404, "no such pairing code, or it expired")
        return found

    async def show_offer(request: Request) -> Response:
        limit("ip:" + _client(request))
        found = await pairing_of(request)
        return JSONResponse({"public": found["public"], "expires_at": found["expires_at"] / 1000})

    async def answer(request: Request) -> Response:
        limit("ip:" + _client(request))
        raw = await body_of(request)
        found = await pairing_of(request)
        body = json_of(raw)
        fields = {k: str(body.get(k, "")) for k in ("public", "device_id", "device_public", "proof")}
        if not (
            _is_key(fields["public"]) and _is_key(fields["device_public"]) and _ID.match(fields["device_id"])
        ):
            raise Refused(400, "public, device_id, device_public and proof are required")
        try:
            await run_in_threadpool(store.answer_pairing, found["pair_id"], json.dumps(fields))
        except Conflict:
            raise Refused(409, "this pairing code was already used") from None
        return JSONResponse({"answered": True})

    async def read_answer(request: Request) -> Response:
        account, _ = await authenticate(request, await body_of(request))
        request.state.account = account
        found = await pairing_of(request)
        if found["account_id"] != account:
            raise Refused(404, "no such pairing code, or it expired")
        return JSONResponse({"answer": json.loads(found["answer"]) if found["answer"] else None})

    async def cancel(request: Request) -> Response:
        account, _ = await authenticate(request, await body_of(request))
        found = await pairing_of(request)
        if found["account_id"] != account:
            raise Refused(404, "no such pairing code, or it expired")
        await run_in_threadpool(store.end_pairing, found["pair_id"])
        return JSONResponse({"cancelled": True})

    async def seal(request: Request) -> Response:
        raw = await body_of(request)
        account, _ = await authenticate(request, raw)
        request.state.account = account
        found = await pairing_of(request)
        if found["account_id"] != account or not found["answer"]:
            raise Refused(404, "no answered pairing with this code in this account")
        body = json_of(raw)
        answered = json.loads(found["answer"])
        if (
            body.get("device_id") != answered["device_id"]
            or body.get("public_key") != answered["device_public"]
        ):
            raise Refused(400, "the device to add is not the one that answered")
        try:
            await run_in_threadpool(
                store.add_device, account, answered["device_id"], answered["device_public"]
            )
        except Conflict:
            raise Refused(409, "that device is already in this account") from None
        _unb64(body.get("box"))
        await run_in_threadpool(store.seal_pairing, found["pair_id"], str(body["box"]))
        return JSONResponse({"added": answered["device_id"]})

    async def read_seal(request: Request) -> Response:
        limit("ip:" + _client(request))
        found = await pairing_of(request)
        if not found["box"]:
            return JSONResponse({"box": None})
        await run_in_threadpool(store.end_pairing, found["pair_id"])  # single use: gone once fetched
        return JSONResponse({"box": found["box"]})

    # -- operations ------------------------------------------------------------------------------

    async def metrics_endpoint(request: Request) -> Response:
        stats = await run_in_threadpool(store.stats)
        return PlainTextResponse(metrics.render(stats), media_type="text/plain; version=0.0.4")

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True, "protocol": protocol.VERSION})

    p = protocol.PREFIX
    routes: list[Any] = [
        Route(p + "/accounts", endpoint("create_account", create_account), methods=["POST"]),
        Route(p + "/account", endpoint("delete_account", delete_account), methods=["DELETE"]),
        Route(p + "/devices", endpoint("devices", list_devices), methods=["GET"]),
        Route(p + "/devices/{device_id}/revoke", endpoint("revoke", revoke_device), methods=["POST"]),
        Route(p + "/log", endpoint("push", push), methods=["POST"]),
        Route(p + "/log", endpoint("pull", pull), methods=["GET"]),
        Route(p + "/log/rewrap", endpoint("rewrap", rewrap), methods=["POST"]),
        Route(p + "/keys", endpoint("put_keys", put_keys), methods=["POST"]),
        Route(p + "/keys", endpoint("get_keys", get_keys), methods=["GET"]),
        Route(p + "/pair", endpoint("pair_offer", offer), methods=["POST"]),
        Route(p + "/pair/{pair_id}", endpoint("pair_show", show_offer), methods=["GET"]),
        Route(p + "/pair/{pair_id}/answer", endpoint("pair_answer", answer), methods=["POST"]),
        Route(p + "/pair/{pair_id}/answer", endpoint("pair_read_answer", read_answer), methods=["GET"]),
        Route(p + "/pair/{pair_id}/cancel", endpoint("pair_cancel", cancel), methods=["POST"]),
        Route(p + "/pair/{pair_id}/seal", endpoint("pair_seal", seal), methods=["POST"]),
        Route(p + "/pair/{pair_id}/seal", endpoint("pair_read_seal", read_seal), methods=["GET"]),
        Route(protocol.METRICS, metrics_endpoint, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
    ]
    if catalog_dir is not None:
        # StaticFiles answers Range requests, so a cut pack download resumes where it stopped.
        routes.append(
            Mount(p + protocol.CATALOG, app=StaticFiles(directory=str(catalog_dir)), name="catalog")
        )
    app = Starlette(routes=routes)
    app.state.store = store
    app.state.metrics = metrics
    return app


def _verify(public_hex: str, message: bytes, signature: str) -> bool:
    from nacl.exceptions import BadSignatureError
    from nacl.signing import VerifyKey

    try:
        VerifyKey(bytes.fromhex(public_hex)).verify(message, bytes.fromhex(signature))
    except (BadSignatureError, ValueError):
        return False
    return True


def _is_key(text: str) -> bool:
    return len(text) == 64 and bool(_HEX.match(text))


def _unb64(value: Any) -> bytes:
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        raise Refused(400, "blob is not base64") from None


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _iso(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms / 1000))
