"""Typed errors of the engine, in one place.

Every error the engine raises on purpose is a `LifeOSError`. Each carries the CLI exit code it maps to,
so the CLI, the UI and tests can react to the kind of failure without parsing messages.
"""

from __future__ import annotations


class LifeOSError(Exception):
    """Base of every deliberate engine error; `exit_code` is what the CLI exits with."""

    exit_code: int = 4


class UsageError(LifeOSError):
    """The caller asked for something that cannot be done as asked (bad argument, missing input)."""

    exit_code = 2


class WrongPassphrase(LifeOSError):
    """The passphrase did not unwrap the database key; nothing on disk was touched."""

    exit_code = 3


class ProfileLocked(LifeOSError):
    """The profile is locked (closed) and the operation needs it unlocked."""

    exit_code = 3


class ProfileNotFound(LifeOSError):
    """There is no profile at the given home directory."""

    exit_code = 4


class ProfileExists(LifeOSError):
    """A profile already exists where a new one was to be created; it is never overwritten."""

    exit_code = 2


class DataError(LifeOSError):
    """Stored data is unreadable, corrupt, or of a format this version does not understand."""

    exit_code = 4


class NotFound(DataError):
    """A requested item (note, entity, fact…) does not exist."""


class WeakPassphrase(UsageError, ValueError):
    """The passphrase is too short to protect the profile."""
