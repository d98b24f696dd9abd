"""Preferences of the app itself (not of the coachee's memory), kept beside the profile.

Auto-lock must be read *before* anything is unlocked and says nothing about the person, so it lives
in a small plain JSON file next to the encrypted database instead of inside it. Anything personal
belongs in the engine, never here.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path

PREFS_FILE = "app-preferences.json"
AUTO_LOCK_CHOICES: tuple[int, ...] = (0, 1, 5, 15, 30, 60)
"""Minutes of inactivity before the profile locks itself; 0 means never."""
DEFAULT_AUTO_LOCK_MINUTES = 15


@dataclass(frozen=True)
class AppPrefs:
    auto_lock_minutes: int = DEFAULT_AUTO_LOCK_MINUTES


def load_prefs(home: Path) -> AppPrefs:
    """The saved preferences, or the defaults when the file is missing or unreadable."""
    try:
        raw = json.loads((home / PREFS_FILE).read_text(encoding="utf-8"))
        minutes = int(raw.get("auto_lock_minutes", DEFAULT_AUTO_LOCK_MINUTES))
    except (OSError, ValueError, TypeError, AttributeError):
        return AppPrefs()
    return AppPrefs(auto_lock_minutes=minutes if minutes in AUTO_LOCK_CHOICES else DEFAULT_AUTO_LOCK_MINUTES)


def save_prefs(home: Path, prefs: AppPrefs) -> None:
    """Write atomically (temp file + rename) so a crash never leaves half a file."""
    home.mkdir(parents=True, exist_ok=True)
    tmp = home / (PREFS_FILE + ".tmp")
    tmp.write_text(json.dumps(asdict(prefs), indent=2) + "\n", encoding="utf-8")
    tmp.replace(home / PREFS_FILE)


def with_auto_lock(prefs: AppPrefs, minutes: int) -> AppPrefs:
    if minutes not in AUTO_LOCK_CHOICES:
        raise ValueError(f"auto-lock must be one of {AUTO_LOCK_CHOICES} minutes")
    return replace(prefs, auto_lock_minutes=minutes)


def auto_lock_label(minutes: int) -> str:
    if minutes == 0:
        return "Never"
    if minutes == 60:
        return "After 1 hour"
    return f"After {minutes} minute{'s' if minutes != 1 else ''}"
