"""Reading an import's files safely, from a folder or a ZIP, with the same rules for both.

A `Source` lists its files as clean relative POSIX paths and reads them with a size cap. Nothing is
ever extracted to disk, so a zip-slip name (`../../.bashrc`) or an absolute path cannot write
anywhere; such names are refused anyway, with the member named, because an archive that carries
them was not made by Google Takeout or by this app. Symbolic links are refused in both forms (a
folder's link, a ZIP member marked as one): following one would import files from outside what
the person chose. Hidden folders (`.obsidian`, `.trash`, `.git`) are not part of the notes.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Protocol

import pyzipper

from engine.errors import ImportRejected, UsageError, WrongPassphrase
from engine.io.limits import Limits, human

CHUNK = 1024 * 1024


class Source(Protocol):
    label: str

    def files(self) -> dict[str, int]:
        """Every file as {relative path: size}."""
        ...

    def read(self, rel: str, cap: int) -> bytes: ...


def clean_member(raw: str, label: str) -> str:
    """A ZIP member's name as a safe relative path, or `ImportRejected` naming it."""
    name = raw.replace("\\", "/")
    where = f"{label}: {raw}"
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise ImportRejected(where, "has an absolute path; an archive must hold relative paths only")
    parts = PurePosixPath(name).parts
    if any(p == ".." for p in parts):
        raise ImportRejected(where, "climbs out of the archive ('..'); refused (zip-slip)")
    if any("\x00" in p for p in parts):
        raise ImportRejected(where, "has a NUL character in its name")
    return "/".join(p for p in parts if p not in ("", "."))


class FolderSource:
    """A folder on disk (an Obsidian vault, an unpacked Takeout)."""

    def __init__(self, root: Path, limits: Limits) -> None:
        if not root.is_dir():
            raise UsageError(f"{root} is not a folder")
        self.root = root
        self.label = str(root)
        self.limits = limits
        self._files: dict[str, int] | None = None

    def files(self) -> dict[str, int]:
        if self._files is None:
            self._files = self._walk()
        return self._files

    def _walk(self) -> dict[str, int]:
        found: dict[str, int] = {}
        total = 0
        pending = [self.root]
        while pending:
            folder = pending.pop()
            with os.scandir(folder) as entries:
                for entry in sorted(entries, key=lambda e: e.name):
                    rel = Path(entry.path).relative_to(self.root).as_posix()
                    if entry.is_symlink():
                        raise ImportRejected(
                            f"{self.label}/{rel}",
                            "is a symbolic link; links are not followed, so that nothing outside the "
                            "chosen folder is read. Replace it with the file itself",
                        )
                    if entry.name.startswith("."):
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        pending.append(Path(entry.path))
                        continue
                    if not entry.is_file(follow_symlinks=False):
                        continue  # sockets, fifos: not notes
                    size = entry.stat(follow_symlinks=False).st_size
                    if size > self.limits.max_file_bytes:
                        raise ImportRejected(
                            f"{self.label}/{rel}",
                            f"is {human(size)}, over the {human(self.limits.max_file_bytes)} limit per file",
                        )
                    total += size
                    found[rel] = size
                    if len(found) > self.limits.max_files:
                        raise ImportRejected(
                            self.label,
                            f"holds more than {self.limits.max_files:,} files; import a part of it",
                        )
                    if total > self.limits.max_total_bytes:
                        raise ImportRejected(
                            self.label,
                            f"holds more than {human(self.limits.max_total_bytes)}; import a part of it",
                        )
        return dict(sorted(found.items()))

    def read(self, rel: str, cap: int) -> bytes:
        path = self.root / rel
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(path, flags)
        except OSError as exc:
            raise ImportRejected(f"{self.label}/{rel}", f"cannot be read ({exc.strerror})") from None
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise ImportRejected(f"{self.label}/{rel}", "is not a regular file")
            data = handle.read(cap + 1)
        if len(data) > cap:
            raise ImportRejected(
                f"{self.label}/{rel}", f"is over the {human(cap)} limit for this kind of file"
            )
        return data


