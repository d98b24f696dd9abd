"""One ZIP with everything: a Markdown vault to read anywhere, and a JSON dump to restore from.

    README.md              what is inside and how to open it
    manifest.json          format, schema version, table row counts, SHA-256 of every data file
    data/<table>.jsonl     every row of every table (engine/io/dump.py)
    vault/…                the Obsidian vault (engine/io/vault.py)

With a passphrase, every member is encrypted with WinZip AES-256 (AE-2: AES-256 in CTR mode with an
HMAC-SHA1 per member, keys derived by PBKDF2-HMAC-SHA1 with 1,000 iterations and a random salt per
member), written by pyzipper. 7-Zip, WinZip, Keka and macOS's Archive Utility (recent versions)
open it. File names and sizes are not encrypted (the ZIP format keeps them in clear), so the export
names no person in a file name unless the vault does; keep an encrypted export where only you can
reach it too. The archive is written beside its destination under a temporary name and renamed at
the end, so a failed export leaves no half-written file.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pyzipper

from engine.errors import UsageError
from engine.io import dump, vault
from engine.io.model import ExportReport
from engine.store.connection import Connection

FORMAT = "lifeos-export"
FORMAT_VERSION = 1
SCHEME = "WinZip AES-256 (AE-2), pyzipper"
CHUNK = 1024 * 1024
Progress = Callable[[str, int, int], None]

README = """# LifeOS Coach export

- `vault/` is an Obsidian vault: open the folder in Obsidian ("Open folder as vault"), or read the
  Markdown in any editor. Daily notes are in `Daily/`, one page per project, area, resource, archive
  and person in their folders, chats in `Chats/`, voice memo audio and other files in `Attachments/`.
- `data/` holds every table of the profile as JSON Lines (one row per line). `manifest.json` gives
  the schema version and a SHA-256 of each file. `lifeos restore THIS.zip --home NEW` recreates the
  profile from it.
"""


def write(
    conn: Connection,
    out: Path,
    *,
    schema_version: int,
    password: str | None,
    progress: Progress | None = None,
    check: Callable[[], None] | None = None,
) -> ExportReport:
    """Write the export of the database behind `conn` (the caller holds a read transaction)."""
    started = time.perf_counter()
    out = out.expanduser()
    if out.exists():
        raise UsageError(f"{out} already exists; choose another file name")
    if not out.parent.is_dir():
        raise UsageError(f"{out.parent} is not a folder")
    tmp = out.with_name(f".{out.name}.{os.getpid()}.partial")
    tables: dict[str, int] = {}
    checksums: dict[str, str] = {}
    vault_files = 0
    try:
        with pyzipper.AESZipFile(tmp, "w", compression=pyzipper.ZIP_DEFLATED, compresslevel=6) as zf:
            if password:
                zf.setpassword(password.encode())
                zf.setencryption(pyzipper.WZ_AES, nbits=256)
            names = dump.data_tables(conn)
            stamp = datetime.now().timetuple()[:6]
            for i, table in enumerate(names):
                digest = hashlib.sha256()
                n = 0
                info = zf.zipinfo_cls(f"data/{table}.jsonl", date_time=stamp)
                info.compress_type = pyzipper.ZIP_DEFLATED
                with zf.open(info, "w", force_zip64=True) as member:
                    # Written in ~1 MiB pieces: every write goes through the compressor and, when
                    # encrypting, AES and HMAC in Python; one write per row made that the cost.
                    buffer: list[bytes] = []
                    size = 0
                    for line in dump.rows(conn, table, secrets=bool(password)):
                        data = (line + "\n").encode("utf-8")
                        digest.update(data)
                        buffer.append(data)
                        size += len(data)
                        n += 1
                        if size >= CHUNK:
                            member.write(b"".join(buffer))
                            buffer, size = [], 0
                    member.write(b"".join(buffer))
                tables[table] = n
                checksums[f"data/{table}.jsonl"] = digest.hexdigest()
                if progress:
                    progress("tables", i + 1, len(names))
                if check:
                    check()
            for page in vault.pages(conn, progress):
                zf.writestr(f"vault/{page.path}", page.data)
                vault_files += 1
                if check and vault_files % 500 == 0:
                    check()
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "schema_version": schema_version,
                "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "tables": tables,
                "sha256": checksums,
                "encryption": SCHEME if password else None,
            }
            zf.writestr("manifest.json", json.dumps(manifest, indent=2, sort_keys=True))
            zf.writestr("README.md", README)
        os.chmod(tmp, 0o600)
        tmp.replace(out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return ExportReport(
        path=str(out),
        encrypted=bool(password),
        scheme=SCHEME if password else "none",
        tables=tables,
        notes=tables.get("notes", 0),
        vault_files=vault_files,
        bytes=out.stat().st_size,
        seconds=time.perf_counter() - started,
    )
