"""This device's sync configuration, kept in the encrypted database's `meta` (never synced itself).

The account key ring and the device's private signing key live only here, inside SQLCipher, so they
are as safe as the notes they protect and leave with a purge of the profile.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from nacl.signing import SigningKey

from engine.errors import SyncNotSetUp
from engine.store import meta
from engine.store.connection import Connection

SERVER = "sync.server"
ACCOUNT = "sync.account"
DEVICE_KEY = "sync.device_key"
KEYRING = "sync.keys"  # {key id: hex key}
CURRENT_KEY = "sync.current_key"
CURSOR = "sync.cursor"
LAST_SYNC = "sync.last_sync"
LAST_ERROR = "sync.last_error"
REJECTED = "sync.rejected"  # [{seq, error}] of blobs that failed authentication

ALL_KEYS = (SERVER, ACCOUNT, DEVICE_KEY, KEYRING, CURRENT_KEY, CURSOR, LAST_SYNC, LAST_ERROR, REJECTED)


@dataclass(frozen=True)
class Config:
    server: str
    account_id: str
    device_key: SigningKey
    keyring: dict[str, bytes]
    current_key: str

    @property
    def account_key(self) -> bytes:
        return self.keyring[self.current_key]


def load(conn: Connection) -> Config | None:
    server = meta.get(conn, SERVER)
    account = meta.get(conn, ACCOUNT)
    device_key = meta.get(conn, DEVICE_KEY)
    current = meta.get(conn, CURRENT_KEY)
    if not (server and account and device_key and current):
        return None
    ring = {kid: bytes.fromhex(hexkey) for kid, hexkey in json.loads(meta.get(conn, KEYRING) or "{}").items()}
    return Config(server, account, SigningKey(bytes.fromhex(device_key)), ring, current)


def require(conn: Connection) -> Config:
    config = load(conn)
    if config is None:
        raise SyncNotSetUp(
            "sync is not set up on this profile: run `lifeos sync setup --server URL`, or `lifeos sync "
            "join CODE` with a code from a device that has it"
        )
    return config


def save(conn: Connection, config: Config) -> None:
    meta.put(conn, SERVER, config.server)
    meta.put(conn, ACCOUNT, config.account_id)
    meta.put(conn, DEVICE_KEY, bytes(config.device_key).hex())
    meta.put(conn, KEYRING, json.dumps({k: v.hex() for k, v in config.keyring.items()}, sort_keys=True))
    meta.put(conn, CURRENT_KEY, config.current_key)


def forget(conn: Connection) -> None:
    for key in ALL_KEYS:
        meta.delete(conn, key)


def cursor(conn: Connection) -> int:
    return int(meta.get(conn, CURSOR) or 0)
