"""`engine.sync`: end-to-end-encrypted sync between the coachee's own devices (DESIGN.md §8).

Methods here hold the sequence (push, then pull; pairing's two halves); the rules live in the
modules beside it: what is captured (engine/store/capture.py), how a change is sealed (crypto.py),
how a pulled change is merged (apply.py), how requests are signed and retried (client.py).

Push goes before pull so that a local edit is placed in the server's order before this device
decides anything against it. Each page of a push is marked acknowledged in one transaction when
the server answers, and each page of a pull is applied in one transaction with the cursor, so a
device killed at any moment resumes without re-sending what was acknowledged or applying anything
twice (and the server drops a re-sent change it already has, by its keyed id).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.clock import iso_utc
from engine.errors import PairingError, SyncError, SyncIntegrityError, SyncRefused, UsageError
from engine.session import Part, guarded
from engine.store import capture, meta
from engine.sync import apply as apply_mod
from engine.sync import crypto, state
from engine.sync import outbox as outbox_mod
from engine.sync.client import SyncClient

if TYPE_CHECKING:
    import httpx

    from engine.session import Session

PUSH_PAGE = 500
PULL_PAGE = 500
PAIR_POLL_S = 0.25
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U to misread
PAIR_URI = "lifeos-pair:"

Progress = Callable[[str, int, int], None]  # (phase, done, total)


@dataclass(frozen=True)
class SyncStatus:
    """What `lifeos sync status` and Settings → Sync show."""

    configured: bool
    server: str = ""
    account_id: str = ""
    device_id: str = ""
    pending: int = 0  # rows with edits not yet acknowledged by the server
    cursor: int = 0
    last_sync: str | None = None
    last_error: str | None = None
    history: int = 0  # versions kept after losing a conflict
    rejected: list[dict[str, Any]] = field(default_factory=list)
    key_id: str = ""


@dataclass(frozen=True)
class SyncReport:
    """One sync: what went up, what came down and what the merge rules did with it."""

    pushed: int
    pulled: int
    applied: int
    kept_as_history: int
    skipped: int
    rejected: int
    retries: int
    seconds: float


@dataclass(frozen=True)
class SyncDevice:
    device_id: str
    public_key: str
    added_at: str
    revoked_at: str | None
    this_device: bool


@dataclass(frozen=True)
class PairingCode:
    """Shown on the device that has the account: typed (`code`) or scanned as a QR code (`uri`)."""

    code: str
    uri: str
    expires_at: float  # Unix time


@dataclass
class _Offer:
    secret: str
    ephemeral: Any
    expires_at: float


def parse_code(text: str) -> tuple[str | None, str, str]:
    """(server or None, pairing id, secret) from `ABCD-EFGH-JKMN` or a `lifeos-pair:` URI."""
    server: str | None = None
    raw = text.strip()
    if raw.startswith(PAIR_URI):
        rest = raw[len(PAIR_URI) :]
        code, sep, server = rest.partition("@")
        if not sep or not server:
            raise PairingError(f"pairing link {raw!r} names no server")
        raw = code
    cleaned = raw.upper().replace("-", "").replace(" ", "")
    if len(cleaned) != 12 or any(c not in CODE_ALPHABET for c in cleaned):
        raise PairingError(f"pairing code {text!r} is not 12 characters like ABCD-EFGH-JKMN")
    return server, cleaned[:4], cleaned[4:]


def _random_code(n: int) -> str:
    return "".join(CODE_ALPHABET[b % 32] for b in os.urandom(n))


@guarded
class Sync(Part):
    """Push, pull, pairing and devices, over the profile's session."""

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.transport: httpx.BaseTransport | None = None  # tests and benchmarks may swap it
        self.push_page = PUSH_PAGE
        self.pull_page = PULL_PAGE
        self._offers: dict[str, _Offer] = {}
        self._running = threading.Lock()
        db = session.db
        with db.lock:
            missing = capture.missing_triggers(db.conn)
        if missing:  # a table added to the registry after this profile was made
            with db.atomic() as conn:
                capture.install_triggers(conn, missing)

    # -- set-up ----------------------------------------------------------------------------------

    def setup(self, server: str) -> SyncStatus:
        """Create an account on `server` with this device as its first device."""
        if not server.startswith(("http://", "https://")):
            raise UsageError(f"sync server {server!r} must be an http:// or https:// URL")
        db = self._s.db
        with db.lock:
            if state.load(db.conn) is not None:
                raise UsageError("sync is already set up on this profile (see `lifeos sync status`)")
        device_key = crypto.new_device_key()
        client = self._client_for(server, "", device_key)
        try:
            answer = client.request(
                "POST",
                "/accounts",
                body={"device_id": self._s.device_id, "public_key": crypto.public_hex(device_key)},
            )
        finally:
            client.close()
        key = crypto.new_account_key()
        kid = crypto.key_id(key)
        with db.atomic() as conn:
            state.save(conn, state.Config(server, str(answer["account_id"]), device_key, {kid: key}, kid))
        return self.status()

    def leave(self) -> None:
        """Forget this device's sync settings (the data stays; the account and other devices too)."""
        with self._s.db.atomic() as conn:
            state.forget(conn)

    def delete_account(self) -> None:
        """Delete the account and everything the server holds for it (GDPR), then forget it here."""
        with self._client() as client:
            client.request("DELETE", "/account")
        self.leave()

    # -- status ----------------------------------------------------------------------------------

    def status(self) -> SyncStatus:
        db = self._s.db
        with db.lock:
            conn = db.conn
            config = state.load(conn)
            if config is None:
                return SyncStatus(configured=False, device_id=self._s.device_id)
            return SyncStatus(
                configured=True,
                server=config.server,
                account_id=config.account_id,
                device_id=self._s.device_id,
                pending=outbox_mod.count_pending(conn),
                cursor=state.cursor(conn),
                last_sync=meta.get(conn, state.LAST_SYNC),
                last_error=meta.get(conn, state.LAST_ERROR),
                history=int(conn.execute("SELECT count(*) FROM sync_history").fetchone()[0]),
                rejected=meta.get_json(conn, state.REJECTED, []),
                key_id=config.current_key,
            )

    def history(self, table: str | None = None, row_id: str | None = None) -> list[dict[str, Any]]:
        """Versions kept after losing a conflict, oldest first."""
        sql = "SELECT table_name, row_id, hlc, device_id, payload, kept_at FROM sync_history WHERE 1"
        params: list[Any] = []
        if table:
            sql += " AND table_name = ?"
            params.append(table)
        if row_id:
            sql += " AND row_id = ?"
            params.append(row_id)
        rows = self._s.db.query(sql + " ORDER BY hlc", tuple(params))
        return [
            {"table": t, "row_id": r, "hlc": h, "device_id": d, "row": json.loads(p), "kept_at": k}
            for t, r, h, d, p, k in rows
        ]

    # -- the sync itself -------------------------------------------------------------------------

    def now(self, progress: Progress | None = None) -> SyncReport:
        """Push every unacknowledged edit, then pull and apply everything new. One at a time."""
        with self._running:
            started = time.perf_counter()
            try:
                with self._client() as client:
                    self._receive_keys(client)
                    pushed = self._push(client, progress)
                    pulled, counts, rejected = self._pull(client, progress)
                    retries = client.retries
            except SyncError as exc:
                with self._s.db.atomic() as conn:
                    meta.put(conn, state.LAST_ERROR, str(exc))
                raise
            with self._s.db.atomic() as conn:
                meta.put(conn, state.LAST_SYNC, iso_utc(self._s.clock()))
                meta.delete(conn, state.LAST_ERROR)
            return SyncReport(
                pushed=pushed,
                pulled=pulled,
                applied=counts.applied,
                kept_as_history=counts.kept_as_history,
                skipped=counts.skipped,
                rejected=rejected,
                retries=retries,
                seconds=time.perf_counter() - started,
            )

    def background(self) -> SyncReport | None:
        """A sync from the heartbeat or the app's upkeep: none when sync is off, and a failure (offline,
        refused) is kept for `status` to show instead of raised, since nobody is waiting on it."""
        if not self.status().configured:
            return None
        try:
            return self.now()
        except SyncError:
            return None

    def _push(self, client: SyncClient, progress: Progress | None) -> int:
        db = self._s.db
        with db.lock:
            config = state.require(db.conn)
            total = outbox_mod.count_pending(db.conn)
        done = 0
        with db.atomic() as conn:
            outbox_mod.skip_unsynced(conn, iso_utc(self._s.clock()))
        while True:
            self._s.check_open()
            with db.lock:
                page = outbox_mod.pending(db.conn, self.push_page)
            if not page:
                return done
            items = []
            for item in page:
                header = crypto.Header(item.table, item.row_id, item.hlc, item.device_id, item.op, item.base)
                body = json.dumps(item.row, separators=(",", ":")).encode()
                blob = crypto.seal_change(config.account_key, header, body)
                items.append({"id": _item_id(config.account_key, header), "blob": _b64(blob)})
            answer = client.request("POST", "/log", body={"items": items})
            seqs = answer["seqs"]
            if len(seqs) != len(page):
                raise SyncError(f"sync server answered {len(seqs)} positions for {len(page)} changes")
            stamp = iso_utc(self._s.clock())
            with db.atomic() as conn:
                for item, seq in zip(page, seqs, strict=True):
                    outbox_mod.mark_pushed(conn, item, int(seq), stamp)
            done += len(page)
            if progress:
                progress("push", done, max(total, done))

    def _pull(self, client: SyncClient, progress: Progress | None) -> tuple[int, apply_mod.ApplyCounts, int]:
        db = self._s.db
        counts = apply_mod.ApplyCounts()
        pulled = rejected = 0
        start: int | None = None
        while True:
            self._s.check_open()
            with db.lock:
                config = state.require(db.conn)
                cursor = state.cursor(db.conn)
            start = cursor if start is None else start
            answer = client.request("GET", "/log", params={"after": cursor, "limit": self.pull_page})
            items = answer["items"]
            if not items:
                return pulled, counts, rejected
            opened: list[tuple[int, crypto.Header | None, Any, str]] = []
            for item in items:
                try:
                    header, body = crypto.open_change(config.keyring, base64.b64decode(item["blob"]))
                    opened.append((int(item["seq"]), header, json.loads(body), ""))
                except SyncIntegrityError as exc:
                    opened.append((int(item["seq"]), None, None, str(exc)))
            rejected += self._apply_page(opened, counts)
            pulled += len(items)
            if progress:
                head = int(answer.get("head", 0))
                progress("pull", pulled, max(head - start, pulled))

    def _apply_page(
        self, opened: list[tuple[int, crypto.Header | None, Any, str]], counts: apply_mod.ApplyCounts
    ) -> int:
        """Apply one page and move the cursor past it, in one transaction. Foreign keys are checked on
        the whole profile (doctor), not per page: a page may end between a parent and its child."""
        db = self._s.db
        now = iso_utc(self._s.clock())
        rejected: list[dict[str, Any]] = []
        newest: str | None = None
        with db.lock:
            db.conn.execute("PRAGMA foreign_keys = OFF")
            try:
                with db.atomic() as conn:
                    apply_mod.begin_applying(conn)
                    for seq, header, row, error in opened:
                        if header is None:
                            rejected.append({"seq": seq, "error": error})
                            continue
                        apply_mod.apply_change(conn, header, row, seq, self._s.device_id, now, counts)
                        if newest is None or header.hlc[:19] > newest[:19]:
                            newest = header.hlc
                    apply_mod.end_applying(conn, newest)
                    meta.put(conn, state.CURSOR, str(opened[-1][0]))
                    if rejected:
                        kept = meta.get_json(conn, state.REJECTED, [])
                        meta.put_json(conn, state.REJECTED, (kept + rejected)[-100:])
            finally:
                db.conn.execute("PRAGMA foreign_keys = ON")
        return len(rejected)

    # -- pairing ---------------------------------------------------------------------------------

    def pair(self) -> PairingCode:
        """Start pairing: a single-use code (and QR link) that expires; finish with `pair_finish`."""
        with self._client() as client:
            pair_id, secret = _random_code(4), _random_code(8)
            eph = crypto.ephemeral()
            answer = client.request(
                "POST", "/pair", body={"pair_id": pair_id, "public": bytes(eph.public_key).hex()}
            )
            server = client.server
        expires = float(answer["expires_at"])
        self._offers[pair_id] = _Offer(secret, eph, expires)
        code = f"{pair_id}-{secret[:4]}-{secret[4:]}"
        return PairingCode(code=code, uri=f"{PAIR_URI}{code}@{server}", expires_at=expires)

    def pair_finish(self, code: str, timeout_s: float = 600.0) -> str:
        """Wait for the new device to answer, check it knows the code, send it the account key sealed
        for it, and register its device key. Returns the new device's id."""
        _, pair_id, _ = parse_code(code)
        offer = self._offers.get(pair_id)
        if offer is None:
            raise PairingError(f"pairing code {code} was not started on this device (or already used)")
        deadline = min(time.time() + timeout_s, offer.expires_at)
        with self._client() as client:
            answer = None
            while answer is None:
                answer = client.request("GET", f"/pair/{pair_id}/answer").get("answer")
                if answer is None:
                    if time.time() > deadline:
                        self._offers.pop(pair_id, None)
                        raise PairingError(f"pairing code {code} expired before another device joined")
                    time.sleep(PAIR_POLL_S)
                    self._s.check_open()  # a lock does not wait for the other device
            transcript = _transcript(bytes(offer.ephemeral.public_key).hex(), answer)
            key = crypto.pairing_key(offer.ephemeral, answer["public"], offer.secret, transcript)
            self._offers.pop(pair_id, None)
            if crypto.proof(key, b"join" + transcript) != answer.get("proof"):
                client.request("POST", f"/pair/{pair_id}/cancel")
                raise PairingError(
                    "the device that answered does not know the pairing code (or the server altered the "
                    "exchange); nothing was shared; pair again"
                )
            with self._s.db.lock:
                config = state.require(self._s.db.conn)
            payload = json.dumps(
                {
                    "account_id": config.account_id,
                    "keys": {k: v.hex() for k, v in config.keyring.items()},
                    "current": config.current_key,
                }
            ).encode()
            box = crypto.secretbox_seal(key, payload, pair_id.encode())
            client.request(
                "POST",
                f"/pair/{pair_id}/seal",
                body={
                    "box": _b64(box),
                    "device_id": answer["device_id"],
                    "public_key": answer["device_public"],
                },
            )
        return str(answer["device_id"])

    def join(self, code: str, server: str | None = None, timeout_s: float = 600.0) -> SyncStatus:
        """Join the account of the device showing `code`: the other half of `pair`/`pair_finish`."""
        link_server, pair_id, secret = parse_code(code)
        server = (server or link_server or "").rstrip("/")
        if not server:
            raise UsageError(
                "give the sync server (--server URL) or scan the pairing QR code, which names it"
            )
        with self._s.db.lock:
            if state.load(self._s.db.conn) is not None:
                raise UsageError("this profile already syncs with an account; it cannot join another")
        device_key = crypto.new_device_key()
        client = self._client_for(server, "", device_key)
        try:
            key, box = self._join_exchange(client, pair_id, secret, device_key, timeout_s)
        except SyncRefused as exc:
            if exc.status in (404, 409):
                raise PairingError(
                    "this pairing code is unknown, expired, already used, or the other device refused it "
                    "(a mistyped code); start pairing again"
                ) from exc
            raise
        finally:
            client.close()
        payload = json.loads(crypto.secretbox_open(key, base64.b64decode(box), pair_id.encode()))
        keyring = {k: bytes.fromhex(v) for k, v in payload["keys"].items()}
        with self._s.db.atomic() as conn:
            state.save(
                conn,
                state.Config(
                    server, str(payload["account_id"]), device_key, keyring, str(payload["current"])
                ),
            )
            meta.put(conn, state.CURSOR, "0")
        return self.status()

    def _join_exchange(
        self, client: SyncClient, pair_id: str, secret: str, device_key: Any, timeout_s: float
    ) -> tuple[bytes, str]:
        """The joining half of the exchange: answer with a proof of the code, wait for the sealed key."""
        offer = client.request("GET", f"/pair/{pair_id}", signed=False)
        eph = crypto.ephemeral()
        answer = {
            "public": bytes(eph.public_key).hex(),
            "device_id": self._s.device_id,
            "device_public": crypto.public_hex(device_key),
        }
        transcript = _transcript(str(offer["public"]), answer)
        key = crypto.pairing_key(eph, str(offer["public"]), secret, transcript)
        answer["proof"] = crypto.proof(key, b"join" + transcript)
        client.request("POST", f"/pair/{pair_id}/answer", body=answer, signed=False)
        deadline = time.time() + timeout_s
        box = None
        while box is None:
            box = client.request("GET", f"/pair/{pair_id}/seal", signed=False).get("box")
            if box is None:
                if time.time() > deadline:
                    raise PairingError("the other device did not finish pairing in time; pair again")
                time.sleep(PAIR_POLL_S)
                self._s.check_open()  # a lock does not wait for the other device
        return key, str(box)

    # -- devices and keys --------------------------------------------------------------------------

    def devices(self) -> list[SyncDevice]:
        with self._client() as client:
            answer = client.request("GET", "/devices")
        return [
            SyncDevice(
                device_id=d["device_id"],
                public_key=d["public_key"],
                added_at=d["added_at"],
                revoked_at=d.get("revoked_at"),
                this_device=d["device_id"] == self._s.device_id,
            )
            for d in answer["devices"]
        ]

    def revoke(self, device_id: str, *, rotate: bool = True) -> int:
        """Revoke another device; by default rotate the account key too, so the revoked device cannot
        read anything written after today. Returns the number of blobs re-wrapped."""
        if device_id == self._s.device_id:
            raise UsageError("a device cannot revoke itself; revoke it from another device")
        with self._client() as client:
            client.request("POST", f"/devices/{device_id}/revoke")
        return self.rotate_key() if rotate else 0

    def rotate_key(self, progress: Progress | None = None) -> int:
        """Introduce a new account key: sealed to every active device, then every blob on the server
        re-wrapped under it. Returns the number of blobs re-wrapped."""
        db = self._s.db
        with db.lock:
            config = state.require(db.conn)
        new_key = crypto.new_account_key()
        kid = crypto.key_id(new_key)
        ring = {**config.keyring, kid: new_key}
        with self._client() as client:
            active = [d for d in client.request("GET", "/devices")["devices"] if not d.get("revoked_at")]
            payload = json.dumps({"keys": {k: v.hex() for k, v in ring.items()}, "current": kid}).encode()
            envelopes = {
                d["device_id"]: _b64(crypto.seal_to_device(d["public_key"], payload)) for d in active
            }
            client.request("POST", "/keys", body={"key_id": kid, "envelopes": envelopes})
            with db.atomic() as conn:
                state.save(conn, state.Config(config.server, config.account_id, config.device_key, ring, kid))
            return self._rewrap(client, ring, kid, progress)

    def _rewrap(self, client: SyncClient, ring: dict[str, bytes], kid: str, progress: Progress | None) -> int:
        after, done = 0, 0
        while True:
            answer = client.request("GET", "/log", params={"after": after, "limit": self.pull_page})
            items = answer["items"]
            if not items:
                return done
            replaced = []
            for item in items:
                blob = base64.b64decode(item["blob"])
                try:
                    if crypto.blob_key_id(blob) == kid:
                        continue
                    header, body = crypto.open_change(ring, blob)
                except SyncIntegrityError:
                    continue  # reported by a pull; a damaged blob is not re-sealed as if it were good
                replaced.append(
                    {"seq": item["seq"], "blob": _b64(crypto.seal_change(ring[kid], header, body))}
                )
            if replaced:
                client.request("POST", "/log/rewrap", body={"items": replaced})
            done += len(replaced)
            after = int(items[-1]["seq"])
            if progress:
                progress("rewrap", after, int(answer.get("head", after)))

    def _receive_keys(self, client: SyncClient) -> None:
        """Take any rotated key sealed for this device (another device rotated it)."""
        envelopes = client.request("GET", "/keys")["envelopes"]
        if not envelopes:
            return
        db = self._s.db
        with db.lock:
            config = state.require(db.conn)
        ring, current = dict(config.keyring), config.current_key
        for envelope in envelopes:
            if envelope["key_id"] in ring and envelope["key_id"] != current:
                continue
            payload = json.loads(
                crypto.open_for_device(config.device_key, base64.b64decode(envelope["envelope"]))
            )
            ring.update({k: bytes.fromhex(v) for k, v in payload["keys"].items()})
            current = str(payload["current"])
        if ring != config.keyring or current != config.current_key:
            with db.atomic() as conn:
                state.save(
                    conn, state.Config(config.server, config.account_id, config.device_key, ring, current)
                )

    # -- plumbing ----------------------------------------------------------------------------------

    def _client(self) -> SyncClient:
        with self._s.db.lock:
            config = state.require(self._s.db.conn)
        return self._client_for(config.server, config.account_id, config.device_key)

    def _client_for(self, server: str, account_id: str, device_key: Any) -> SyncClient:
        return SyncClient(
            server,
            account_id=account_id,
            device_id=self._s.device_id,
            device_key=device_key,
            transport=self.transport,
        )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _item_id(account_key: bytes, header: crypto.Header) -> str:
    """A keyed hash naming one version of one row: the server drops a re-sent duplicate by it and
    learns nothing from it."""
    message = "\x1f".join((header.table, header.row_id, header.hlc, header.device_id)).encode()
    return hashlib.blake2b(message, key=account_key, digest_size=16, person=b"lifeos-itemid").hexdigest()


def _transcript(offer_public: str, answer: dict[str, Any]) -> bytes:
    return "\x1f".join(
        (offer_public, answer["public"], answer["device_id"], answer["device_public"])
    ).encode()
