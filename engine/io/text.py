"""Text out of imported files: strict decoding and YAML front matter, each failure naming the file.

Decoding is strict on purpose: guessing a legacy encoding turns "café" into "cafÃ©" in the
coachee's memory for good, while a clear refusal lets them re-save the file as UTF-8. UTF-16 with
a byte-order mark (what some Windows editors write) is accepted, since the mark says what it is.
"""

from __future__ import annotations

import codecs
from datetime import date, datetime, time
from typing import Any

import yaml

from engine.errors import ImportRejected

MAX_FRONT_MATTER = 64 * 1024


def decode(where: str, data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ImportRejected(where, "starts as UTF-16 text but is not valid UTF-16") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ImportRejected(
            where,
            f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); save it as UTF-8 "
            "and import again",
        ) from None
    if "\x00" in text:
        raise ImportRejected(where, "holds NUL bytes: it is not a text file")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_front_matter(where: str, text: str) -> tuple[dict[str, Any], str]:
    """(front matter, body). A file without front matter has an empty mapping."""
    if not text.startswith("---\n") and text.strip() != "---":
        return {}, text
    lines = text.split("\n")
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        raise ImportRejected(where, "opens front matter with '---' on line 1 but never closes it")
    raw = "\n".join(lines[1:end])
    if len(raw) > MAX_FRONT_MATTER:
        raise ImportRejected(where, f"has front matter over {MAX_FRONT_MATTER // 1024} KiB")
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 2})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ImportRejected(where, f"has front matter that is not valid YAML{line}: {problem}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ImportRejected(where, "has front matter that is not a list of 'key: value' lines")
    return {str(k): v for k, v in data.items()}, "\n".join(lines[end + 1 :])


def strings(value: Any, *, words: bool = False) -> tuple[str, ...]:
    """A front-matter field that may be one string or a YAML list, as clean strings. `words` splits a
    single string on commas and spaces (tags: `tags: work health`); otherwise only on commas
    (aliases: `aliases: Sarah K, SK`)."""
    if value is None:
        return ()
    if isinstance(value, str):
        items: list[Any] = value.replace(",", " ").split() if words else value.split(",")
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        items = [value]
    out = [str(v).strip().lstrip("#").strip() for v in items if isinstance(v, str | int | float)]
    return tuple(dict.fromkeys(v for v in out if v))


def moment(value: Any, tz: Any) -> datetime | None:
    """A front-matter date (YAML date, date-time or ISO text) as an aware date-time, or None."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    if isinstance(value, date):
        return datetime.combine(value, time(12), tzinfo=tz)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
    return None
