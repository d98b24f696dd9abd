"""Loading a BEIR-format retrieval set: `corpus.jsonl`, `queries.jsonl`, `qrels.tsv`.

Errors name the file and the line, because the usual failure is a hand-edited set with one broken
line, and "invalid JSON" without a line number sends a person hunting through 2,000 passages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from engine.errors import DataError


@dataclass(frozen=True)
class Passage:
    id: str
    title: str
    text: str


@dataclass(frozen=True)
class Query:
    id: str
    text: str


Qrels = dict[str, dict[str, int]]  # query id → passage id → grade


def _jsonl(path: Path, what: str) -> list[dict[str, object]]:
    if not path.is_file():
        raise DataError(f"{what} file not found: {path}")
    rows: list[dict[str, object]] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
            if not isinstance(row, dict) or "_id" not in row or not isinstance(row.get("text"), str):
                raise DataError(f'{path}:{number}: expected an object with "_id" and a "text" string')
            rows.append(row)
    if not rows:
        raise DataError(f"{what} file is empty: {path}")
    return rows


def load_corpus(path: Path) -> list[Passage]:
    rows = _jsonl(path, "corpus")
    passages = [Passage(str(r["_id"]), str(r.get("title") or ""), str(r["text"])) for r in rows]
    seen: set[str] = set()
    for p in passages:
        if p.id in seen:
            raise DataError(f"{path}: passage id {p.id!r} appears more than once")
        seen.add(p.id)
    return passages


def load_queries(path: Path) -> list[Query]:
    return [Query(str(r["_id"]), str(r["text"])) for r in _jsonl(path, "queries")]


def load_qrels(path: Path) -> Qrels:
    """Judgements from a TSV with an optional `query-id corpus-id score` header line."""
    if not path.is_file():
        raise DataError(f"qrels file not found: {path}")
    qrels: Qrels = {}
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            parts = line.rstrip("\n").split("\t")
            if not line.strip() or (number == 1 and parts[0] == "query-id"):
                continue
            if len(parts) != 3:
                raise DataError(f"{path}:{number}: expected query-id<TAB>corpus-id<TAB>score")
            try:
                grade = int(parts[2])
            except ValueError as exc:
                raise DataError(f"{path}:{number}: score {parts[2]!r} is not an integer") from exc
            qrels.setdefault(parts[0], {})[parts[1]] = grade
    if not qrels:
        raise DataError(f"qrels file has no judgements: {path}")
    return qrels
