"""How much an import or a restore may read, so that a hostile file is refused before it costs much.

Every input (a vault, a Takeout ZIP, an export being restored, an IMAP folder) is measured against
these before its content is read: a file count, a size per file and in total, and for ZIP members
the ratio of unpacked to packed size, which is how a zip bomb gives itself away (a few kilobytes
that claim gigabytes). The defaults are far above what a real notes collection holds (a 20-year
Obsidian vault is a few thousand files and tens of megabytes) and far below what would exhaust a
phone.
"""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_files: int = 50_000
    max_text_bytes: int = 4 * MIB  # one note: Markdown, JSON, HTML (a note holds 1M characters)
    max_file_bytes: int = 100 * MIB  # one attachment (an image, a recording)
    max_total_bytes: int = 2048 * MIB  # everything read, together
    max_ratio: float = 200.0  # unpacked ÷ packed size of one ZIP member
    ratio_floor_bytes: int = MIB  # members smaller than this are not judged by ratio (text packs well)


DEFAULT_LIMITS = Limits()


def human(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    return f"{n / MIB:.0f} MiB" if n >= MIB else f"{n / 1024:.0f} KiB"
