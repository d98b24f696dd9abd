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


# -- coach packs ---------------------------------------------------------------------------------


class PackError(DataError):
    """A coach pack that cannot be used as it is (malformed, tampered, or of an unknown format)."""


class PackTampered(PackError):
    """A file of the pack does not match the checksum its manifest records (or is not listed)."""

    def __init__(self, path: str, detail: str) -> None:
        super().__init__(f"coach pack refused: {path} {detail}")
        self.path = path


class PackTooNew(PackError):
    """The pack was written for a newer pack format than this app understands."""


# -- reasoners -----------------------------------------------------------------------------------


class ReasonerUnavailable(LifeOSError):
    """The reasoner could not produce a reply now (network gone, timeout, rate limit persisted)."""


# -- on-device models ----------------------------------------------------------------------------
# Each names the model or file and says what to do, because the person reading it is usually looking
# at `lifeos models` output or a failed voice memo, not at a traceback.


class InferenceError(LifeOSError):
    """Base of every error raised by `engine.inference`."""

    exit_code = 4


class ModelUnavailable(InferenceError, DataError):
    """A model's files are not where its package or manifest says (uninstalled package, moved folder)."""


class ModelCorrupt(InferenceError, DataError):
    """A model file exists but cannot be loaded: truncated download, wrong format, edited by hand."""


class ManifestError(InferenceError, DataError):
    """A user-added model's `manifest.json` is missing fields or names an unknown backend."""


class AudioUnreadable(InferenceError, DataError):
    """An audio file could not be decoded (not audio, truncated, unsupported codec, no audio stream)."""


class MemoryBudgetExceeded(InferenceError):
    """A model cannot fit in the memory budget even after unloading every other model."""


class UnknownModel(InferenceError, UsageError):
    """The caller asked for a role or model name that no registered backend provides."""

    exit_code = 2


# -- import, export and restore ------------------------------------------------------------------


class ImportRejected(DataError):
    """An import, or an export being restored, that cannot be taken as it is. The message names the
    file and the rule it broke; nothing was written to the profile (or outside it)."""

    def __init__(self, path: str, detail: str) -> None:
        super().__init__(f"{path}: {detail}")
        self.path = path


# -- training ------------------------------------------------------------------------------------


class TrainingFileError(DataError):
    """An activity file (GPX, TCX, FIT, a Strava export) that cannot be imported as it is; the
    message names the file, and nothing of the import it belonged to was written."""

    def __init__(self, path: str, detail: str) -> None:
        super().__init__(f"{path}: {detail}")
        self.path = path


class StravaError(LifeOSError):
    """Strava refused or could not be reached (bad authorisation code, revoked access, rate limit
    still exceeded after the retries); nothing was half-written."""


# -- sync ----------------------------------------------------------------------------------------


class SyncError(LifeOSError):
    """Sync could not finish now (server unreachable, refused, rate limit still exceeded after the
    retries); what was already acknowledged stays acknowledged, and the next sync resumes."""


class SyncNotSetUp(SyncError, UsageError):
    """This profile has no sync account yet: run `lifeos sync setup --server URL` or join one."""

    exit_code = 2


class SyncRefused(SyncError):
    """The server refused this device (bad signature, replay, revoked device, another account's log);
    `status` is the HTTP status it answered."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class SyncIntegrityError(SyncError, DataError):
    """A blob from the server failed authentication (altered, or sealed with a key this device lacks);
    it was reported and not applied."""


class PairingError(SyncError, UsageError):
    """A pairing code that is malformed, expired, already used, or was answered by someone without it."""

    exit_code = 2
