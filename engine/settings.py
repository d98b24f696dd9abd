"""`engine.settings`: the profile's settings, typed, over the `meta` table.

Parts keep their settings here rather than writing `meta` themselves, so every setting has one
owner and one encoding. A `Setting` names its key, its default and how its value is written; the
part reads and writes it with `get` / `set` and gets the type back.

The app keeps one preference outside the database because it is needed before anything is
unlocked (auto-lock). Being outside, it could be edited to turn auto-lock off; `seal` and
`unseal` authenticate such a file with a MAC under a key only the unlocked profile has, and a
preference that fails the check falls back to its safe default.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from engine.session import Part, guarded
from engine.store import meta

T = TypeVar("T")


@dataclass(frozen=True)
class Setting(Generic[T]):
    """A setting's key, its default, and how its value is stored as text."""

    key: str
    default: T
    dump: Callable[[T], str] = str
    load: Callable[[str], T] = lambda text: text  # type: ignore[assignment,return-value]


def json_setting(key: str, default: Any) -> Setting[Any]:
    return Setting(key, default, lambda v: json.dumps(v, sort_keys=True), json.loads)


@dataclass(frozen=True)
class Sealed:
    """Preferences read back from a sealed file: the values, and whether the MAC held."""

    values: dict[str, Any]
    authentic: bool


@guarded
class Settings(Part):
    """Typed reads and writes of the profile's settings (all inside the encrypted database)."""

    def get(self, setting: Setting[T]) -> T:
        db = self._s.db
        with db.lock:
            text = meta.get(db.conn, setting.key)
        return setting.default if text is None else setting.load(text)

    def is_set(self, setting: Setting[Any]) -> bool:
        db = self._s.db
        with db.lock:
            return meta.get(db.conn, setting.key) is not None

    def set(self, setting: Setting[T], value: T | None) -> None:
        """Store `value`; None removes the setting, so its default applies again."""
        with self._s.db.atomic() as conn:
            if value is None:
                meta.delete(conn, setting.key)
            else:
                meta.put(conn, setting.key, setting.dump(value))

    def keys(self, prefix: str) -> list[str]:
        db = self._s.db
        with db.lock:
            return meta.keys_with_prefix(db.conn, prefix)

    def seal(self, values: dict[str, Any]) -> dict[str, Any]:
        """`values` plus a MAC, ready to be written to a preferences file beside the profile."""
        return {**values, "mac": self._s.preferences_mac(_canonical(values))}

    def unseal(self, stored: dict[str, Any]) -> Sealed:
        """The values of a sealed preferences file, and whether its MAC is right for this profile."""
        values = {k: v for k, v in stored.items() if k != "mac"}
        mac = stored.get("mac")
        good = isinstance(mac, str) and hmac.compare_digest(mac, self._s.preferences_mac(_canonical(values)))
        return Sealed(values, good)


def _canonical(values: dict[str, Any]) -> bytes:
    return json.dumps(values, sort_keys=True, separators=(",", ":")).encode()
