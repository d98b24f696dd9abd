"""Text in and out of the terminal: invalid bytes become U+FFFD, control characters become visible.

Arguments and stdin arrive as bytes the shell was given; Python decodes what is not UTF-8 into lone
surrogates, which then fail deep inside (SQLite, JSON) as "unexpected UnicodeEncodeError". They are
replaced at the door instead, as any editor would show them. On the way out, text a person or a
model wrote (note titles, replies) may hold terminal escape sequences: printed raw, they can recolour
the terminal, retitle the window or hide what follows. Every control character except newline, tab
and carriage return is printed as its visible Unicode picture (ESC as "␛").
"""

from __future__ import annotations

import io
import sys
from collections.abc import Sequence
from typing import Any, TextIO

_KEPT = {"\n", "\t", "\r"}
_PICTURES = {
    **{chr(c): chr(0x2400 + c) for c in range(0x20) if chr(c) not in _KEPT},
    "\x7f": "\u2421",
    **{chr(c): "\ufffd" for c in range(0x80, 0xA0)},
}
_TABLE = str.maketrans(_PICTURES)


def as_text(value: str) -> str:
    """A command-line argument as valid text (undecodable bytes replaced, not kept as surrogates)."""
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def as_arguments(argv: Sequence[str]) -> list[str]:
    return [as_text(a) for a in argv]


def visible(text: str) -> str:
    """`text` with terminal control characters shown instead of obeyed."""
    return text.translate(_TABLE)


class VisibleWriter(io.TextIOBase):
    """A stdout that shows control characters (see `visible`) and passes everything else through."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(visible(text))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._stream.encoding

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def guard_streams() -> None:
    """Replace undecodable stdin bytes, and make stdout show control characters (once per process)."""
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="replace")
    if not isinstance(sys.stdout, VisibleWriter):
        sys.stdout = VisibleWriter(sys.stdout)
