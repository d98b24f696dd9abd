"""Who published a coach pack: Ed25519 signatures over the manifest, and the keys that make them.

A pack's manifest lists the SHA-256 of every file, so one signature over the manifest's exact bytes
(`manifest.sig`, beside it) vouches for the whole pack. The manifest names its publisher and their
public key; the installed coach keeps that key, so an update signed by another key (or not signed)
cannot take the coach's place unless the coachee accepts the new publisher, and a catalog can pin
the key it expects. A pack without a publisher is a creator's own build: it installs, marked
unsigned. The private key stays with the publisher, in a file this module writes readable by its
owner only (0600).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from engine.errors import PackError, PackTampered

SIGNATURE = "manifest.sig"
KEY_FORMAT = "lifeos-publisher-key"


@dataclass(frozen=True)
class Publisher:
    """The name a publisher goes by and their Ed25519 public key (base64 of the 32 raw bytes)."""

    name: str
    key: str


@dataclass(frozen=True)
class PublisherKey:
    publisher: Publisher
    private: Ed25519PrivateKey

    def sign(self, manifest_bytes: bytes) -> bytes:
        return base64.b64encode(self.private.sign(manifest_bytes)) + b"\n"


def create_key(path: Path, name: str) -> Publisher:
    """Write a new publisher key to `path` (never over an existing file) and return its public half."""
    if not name.strip() or len(name) > 100:
        raise PackError("a publisher name of 1 to 100 characters is needed")
    private = Ed25519PrivateKey.generate()
    publisher = Publisher(name.strip(), _public_b64(private.public_key()))
    document = {
        "format": KEY_FORMAT,
        "name": publisher.name,
        "public": publisher.key,
        "private": base64.b64encode(private.private_bytes_raw()).decode(),
    }
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise PackError(f"{path} exists; a publisher key is never overwritten") from None
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(document, out, indent=2)
    return publisher


def load_key(path: Path) -> PublisherKey:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(document, dict) or document.get("format") != KEY_FORMAT:
            raise PackError(f"{path.name} is not a LifeOS publisher key")
        private = Ed25519PrivateKey.from_private_bytes(base64.b64decode(document["private"], validate=True))
        name = str(document["name"])
    except PackError:
        raise
    except (
        OSError,
        UnicodeDecodeError,
        json.JSONDecodeError,
        KeyError,
        TypeError,
        ValueError,
        binascii.Error,
    ) as exc:
        raise PackError(f"cannot read the publisher key {path}: {exc}") from None
    return PublisherKey(Publisher(name, _public_b64(private.public_key())), private)


def verify(manifest_bytes: bytes, signature: bytes | None, publisher: Publisher) -> None:
    """`PackTampered` unless `signature` is `publisher`'s over exactly these manifest bytes."""
    if signature is None:
        raise PackTampered(SIGNATURE, f"is missing, but the manifest names {publisher.name} as its publisher")
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(publisher.key, validate=True))
        key.verify(base64.b64decode(signature.strip(), validate=True), manifest_bytes)
    except (InvalidSignature, ValueError, binascii.Error):
        raise PackTampered(
            SIGNATURE, f"does not verify with {publisher.name}'s key (changed, or not theirs)"
        ) from None


def _public_b64(key: Ed25519PublicKey) -> str:
    return base64.b64encode(key.public_bytes_raw()).decode()
