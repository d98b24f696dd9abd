"""Preferences of the app itself (not of the coachee's memory), kept beside the profile, sealed.

The one preference here, auto-lock, says nothing about the person and belongs to the app, so it lives
in a small JSON file next to the encrypted database rather than inside it. Being a plain file, it
could be edited to turn auto-lock off, which is the one thing that protects an unlocked journal on
a shared laptop. So the app writes it sealed (``engine.settings.seal``: a MAC under a key only the
unlocked profile holds) and every read checks the seal (``engine.settings.unseal``). A file that
fails the check, or was never sealed, is not trusted: its values give way to the safe defaults and
``AppPrefs.authentic`` says so, for Settings to tell the person. All reads happen while the profile
is unlocked (auto-lock only runs then), so the key is always at hand. A missing file is simply the
defaults: deleting it can only restore the safe ones.

Anything personal belongs in the engine, never here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from engine.types import Sealed

PREFS_FILE = "app-preferences.json"
AUTO_LOCK_CHOICES: tuple[int, ...] = (0, 1, 5, 15, 30, 60)
"""Minutes of inactivity before the profile locks itself; 0 means never."""
DEFAULT_AUTO_LOCK_MINUTES = 15
TAMPERED_NOTICE = f"The auto-lock setting was changed outside the app; using the default of {DEFAULT_AUTO_LOCK_MINUTES} minutes."


class Sealer(Protocol):
    """What sealing needs from the unlocked profile: ``engine.settings`` is one."""

    def seal(self, values: dict[str, Any]) -> dict[str, Any]: ...

    def unseal(self, stored: dict[str, Any]) -> Sealed: ...


@dataclass(frozen=True)
class AppPrefs:
    auto_lock_minutes: int = DEFAULT_AUTO_LOCK_MINUTES
    authentic: bool = True
    """False when the file on disk was changed outside the app (or never sealed): the values above
    are then the defaults, not what the file says."""

    def values(self) -> dict[str, Any]:
        """What is written to the file (before sealing)."""
        return {"auto_lock_minutes": self.auto_lock_minutes}


def load_prefs(home: Path, sealer: Sealer) -> AppPrefs:
    """The saved preferences when their seal holds; the defaults, marked not authentic, when the file
    was tampered with, never sealed or cannot be read; the defaults when there is no file."""
    path = home / PREFS_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return AppPrefs()
    except (OSError, ValueError):
        return AppPrefs(authentic=False)
    if not isinstance(raw, dict):
        return AppPrefs(authentic=False)
    sealed = sealer.unseal(raw)
    if not sealed.authentic:
        return AppPrefs(authentic=False)
    minutes = sealed.values.get("auto_lock_minutes", DEFAULT_AUTO_LOCK_MINUTES)
    known = isinstance(minutes, int) and not isinstance(minutes, bool) and minutes in AUTO_LOCK_CHOICES
    return AppPrefs(auto_lock_minutes=minutes if known else DEFAULT_AUTO_LOCK_MINUTES)


def save_prefs(home: Path, prefs: AppPrefs, sealer: Sealer) -> None:
    """Write sealed, atomically (temp file + rename) so a crash never leaves half a file."""
    home.mkdir(parents=True, exist_ok=True)
    tmp = home / (PREFS_FILE + ".tmp")
    tmp.write_text(json.dumps(sealer.seal(prefs.values()), indent=2) + "\n", encoding="utf-8")
    tmp.replace(home / PREFS_FILE)


def with_auto_lock(prefs: AppPrefs, minutes: int) -> AppPrefs:
    """The preferences with a new auto-lock time chosen in the app (and so to be trusted)."""
    if minutes not in AUTO_LOCK_CHOICES:
        raise ValueError(f"auto-lock must be one of {AUTO_LOCK_CHOICES} minutes")
    return replace(prefs, auto_lock_minutes=minutes, authentic=True)


def auto_lock_label(minutes: int) -> str:
    if minutes == 0:
        return "Never"
    if minutes == 60:
        return "After 1 hour"
    return f"After {minutes} minute{'s' if minutes != 1 else ''}"
