"""Reading an export back: the manifest and its checks, then every table's rows.

Everything is checked before the new profile is touched: the manifest's format and schema version,
and every data file against the SHA-256 the manifest records (a damaged or edited export is refused
with the file named, rather than half restored). The rows themselves then go in with `dump.load`,
in one transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from engine.errors import ImportRejected
from engine.io.export import FORMAT, FORMAT_VERSION
from engine.io.sources import ZipSource


@dataclass(frozen=True)
class CheckedExport:
    schema_version: int
    tables: dict[str, int]
    source: ZipSource

    def lines(self, table: str) -> Callable[[], Iterator[tuple[str, str]]]:
        name = f"data/{table}.jsonl"

        def read() -> Iterator[tuple[str, str]]:
            data = self.source.read(name, self.source.limits.max_file_bytes)
            for i, line in enumerate(data.decode("utf-8").splitlines(), start=1):
                if line.strip():
                    yield f"{self.source.label}: {name} line {i}", line

        return read


def check(source: ZipSource, latest_schema: int) -> CheckedExport:
    where = f"{source.label}: manifest.json"
    files = source.files()
    if "manifest.json" not in files:
        raise ImportRejected(source.label, "has no manifest.json: it is not a LifeOS Coach export")
    try:
        manifest: Any = json.loads(source.read("manifest.json", 1024 * 1024).decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ImportRejected(where, f"is not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ImportRejected(where, "does not describe a LifeOS Coach export")
    if not isinstance(manifest.get("format_version"), int) or manifest["format_version"] > FORMAT_VERSION:
        raise ImportRejected(where, "is of a newer export format than this app reads; update LifeOS Coach")
    schema = manifest.get("schema_version")
    if not isinstance(schema, int) or schema < 1:
        raise ImportRejected(where, "has no schema version")
    if schema > latest_schema:
        raise ImportRejected(
            where,
            f"was written at schema {schema}, newer than this app's {latest_schema}; update LifeOS Coach",
        )
    tables = manifest.get("tables")
    sums = manifest.get("sha256")
    if not isinstance(tables, dict) or not isinstance(sums, dict):
        raise ImportRejected(where, "lists no tables")
    for table in tables:
        name = f"data/{table}.jsonl"
        if name not in files or not isinstance(sums.get(name), str):
            raise ImportRejected(f"{source.label}: {name}", "is listed in the manifest but missing")
        digest = hashlib.sha256(source.read(name, source.limits.max_file_bytes)).hexdigest()
        if digest != sums[name]:
            raise ImportRejected(
                f"{source.label}: {name}", "does not match the checksum in manifest.json (damaged or edited)"
            )
    return CheckedExport(schema, {str(k): int(v) for k, v in tables.items()}, source)
