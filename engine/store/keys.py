"""The key hierarchy: passphrase → Argon2id → key-encryption key → wrapped database key.

As Standard Notes and Joplin do it: the database is encrypted with a random 32-byte key that never
changes, and only that key is wrapped (AES-256-GCM) by a key derived from the passphrase. Unlocking
costs one Argon2id; changing the passphrase rewraps 32 bytes instead of re-encrypting the database.
The key file holds no secret in the clear: salt, KDF parameters, nonce and ciphertext. Its header is
bound into the GCM tag as associated data, so lowering the KDF cost in the file is detected.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from engine.errors import DataError, WeakPassphrase, WrongPassphrase

KEYFILE_FORMAT = "lifeos-keyfile"
KEYFILE_VERSION = 1
MIN_PASSPHRASE_CHARS = 8
DB_KEY_BYTES = 32
MAX_TIME_COST = 64
MAX_MEMORY_KIB = 1024 * 1024
MAX_PARALLELISM = 16
"""Upper bounds checked before any derivation: a tampered or damaged key file must not be able to ask
for hours of CPU or terabytes of memory. Each is far above what a real profile uses (3, 64 MiB, 1)."""


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost. Defaults follow DESIGN.md §2 (about 140 ms on a 2-core laptop)."""

    time_cost: int = 3
    memory_kib: int = 64 * 1024
    parallelism: int = 1

    def check(self) -> None:
        """Refuse parameters too weak to be ours (a tampered file must not make brute force cheap)
        or too costly to try (it must not hang the unlock or exhaust memory)."""
        if self.time_cost < 1 or self.memory_kib < 8 * 1024 or self.parallelism < 1:
            raise DataError("key file has Argon2id parameters below the minimum; refusing to use it")
        if (
            self.time_cost > MAX_TIME_COST
            or self.memory_kib > MAX_MEMORY_KIB
            or self.parallelism > MAX_PARALLELISM
        ):
            raise DataError(
                f"key file asks for Argon2id t={self.time_cost} m={self.memory_kib} KiB "
                f"p={self.parallelism}, beyond the limits (t≤{MAX_TIME_COST}, m≤{MAX_MEMORY_KIB} KiB, "
                f"p≤{MAX_PARALLELISM}): it is damaged; restore it from a backup"
            )


@dataclass(frozen=True)
class KeyFile:
    """What is stored beside the database. Every field is public; the secret is the passphrase."""

    version: int
    kdf: KdfParams
    salt: bytes
    nonce: bytes
    wrapped_key: bytes

    def associated_data(self) -> bytes:
        """The header authenticated by GCM along with the wrapped key."""
        k = self.kdf
        return (
            f"{KEYFILE_FORMAT}:{self.version}:argon2id:{k.time_cost}:{k.memory_kib}:{k.parallelism}".encode()
        )

    def checksum(self) -> str:
        """SHA-256 over every field, stored beside them: tells accidental damage (exit 4, "damaged")
        from a wrong passphrase (exit 3) before any key is derived. It is no defence against a
        deliberate edit, which GCM's tag over the same header still catches."""
        digest = hashlib.sha256(self.associated_data())
        for part in (self.salt, self.nonce, self.wrapped_key):
            digest.update(len(part).to_bytes(4, "big") + part)
        return digest.hexdigest()

    def to_json(self) -> str:
        b64 = base64.b64encode
        return json.dumps(
            {
                "format": KEYFILE_FORMAT,
                "version": self.version,
                "kdf": {
                    "name": "argon2id",
                    "time_cost": self.kdf.time_cost,
                    "memory_kib": self.kdf.memory_kib,
                    "parallelism": self.kdf.parallelism,
                    "salt": b64(self.salt).decode(),
                },
                "wrap": {
                    "alg": "AES-256-GCM",
                    "nonce": b64(self.nonce).decode(),
                    "ciphertext": b64(self.wrapped_key).decode(),
                },
                "sha256": self.checksum(),
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> KeyFile:
        try:
            doc = json.loads(text)
            if doc.get("format") != KEYFILE_FORMAT:
                raise DataError("key file is not a LifeOS key file")
            version = int(doc["version"])
            if version > KEYFILE_VERSION:
                raise DataError(
                    f"key file version {version} is newer than this app understands ({KEYFILE_VERSION}); "
                    "update LifeOS Coach"
                )
            kdf = doc["kdf"]
            wrap = doc["wrap"]
            if kdf.get("name") != "argon2id" or wrap.get("alg") != "AES-256-GCM":
                raise DataError("key file names an unknown algorithm")
            params = KdfParams(int(kdf["time_cost"]), int(kdf["memory_kib"]), int(kdf["parallelism"]))
            result = cls(
                version=version,
                kdf=params,
                salt=base64.b64decode(kdf["salt"], validate=True),
                nonce=base64.b64decode(wrap["nonce"], validate=True),
                wrapped_key=base64.b64decode(wrap["ciphertext"], validate=True),
            )
        except DataError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError, OverflowError) as exc:
            raise DataError(f"key file is damaged ({type(exc).__name__}); restore it from a backup") from exc
        if len(result.salt) < 16 or len(result.nonce) != 12 or len(result.wrapped_key) != DB_KEY_BYTES + 16:
            raise DataError("key file is damaged (wrong field sizes); restore it from a backup")
        stored = doc.get("sha256")
        # Files written before the checksum existed have none; GCM still authenticates them.
        if stored is not None and not (
            isinstance(stored, str) and hmac.compare_digest(stored, result.checksum())
        ):
            raise DataError("key file is damaged (its checksum does not match); restore it from a backup")
        params.check()
        return result


def check_passphrase_strength(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE_CHARS:
        raise WeakPassphrase(f"passphrase must be at least {MIN_PASSPHRASE_CHARS} characters")


def derive_kek(passphrase: str, salt: bytes, params: KdfParams) -> bytes:
    return hash_secret_raw(
        passphrase.encode("utf-8"),
        salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=32,
        type=Type.ID,
    )


def wrap_key(db_key: bytes, passphrase: str, params: KdfParams | None = None) -> KeyFile:
    """Wrap `db_key` under a fresh salt and nonce (both are new on every rewrap)."""
    params = params or KdfParams()
    salt = os.urandom(16)
    nonce = os.urandom(12)
    draft = KeyFile(KEYFILE_VERSION, params, salt, nonce, b"\0" * (DB_KEY_BYTES + 16))
    kek = derive_kek(passphrase, salt, params)
    wrapped = AESGCM(kek).encrypt(nonce, db_key, draft.associated_data())
    return KeyFile(KEYFILE_VERSION, params, salt, nonce, wrapped)


def unwrap_key(keyfile: KeyFile, passphrase: str) -> bytes:
    kek = derive_kek(passphrase, keyfile.salt, keyfile.kdf)
    try:
        return AESGCM(kek).decrypt(keyfile.nonce, keyfile.wrapped_key, keyfile.associated_data())
    except InvalidTag:
        raise WrongPassphrase("wrong passphrase") from None


def new_db_key() -> bytes:
    return os.urandom(DB_KEY_BYTES)


def read_keyfile(path: Path) -> KeyFile:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"key file {path} is damaged; restore it from a backup") from exc
    return KeyFile.from_json(text)


def write_keyfile(path: Path, keyfile: KeyFile) -> None:
    """Replace the key file atomically: a crash leaves either the old or the new file, never half."""
    write_keyfile_bytes(path, keyfile.to_json().encode("utf-8"))


def write_keyfile_bytes(path: Path, data: bytes) -> None:
    """Write key material atomically and private to this user (0600)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # not supported on this platform (Windows); the rename is still atomic there
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
