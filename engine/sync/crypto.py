"""The cryptography of sync, all from PyNaCl (libsodium): what the server can never read.

- A change travels as one blob sealed under the account key, a random 32-byte key shared only
  between the coachee's devices. The blob is two XChaCha20-Poly1305 messages (24-byte random nonces):
  a header naming the table, row id, hybrid clock and device id, and the row itself, sealed with
  that header as associated data, so a row cannot be replayed under another row's name, clock or
  device. The server stores the blob and sees its size and position only.
- Each blob starts with the 8-byte id of the key that sealed it, so after a key rotation a device
  knows which key opens an old blob and which blobs still need re-wrapping.
- Each device signs its requests with its own Ed25519 key (its public half is all the server holds).
- Pairing: an X25519 exchange whose result is bound to the secret half of a short code that never
  reaches the server, so a server that swaps the public keys cannot complete it.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from dataclasses import dataclass

from nacl import bindings
from nacl.exceptions import BadSignatureError, CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.signing import SigningKey, VerifyKey

from engine.errors import SyncIntegrityError

BLOB_VERSION = 1
KEY_ID_BYTES = 8
NONCE_BYTES = bindings.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES  # 24
ACCOUNT_KEY_BYTES = 32


def new_account_key() -> bytes:
    return os.urandom(ACCOUNT_KEY_BYTES)


def key_id(account_key: bytes) -> str:
    """A public name for a key (a hash, so it says nothing about the key)."""
    return hashlib.blake2b(account_key, digest_size=KEY_ID_BYTES, person=b"lifeos-keyid").hexdigest()


@dataclass(frozen=True)
class Header:
    """What a change is about; sealed, and bound to its row as associated data."""

    table: str
    row_id: str
    hlc: str
    device_id: str
    op: str
    base: str | None

    def aad(self) -> bytes:
        return "\x1f".join((self.table, self.row_id, self.hlc, self.device_id, self.op)).encode()


def _aead_seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, aad, nonce, key)


def _aead_open(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    nonce, box = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
    return bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(box, aad, nonce, key)


def seal_change(account_key: bytes, header: Header, row: bytes) -> bytes:
    """version ‖ key id ‖ len(sealed header) ‖ sealed header ‖ sealed row (AAD = the header's fields)."""
    kid = bytes.fromhex(key_id(account_key))
    prefix = bytes([BLOB_VERSION]) + kid
    head = json.dumps(
        {
            "t": header.table,
            "r": header.row_id,
            "h": header.hlc,
            "d": header.device_id,
            "o": header.op,
            "b": header.base,
        },
        separators=(",", ":"),
    ).encode()
    sealed_head = _aead_seal(account_key, head, prefix)
    return (
        prefix
        + struct.pack(">I", len(sealed_head))
        + sealed_head
        + _aead_seal(account_key, row, header.aad())
    )


def blob_key_id(blob: bytes) -> str:
    if len(blob) < 1 + KEY_ID_BYTES + 4 or blob[0] != BLOB_VERSION:
        raise SyncIntegrityError("a sync blob is not in a format this app reads (version or length)")
    return blob[1 : 1 + KEY_ID_BYTES].hex()


def open_change(keys: dict[str, bytes], blob: bytes) -> tuple[Header, bytes]:
    """Open a blob with whichever known key sealed it; any flipped byte raises SyncIntegrityError."""
    kid = blob_key_id(blob)
    account_key = keys.get(kid)
    if account_key is None:
        raise SyncIntegrityError(f"a sync blob is sealed with key {kid}, which this device does not hold")
    prefix = blob[: 1 + KEY_ID_BYTES]
    (head_len,) = struct.unpack(">I", blob[1 + KEY_ID_BYTES : 5 + KEY_ID_BYTES])
    start = 5 + KEY_ID_BYTES
    try:
        head = json.loads(_aead_open(account_key, blob[start : start + head_len], prefix))
        header = Header(head["t"], head["r"], head["h"], head["d"], head["o"], head["b"])
        row = _aead_open(account_key, blob[start + head_len :], header.aad())
    except (CryptoError, ValueError, KeyError, TypeError) as exc:
        raise SyncIntegrityError(
            "a sync blob failed authentication (altered on the server or in transit); it was not applied"
        ) from exc
    return header, row


# -- device keys and request signatures --------------------------------------------------------


def new_device_key() -> SigningKey:
    return SigningKey.generate()


def public_hex(key: SigningKey) -> str:
    return key.verify_key.encode().hex()


def sign(key: SigningKey, message: bytes) -> str:
    return key.sign(message).signature.hex()


def verify(public: str, message: bytes, signature: str) -> bool:
    try:
        VerifyKey(bytes.fromhex(public)).verify(message, bytes.fromhex(signature))
    except (BadSignatureError, ValueError):
        return False
    return True


# -- pairing ------------------------------------------------------------------------------------


def pairing_key(own: PrivateKey, peer_public_hex: str, code_secret: str, transcript: bytes) -> bytes:
    """The key both sides derive: X25519 shared secret, the code's secret and the exchanged keys.

    The code secret never reaches the server, so a server that substitutes its own public keys ends
    up with a different key on each side and cannot produce the joiner's proof or read the reply.
    """
    shared = bindings.crypto_scalarmult(bytes(own), bytes.fromhex(peer_public_hex))
    return hashlib.blake2b(
        shared + transcript,
        key=hashlib.sha256(code_secret.upper().encode()).digest(),
        digest_size=32,
        person=b"lifeos-pairing",
    ).digest()


def proof(key: bytes, label: bytes) -> str:
    return hashlib.blake2b(label, key=key, digest_size=32).hexdigest()


def secretbox_seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    return _aead_seal(key, plaintext, aad)


def secretbox_open(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    try:
        return _aead_open(key, sealed, aad)
    except (CryptoError, ValueError) as exc:
        raise SyncIntegrityError("the pairing reply failed authentication; pair again") from exc


def ephemeral() -> PrivateKey:
    return PrivateKey.generate()


# -- key rotation: a new account key sealed to each device's own key ------------------------------


def seal_to_device(device_public_hex: str, payload: bytes) -> bytes:
    """SealedBox to the X25519 twin of a device's Ed25519 key: only that device opens it."""
    curve = VerifyKey(bytes.fromhex(device_public_hex)).to_curve25519_public_key()
    return SealedBox(PublicKey(bytes(curve))).encrypt(payload)


def open_for_device(device_key: SigningKey, sealed: bytes) -> bytes:
    try:
        return SealedBox(device_key.to_curve25519_private_key()).decrypt(sealed)
    except CryptoError as exc:
        raise SyncIntegrityError("a key envelope for this device failed authentication") from exc
