"""The creator's signing key, made once and kept in the encrypted profile.

The key is stored in the same document format as `lifeos coach keygen` writes (`signing.KEY_FORMAT`),
so the backup the studio exports is a key file the CLI signs with (`lifeos coach build --sign`),
and a key made with the CLI could be taken into the studio the same way. It lives in `meta`, inside
the SQLCipher database: readable only with the profile unlocked, never written out in the clear
except when the creator asks for a backup (0600, never over an existing file).
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from engine.coaches.signing import KEY_FORMAT, Publisher, PublisherKey
from engine.errors import PackError, UsageError

META_KEY = "studio.publisher_key"


def new_document(name: str) -> dict[str, str]:
    name = name.strip()
    if not name or len(name) > 100:
        raise UsageError(
            "a publisher name of 1 to 100 characters is needed (coachees see it on your coaches)"
        )
    private = Ed25519PrivateKey.generate()
    return {
        "format": KEY_FORMAT,
        "name": name,
        "public": base64.b64encode(private.public_key().public_bytes_raw()).decode(),
        "private": base64.b64encode(private.private_bytes_raw()).decode(),
    }


def from_document(document: dict[str, Any]) -> PublisherKey:
    try:
        private = Ed25519PrivateKey.from_private_bytes(base64.b64decode(document["private"], validate=True))
        name = str(document["name"])
    except (KeyError, TypeError, ValueError) as exc:
        raise PackError(f"the studio's publisher key is damaged ({exc})") from None
    public = base64.b64encode(private.public_key().public_bytes_raw()).decode()
    return PublisherKey(Publisher(name, public), private)


def write_backup(document: dict[str, Any], path: Path) -> Path:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise UsageError(f"{path} exists; a key backup is never written over another file") from None
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(document, out, indent=2)
    return path
