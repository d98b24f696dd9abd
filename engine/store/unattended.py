"""Unattended unlock, for the OS scheduler's heartbeat: opt-in, and removable at any time.

A heartbeat started by systemd, cron or launchd has nobody to type the passphrase. Putting the
passphrase in a unit file would leave it in plain text; instead, `enable` wraps the database key under
a fresh random key that lives in the user's *config* folder (mode 0600), apart from the profile. A
copied or backed-up profile folder therefore still cannot be opened without the passphrase; whoever
controls this user account can, as with any OS keychain. `disable` deletes both halves.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path

import platformdirs
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from engine.errors import DataError, ProfileLocked
from engine.store.keys import write_keyfile_bytes
from engine.store.profile import APP_NAME, ProfilePaths, unlock_key

WRAP_NAME = "lifeos.unattended.json"
AAD = b"lifeos-unattended:1"


def _secret_path(paths: ProfilePaths) -> Path:
    digest = hashlib.sha256(str(paths.home.resolve()).encode()).hexdigest()[:16]
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / f"unattended-{digest}.key"


def is_enabled(paths: ProfilePaths) -> bool:
    return (paths.home / WRAP_NAME).is_file() and _secret_path(paths).is_file()


def enable(paths: ProfilePaths, passphrase: str) -> Path:
    """Allow the scheduler to unlock this profile; returns where the device secret was written."""
    db_key = unlock_key(paths, passphrase)
    secret = os.urandom(32)
    nonce = os.urandom(12)
    wrapped = AESGCM(secret).encrypt(nonce, db_key, AAD)
    secret_file = _secret_path(paths)
    secret_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_keyfile_bytes(secret_file, base64.b64encode(secret))
    doc = {"format": "lifeos-unattended", "version": 1, "nonce": base64.b64encode(nonce).decode(),
           "ciphertext": base64.b64encode(wrapped).decode()}  # fmt: skip
    write_keyfile_bytes(paths.home / WRAP_NAME, json.dumps(doc).encode())
    return secret_file


def disable(paths: ProfilePaths) -> None:
    for path in (paths.home / WRAP_NAME, _secret_path(paths)):
        path.unlink(missing_ok=True)


def unlock(paths: ProfilePaths) -> bytes:
    if not is_enabled(paths):
        raise ProfileLocked(
            f"the profile in {paths.home} is locked and unattended unlock is not enabled; "
            "set LIFEOS_PASSPHRASE or run `lifeos heartbeat install`"
        )
    try:
        secret = base64.b64decode(_secret_path(paths).read_bytes(), validate=True)
        doc = json.loads((paths.home / WRAP_NAME).read_text())
        nonce = base64.b64decode(doc["nonce"], validate=True)
        return AESGCM(secret).decrypt(nonce, base64.b64decode(doc["ciphertext"], validate=True), AAD)
    except (InvalidTag, ValueError, KeyError, TypeError) as exc:
        raise DataError("unattended unlock data is damaged; run `lifeos heartbeat install` again") from exc