class ZipSource:
    """A ZIP archive (a Takeout download, an export), plain or AES-encrypted, read in place."""

    def __init__(self, path: Path, limits: Limits, password: str | None = None) -> None:
        self.label = str(path)
        self.limits = limits
        try:
            self._zip = pyzipper.AESZipFile(path)
        except (pyzipper.BadZipFile, OSError) as exc:
            raise ImportRejected(self.label, f"is not a readable ZIP archive ({exc})") from None
        if password is not None:
            self._zip.setpassword(password.encode())
        self._infos: dict[str, pyzipper.ZipInfo] = {}
        self._files = self._check()

    def close(self) -> None:
        self._zip.close()

    @property
    def encrypted(self) -> bool:
        return any(i.flag_bits & 0x1 for i in self._infos.values())

    def _check(self) -> dict[str, int]:
        infos = self._zip.infolist()
        if len(infos) > self.limits.max_files:
            raise ImportRejected(self.label, f"holds more than {self.limits.max_files:,} files")
        found: dict[str, int] = {}
        total = 0
        for info in infos:
            rel = clean_member(info.filename, self.label)
            where = f"{self.label}: {info.filename}"
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise ImportRejected(where, "is a symbolic link; an archive of notes holds files only")
            if info.is_dir() or not rel:
                continue
            if rel in found:
                raise ImportRejected(where, "appears twice in the archive")
            size = info.file_size
            if size > self.limits.max_file_bytes:
                raise ImportRejected(
                    where,
                    f"unpacks to {human(size)}, over the {human(self.limits.max_file_bytes)} limit per file",
                )
            packed = max(info.compress_size, 1)
            if size >= self.limits.ratio_floor_bytes and size / packed > self.limits.max_ratio:
                raise ImportRejected(
                    where,
                    f"unpacks {size / packed:,.0f} times larger than it is packed (limit "
                    f"{self.limits.max_ratio:,.0f}): refused as a zip bomb",
                )
            total += size
            if total > self.limits.max_total_bytes:
                raise ImportRejected(
                    self.label, f"unpacks to more than {human(self.limits.max_total_bytes)} in total"
                )
            found[rel] = size
            self._infos[rel] = info
        return dict(sorted(found.items()))

    def files(self) -> dict[str, int]:
        return self._files

    def read(self, rel: str, cap: int) -> bytes:
        info = self._infos[rel]
        where = f"{self.label}: {info.filename}"
        if info.file_size > cap:
            raise ImportRejected(where, f"is over the {human(cap)} limit for this kind of file")
        out = bytearray()
        try:
            with self._zip.open(info) as member:
                # The header's size is what was checked; a member that streams more is lying.
                while chunk := member.read(CHUNK):
                    out += chunk
                    if len(out) > info.file_size or len(out) > cap:
                        raise ImportRejected(where, "unpacks to more than its header says: refused")
        except RuntimeError as exc:  # pyzipper: encrypted and no or a wrong password
            if "password" in str(exc).lower():
                raise WrongPassphrase(
                    f"{self.label} is encrypted and the passphrase does not open it"
                ) from None
            raise ImportRejected(where, f"cannot be unpacked ({exc})") from None
        except (pyzipper.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise ImportRejected(where, f"cannot be unpacked ({exc})") from None
        return bytes(out)


@contextmanager
def open_source(path: Path | str, limits: Limits, password: str | None = None) -> Iterator[Source]:
    """A folder or a ZIP file, whichever `path` is."""
    path = Path(path).expanduser()
    if path.is_symlink():
        raise ImportRejected(str(path), "is a symbolic link; choose the file or folder itself")
    if path.is_dir():
        yield FolderSource(path, limits)
        return
    if not path.is_file():
        raise UsageError(f"{path} does not exist")
    source = ZipSource(path, limits, password)
    try:
        yield source
    finally:
        source.close()
