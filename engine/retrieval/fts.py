"""FTS5 BM25 search over a table's external-content twin.

User text never reaches FTS5's query syntax directly: a stray quote, `NEAR`, `-` or `*` would be a
syntax error or a different query. Words are extracted and each is quoted. All words must match
first (what a person expects from a search box); if that finds nothing, any word may match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.store.connection import Connection

_WORD = re.compile(r"[\w']+", re.UNICODE)
MAX_QUERY_WORDS = 32


def query_words(text: str) -> list[str]:
    words = [w.strip("'") for w in _WORD.findall(text)]
    return [w for w in words if w][:MAX_QUERY_WORDS]


def match_expression(words: list[str], *, any_word: bool = False, prefix_last: bool = False) -> str:
    quoted = ['"' + w.replace('"', '""') + '"' for w in words]
    if prefix_last and quoted:
        quoted[-1] += "*"
    return (" OR " if any_word else " ").join(quoted)


@dataclass(frozen=True)
class FtsHit:
    seq: int
    score: float  # higher is better (negated bm25)
    snippet: str


def search(
    conn: Connection,
    table: str,
    query: str,
    *,
    limit: int = 20,
    snippet_column: int = -1,
    where: str = "",
    params: tuple[object, ...] = (),
) -> list[FtsHit]:
    """BM25 hits from `{table}_fts`, best first. `where` filters on the base table aliased `t`."""
    words = query_words(query)
    if not words:
        return []
    extra = f"AND {where}" if where else ""
    sql = (
        f"SELECT f.rowid, -bm25({table}_fts), "
        f"snippet({table}_fts, {snippet_column}, '[', ']', '…', 16) "
        f"FROM {table}_fts AS f JOIN {table} AS t ON t.seq = f.rowid "
        f"WHERE {table}_fts MATCH ? {extra} ORDER BY bm25({table}_fts) LIMIT ?"
    )
    for any_word in (False, True):
        if any_word and len(words) == 1:
            break
        rows = conn.execute(sql, (match_expression(words, any_word=any_word), *params, limit)).fetchall()
        if rows:
            return [FtsHit(int(r[0]), float(r[1]), str(r[2])) for r in rows]
    return []
