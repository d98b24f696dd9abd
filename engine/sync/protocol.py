"""The wire protocol between the sync client (engine/sync) and the server (backend/), in one place.

The only module the server shares with the engine (DESIGN.md §1), so it imports nothing but the
standard library. A request is signed by the device that sends it: the signed string covers the
method, the path with its query, a millisecond timestamp, a random nonce and the body's SHA-256, so
a signature cannot be moved to another request, and the server refuses a timestamp outside
`MAX_SKEW_MS` or a nonce it has already seen (replay).
"""

from __future__ import annotations

import hashlib

VERSION = "1"
PREFIX = "/v1"

# Request headers.
H_ACCOUNT = "x-lifeos-account"
H_DEVICE = "x-lifeos-device"
H_TIMESTAMP = "x-lifeos-timestamp"
H_NONCE = "x-lifeos-nonce"
H_SIGNATURE = "x-lifeos-signature"

MAX_SKEW_MS = 5 * 60 * 1000
NONCE_HEX_LEN = 32
MAX_BODY_BYTES = 8 * 1024 * 1024
MAX_PUSH_ITEMS = 1000
MAX_PULL_ITEMS = 1000
PAIRING_TTL_S = 10 * 60

# Paths (under PREFIX).
ACCOUNTS = "/accounts"  # POST: create an account with its first device
ACCOUNT = "/account"  # DELETE: delete the account and everything it stored
LOG = "/log"  # POST: append blobs; GET ?after=&limit=: read from a cursor
REWRAP = "/log/rewrap"  # POST: replace blobs by seq with re-sealed ones (key rotation)
DEVICES = "/devices"  # GET: list; POST: add a device (pairing); POST /devices/{id}/revoke
KEYS = "/keys"  # POST: a rotated key sealed to each device; GET: this device's envelopes
PAIR = "/pair"  # POST offer; GET /pair/{id}; POST/GET /pair/{id}/answer; POST/GET /pair/{id}/seal
CATALOG = "/catalog"  # GET: the coach catalog; GET /packs/{file}: a pack (Range requests)
METRICS = "/metrics"  # Prometheus text format (not under PREFIX)


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def signed_string(method: str, path_qs: str, timestamp_ms: str, nonce: str, body: bytes) -> bytes:
    """What a device signs and the server verifies (see the module docstring)."""
    return "\n".join(
        ("lifeos-sync/" + VERSION, method.upper(), path_qs, timestamp_ms, nonce, body_digest(body))
    ).encode()
