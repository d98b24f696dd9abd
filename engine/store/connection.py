"""Opening the encrypted database: SQLCipher 4 with the raw key, sqlite-vec, FTS5, WAL.

The raw 32-byte key is given as a blob literal (`x'…'`), so SQLCipher skips its own PBKDF2: the
passphrase stretching already happened once, in Argon2id (see keys.py). Vector scans re-decrypt every
page they touch, so the page cache is sized to hold a realistic vector table (DESIGN.md §2).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import sqlcipher3
import sqlite_vec

from engine.errors import DataError

DEFAULT_CACHE_MIB = 128
BUSY_TIMEOUT_MS = 10_000

Connection = Any  # sqlcipher3.Connection: the wheel ships no type stubs


def open_encrypted(path: Path, key: bytes, *, cache_mib: int = DEFAULT_CACHE_MIB) -> Connection:
    """Open (or create) the database at `path` with `key`; verify the key before returning."""
    conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=False)
    try:
        # SQLCipher logs HMAC failures to stderr itself (dozens of lines for one damaged page); the
        # engine reports damage as one typed error instead, and `doctor` names the pages and tables.
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlcipher3.DatabaseError as exc:
            raise DataError(
                f"database {path.name} cannot be decrypted with the profile's key: it is damaged, or it "
                "does not belong to this key file"
            ) from exc
        conn.execute("PRAGMA journal_mode = WAL")
        # NORMAL in WAL mode: a killed process loses nothing committed; only a power cut can drop the
        # last transactions, and never corrupts the file.
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute(f"PRAGMA cache_size = {-cache_mib * 1024}")
        # Temporary tables and sort spills stay in memory: they would hold plaintext otherwise.
        conn.execute("PRAGMA temp_store = MEMORY")
        load_vec(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def load_vec(conn: Connection) -> None:
    """Load sqlite-vec into this connection only, then shut extension loading again."""
    conn.enable_load_extension(True)
    try:
        sqlite_vec.load(conn)
    finally:
        conn.enable_load_extension(False)


def is_plain_sqlite_readable(path: Path) -> bool:
    """True if the stdlib sqlite3 can read the file, i.e. it is NOT encrypted. Used by `doctor`."""
    try:
        plain = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            plain.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return True
        finally:
            plain.close()
    except sqlite3.DatabaseError:
        return False
