"""Errors of the on-device models.

Each one names the model or file and says what to do, because the person reading it is usually
looking at `lifeos models` output or a failed voice memo, not at a traceback. They subclass the
engine's typed errors so the CLI maps them to exit codes without knowing about models.
"""

from __future__ import annotations

from engine.errors import DataError, LifeOSError, UsageError


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
