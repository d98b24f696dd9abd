"""Where a coachee's profile lives on disk, and how it is created and unlocked.

A profile is one directory (`--home`): the encrypted database, its key file, logs, and user-added
models. One profile per coachee; two profiles share nothing, so they cannot see each other's data.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from engine.errors import ProfileExists, ProfileNotFound, WrongPassphrase
from engine.store import keys

APP_NAME = "LifeOS Coach"
DB_NAME = "lifeos.db"
KEYFILE_NAME = "lifeos.key.json"


def default_home() -> Path:
    """`LIFEOS_HOME`, else the platform's per-user data directory."""
    env = os.environ.get("LIFEOS_HOME")
    return Path(env).expanduser() if env else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


@dataclass(frozen=True)
class ProfilePaths:
    home: Path

    @property
    def db(self) -> Path:
        return self.home / DB_NAME

    @property
    def keyfile(self) -> Path:
        return self.home / KEYFILE_NAME

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def models(self) -> Path:
        return self.home / "models"

    def exists(self) -> bool:
        return self.keyfile.is_file() and self.db.is_file()


def create_profile(paths: ProfilePaths, passphrase: str, params: keys.KdfParams | None = None) -> bytes:
    """Write a new key file for a fresh random database key; return that key."""
    keys.check_passphrase_strength(passphrase)
    if paths.keyfile.exists() or paths.db.exists():
        raise ProfileExists(f"a profile already exists in {paths.home}")
    paths.home.mkdir(parents=True, exist_ok=True, mode=0o700)
    paths.logs.mkdir(exist_ok=True, mode=0o700)
    paths.models.mkdir(exist_ok=True, mode=0o700)
    db_key = keys.new_db_key()
    keys.write_keyfile(paths.keyfile, keys.wrap_key(db_key, passphrase, params))
    return db_key


def unlock_key(paths: ProfilePaths, passphrase: str) -> bytes:
    """Unwrap the database key. Reads only: a wrong passphrase leaves every file byte-identical."""
    if not paths.keyfile.is_file():
        raise ProfileNotFound(
            f"no profile in {paths.home}; create one with `lifeos --home {paths.home} init`"
        )
    if not paths.db.is_file():
        raise ProfileNotFound(
            f"the key file in {paths.home} has no database beside it ({DB_NAME} is missing)"
        )
    try:
        return keys.unwrap_key(keys.read_keyfile(paths.keyfile), passphrase)
    except WrongPassphrase:
        raise WrongPassphrase(f"wrong passphrase for the profile in {paths.home}") from None


def rewrap(paths: ProfilePaths, old: str, new: str) -> None:
    """Change the passphrase by rewrapping the same database key; the database is not touched."""
    keys.check_passphrase_strength(new)
    current = keys.read_keyfile(paths.keyfile)
    db_key = keys.unwrap_key(current, old)
    keys.write_keyfile(paths.keyfile, keys.wrap_key(db_key, new, current.kdf))


def remove_new_profile(paths: ProfilePaths, *, keep_home: bool) -> None:
    """Undo `create_profile` and the database it was made for (a restore that failed halfway):
    only the files a new profile consists of are removed, and the home folder when it was new."""
    for name in (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm", KEYFILE_NAME):
        (paths.home / name).unlink(missing_ok=True)
    for folder in (paths.logs, paths.models):
        with contextlib.suppress(OSError):
            folder.rmdir()  # only when empty: nothing the person put there is removed
    if not keep_home:
        with contextlib.suppress(OSError):
            paths.home.rmdir()
