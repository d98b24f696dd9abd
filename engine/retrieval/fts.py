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
# BM25 costs about 1.5 µs per matching row here, and a query of common words can match most of a
# 100k-note profile. Past this many matches only the newest are scored (recency is the tie-breaker a
# personal memory wants anyway: Hot before Cold); their scores still use the index's global IDF.
MAX_SCORED = 5000


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
    max_scored: int = MAX_SCORED,
) -> list[FtsHit]:
    """BM25 hits from `{table}_fts`, best first. `where` filters on the base table aliased `t`."""
    words = query_words(query)
    if not words:
        return []
    # Two phases: rank every match by BM25 without building snippets (SQLite would build one per
    # matching row before sorting), then make snippets for the winners only.
    extra = f"AND {where}" if where else ""
    rank_sql = (
        f"SELECT f.rowid, -bm25({table}_fts) FROM {table}_fts AS f "
        + (f"JOIN {table} AS t ON t.seq = f.rowid " if where else "")
        + f"WHERE {table}_fts MATCH ? AND f.rowid >= ? {extra} ORDER BY bm25({table}_fts) LIMIT ?"
    )
    cutoff_sql = f"SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?"
    for any_word in (False, True):
        if any_word and len(words) == 1:
            break
        expression = match_expression(words, any_word=any_word)
        cutoff = conn.execute(cutoff_sql, (expression, max_scored - 1)).fetchone()
        floor = int(cutoff[0]) if cutoff else 0
        ranked = conn.execute(rank_sql, (expression, floor, *params, limit)).fetchall()
        if ranked:
            return _with_snippets(conn, table, expression, ranked, snippet_column)
    return []


def _with_snippets(
    conn: Connection, table: str, expression: str, ranked: list[tuple[int, float]], column: int
) -> list[FtsHit]:
    marks = ",".join("?" * len(ranked))
    snippets = dict(
        conn.execute(
            f"SELECT rowid, snippet({table}_fts, {column}, '[', ']', '…', 16) FROM {table}_fts "
            f"WHERE {table}_fts MATCH ? AND rowid IN ({marks})",
            (expression, *(r[0] for r in ranked)),
        ).fetchall()
    )
    return [FtsHit(int(seq), float(score), str(snippets.get(seq, ""))) for seq, score in ranked]
