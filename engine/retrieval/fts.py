"""FTS5 BM25 search over a table's external-content twin.

User text never reaches FTS5's query syntax directly: a stray quote, `NEAR`, `-` or `*` would be a
syntax error or a different query. Words are extracted and each is quoted. All words must match
first (what a person expects from a search box); if that finds nothing, any word may match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.store.connection import Connection
from engine.store.schema import FTS_TOKENIZE

_WORD = re.compile(r"[\w']+", re.UNICODE)
MAX_QUERY_WORDS = 32
# BM25 costs about 1.5 µs per matching row here, and a query of common words can match most of a
# 100k-note profile. Past this many matches only the newest are scored (recency is the tie-breaker a
# personal memory wants anyway: Hot before Cold); their scores still use the index's global IDF.
MAX_SCORED = 5000


def query_words(text: str) -> list[str]:
    words = [w.strip("'") for w in _WORD.findall(text)]
    return [w for w in words if w][:MAX_QUERY_WORDS]


# English function words, and the filler of chat ("just", "really"). Why: a question typed as a person
# talks ("how do I stop my anger taking over when my kids won't listen") is mostly these, and an OR
# query over them matches nearly every passage and ranks by noise; the content words carry the intent.
_STOP_TEXT = """
a about above after again against all am an and any are aren't as at be because been before being
below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't
down during each few for from further had hadn't has hasn't have haven't having he he'd he'll he's
her here here's hers herself him himself his how how's i i'd i'll i'm i've if in into is isn't it
it's its itself let's me more most mustn't my myself no nor not of off on once only or other ought
our ours ourselves out over own same shan't she she'd she'll she's should shouldn't so some such
than that that's the their theirs them themselves then there there's these they they'd they'll
they're they've this those through to too under until up very was wasn't we we'd we'll we're we've
were weren't what what's when when's where where's which while who who's whom why why's with won't
would wouldn't you you'd you'll you're you've your yours yourself yourselves just get got keep
really still even also im ive dont cant
"""
STOP_WORDS: frozenset[str] = frozenset(_STOP_TEXT.split())


def content_words(text: str) -> list[str]:
    """Lower-cased query words without stop words or repeats; all words if only stop words remain."""
    words = [w.lower() for w in query_words(text)]
    kept = [w for w in words if w not in STOP_WORDS]
    return list(dict.fromkeys(kept or words))


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
    snippet_column: int | None = -1,
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
    cutoff_sql = (
        f"SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?"
    )
    for any_word in (False, True):
        if any_word and len(words) == 1:
            break
        expression = match_expression(words, any_word=any_word)
        cutoff = conn.execute(cutoff_sql, (expression, max_scored - 1)).fetchone()
        floor = int(cutoff[0]) if cutoff else 0
        ranked = conn.execute(rank_sql, (expression, floor, *params, limit)).fetchall()
        if ranked:
            if snippet_column is None:  # callers that only rank (recall, fusion) skip the snippet pass
                return [FtsHit(int(seq), float(score), "") for seq, score in ranked]
            return _with_snippets(conn, table, expression, ranked, snippet_column)
    return []


def rank_any(
    conn: Connection,
    table: str,
    words: list[str],
    *,
    limit: int = 100,
    where: str = "",
    params: tuple[object, ...] = (),
    max_scored: int = MAX_SCORED,
) -> list[tuple[int, float]]:
    """(seq, BM25) for rows matching any of `words`, best first, without snippets.

    For ranking pipelines rather than a search box: recall matters more than "every word present", so
    there is no all-words phase, and snippets are left to whoever displays the winners. The same
    newest-`max_scored` cap as `search` bounds the cost of very common words.
    """
    if not words:
        return []
    expression = match_expression(words, any_word=True)
    extra = f"AND {where}" if where else ""
    cutoff = conn.execute(
        f"SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?",
        (expression, max_scored - 1),
    ).fetchone()
    floor = int(cutoff[0]) if cutoff else 0
    rows = conn.execute(
        f"SELECT f.rowid, -bm25({table}_fts) FROM {table}_fts AS f "
        + (f"JOIN {table} AS t ON t.seq = f.rowid " if where else "")
        + f"WHERE {table}_fts MATCH ? AND f.rowid >= ? {extra} ORDER BY bm25({table}_fts) LIMIT ?",
        (expression, floor, *params, limit),
    ).fetchall()
    return [(int(seq), float(score)) for seq, score in rows]


SNIPPET_DIRECT_CHARS = 8_000
"""Past this many characters in a row, its snippet is made from its first ``SNIPPET_DIRECT_CHARS``.

FTS5's ``snippet()`` (and ``highlight()``) score candidate windows against every occurrence, so their
cost grows with the square of the hits in a row: a 1 MB note of one repeated word took minutes while
ranking it took 13 ms. Up to this size the worst case stays around 50 ms; real notes are far shorter."""


def _with_snippets(
    conn: Connection, table: str, expression: str, ranked: list[tuple[int, float]], column: int
) -> list[FtsHit]:
    seqs = [r[0] for r in ranked]
    marks = ",".join("?" * len(seqs))
    texts = {
        int(row[0]): [str(c or "") for c in row[1:]]
        for row in conn.execute(
            f"SELECT * , rowid FROM {table}_fts WHERE rowid IN ({marks})", seqs
        ).fetchall()
        for row in [(row[-1], *row[:-1])]
    }
    long_rows = {seq for seq, cols in texts.items() if any(len(c) > SNIPPET_DIRECT_CHARS for c in cols)}
    short = [s for s in seqs if s not in long_rows]
    snippets: dict[int, str] = {}
    if short:
        snippets.update(
            conn.execute(
                f"SELECT rowid, {_snippet_call(f'{table}_fts', column)} FROM {table}_fts "
                f"WHERE {table}_fts MATCH ? AND rowid IN ({','.join('?' * len(short))})",
                (expression, *short),
            ).fetchall()
        )
    for seq in long_rows:
        snippets[seq] = _snippet_of_start(conn, texts[seq], expression, column)
    return [FtsHit(int(seq), float(score), str(snippets.get(seq) or "")) for seq, score in ranked]


def _snippet_call(fts_table: str, column: int) -> str:
    return f"snippet({fts_table}, {column}, '[', ']', '…', 16)"


def _snippet_of_start(conn: Connection, columns: list[str], expression: str, column: int) -> str:
    """FTS5's snippet over the start of each column, in an in-memory scratch table with the same
    tokenizer (so stemming and diacritics match exactly as in the search itself)."""
    scratch = f"temp.snippet_scratch_{len(columns)}"
    names = ", ".join(f"c{i}" for i in range(len(columns)))
    conn.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {scratch} USING fts5({names}, tokenize='{FTS_TOKENIZE}')"
    )
    bare = scratch.split(".", 1)[1]
    try:
        conn.execute(
            f"INSERT INTO {scratch} (rowid, {names}) VALUES (1, {','.join('?' * len(columns))})",
            [c[:SNIPPET_DIRECT_CHARS] for c in columns],
        )
        row = conn.execute(
            f"SELECT {_snippet_call(bare, column)} FROM {scratch} WHERE {bare} MATCH ? AND rowid = 1",
            (expression,),
        ).fetchone()
    finally:
        conn.execute(f"DELETE FROM {scratch}")
    text = str(row[0]) if row else ""
    return text if text.endswith("…") else text + "…"
