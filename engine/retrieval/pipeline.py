"""Hybrid search over a coach's knowledge, as one function of numbered steps (after qmd's hybridQuery).

    1. BM25 probe: content words of the query (stop words dropped), any of them, top `bm25_depth`.
    2. Vectors: the query's vector (cached) against every passage's own vector, in one float32
       product over an in-memory copy of the coach's vectors (`vectors.matrix`, loaded once per
       change of the vectors); the `shortlist` passages of the nearest passage vectors get their
       windows scored too, and the top `dense_depth` of them by their nearest vector are the dense
       candidates. A passage's exact dense score is the mean of its whole-passage cosine and its best
       window's (`_exact_dense`), computed from its in-memory rows for the passages that need one:
       the dense candidates in `dense` and `hybrid`, the whole candidate set in `full`.
    3. Fusion. `hybrid`: reciprocal rank fusion of 1 and 2 (DESIGN.md §4's plain baseline).
       `full`: the candidates of 1 and 2 widened to every passage of the documents of the top
       `context_passages`, all scored exactly in one pass, then a convex sum of min-max-normalised
       dense and BM25 scores (BM25 at 0.3), then document context: each passage gains the mean fused
       score of its document.
    4. Rerank (optional, off by default) of the top `rerank_depth`, then the position-aware blend.
    5. De-duplicate (the same text twice keeps the better) and return hits with provenance: which
       list found each passage, at what rank, and every score along the way.

Why score fusion rather than RRF in `full`: on everyday questions against old translations, BM25 is
much weaker than vectors (nDCG@10 0.13 against 0.24 on the stoic set), and RRF gives its noise an
equal vote (RRF: 0.22, below dense alone); normalised scores with BM25 at 0.3 let BM25 break ties
and rescue keyword questions instead. Why document context: the passages of one letter or chapter
share a theme, and a question usually matches the theme better than any one passage (the cluster
hypothesis), which a single passage's vector, truncated at the embedder's window, cannot see. On the
stoic set: dense 0.240 → score fusion alone 0.254 → with context 0.318. The weights are round numbers,
not tuned (the best ones on each half of the public queries were the same, and neighbouring values
score within ±0.01), because other query sets are scored the same way.

BM25 alone still works when no embedder is given, and the result says so (`dense_available`).
Graph expansion and tier boost belong to personal memory (`engine.memory.recall`), not to a coach's
read-only knowledge.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np

from engine.errors import UsageError
from engine.retrieval import fts, fusion, vectors
from engine.store.connection import Connection

Method = Literal["bm25", "dense", "hybrid", "full"]
METHODS: tuple[Method, ...] = ("bm25", "dense", "hybrid", "full")
TABLE = "chunks"


class QueryEmbedder(Protocol):
    @property
    def embedder_id(self) -> str: ...

    def embed_batch(self, texts: Sequence[str], *, kind: str = "query") -> np.ndarray: ...


class PassageReranker(Protocol):
    def score_batch(self, query: str, passages: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class Settings:
    """Depths and weights. Round numbers on purpose: see the module docstring."""

    bm25_depth: int = 100
    dense_depth: int = 100
    shortlist: int = 300  # passages by whole-passage cosine whose windows are scored for the nearest
    bm25_weight: float = 0.3  # of the normalised BM25 score, beside 1.0 for the dense score
    context_weight: float = 1.0  # of the document's mean fused score, beside 1.0 for the passage's
    context_passages: int = 100  # widen candidates to every passage of the documents of these
    max_doc_passages: int = 40  # … of at most this many passages each (a whole book is no context)
    rerank: bool = False
    rerank_depth: int = 30
    max_scored: int = fts.MAX_SCORED


@dataclass(frozen=True)
class Hit:
    """One passage found: `seq` of its `chunks` row, final score, and how it got there."""

    seq: int
    score: float
    found_by: tuple[str, ...]  # "bm25", "dense", "context" (only its document brought it in)
    ranks: dict[str, int] = field(default_factory=dict)  # rank in each first-stage list (from 1)
    scores: dict[str, float] = field(default_factory=dict)  # bm25, dense, fused, context, rerank


@dataclass(frozen=True)
class Outcome:
    hits: list[Hit]
    method: Method
    dense_available: bool  # False: no embedder or no vectors of its space; the result is BM25 alone
    timings_ms: dict[str, float] = field(default_factory=dict)


# -- query vector cache -------------------------------------------------------------------------

_CACHE_SIZE = 256
_cache: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
_cache_lock = threading.Lock()


def query_vector(embedder: QueryEmbedder, query: str) -> np.ndarray:
    """The query's vector, from a small LRU cache keyed by embedder id and a hash of the text.

    A person re-asks, pages through results, and the chat asks again with the same words; embedding
    costs milliseconds that the cache saves. Only a hash of the text is kept as the key.
    """
    key = (embedder.embedder_id, hashlib.sha256(query.encode()).hexdigest())
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    vector = np.asarray(embedder.embed_batch([query], kind="query")[0], dtype=np.float32)
    with _cache_lock:
        _cache[key] = vector
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return vector


def clear_query_cache() -> None:
    """Drop the cached query vectors: they are embeddings of what the coachee typed."""
    with _cache_lock:
        _cache.clear()


def query_cache_size() -> int:
    with _cache_lock:
        return len(_cache)


# -- the pipeline -------------------------------------------------------------------------------


def search(
    conn: Connection,
    coach_id: str,
    query: str,
    *,
    method: Method = "full",
    limit: int = 10,
    embedder: QueryEmbedder | None = None,
    reranker: PassageReranker | None = None,
    settings: Settings = Settings(),
) -> Outcome:
    """Passages of `coach_id`'s knowledge for `query`, best first (see the module docstring)."""
    if method not in METHODS:
        raise UsageError(f"unknown method {method!r}; one of: {', '.join(METHODS)}")
    if limit < 1:
        raise UsageError("limit must be at least 1")
    timings: dict[str, float] = {}
    clock = time.perf_counter

    # 1. BM25 probe (for `dense` too when there is no vector space to search: BM25 alone then).
    dense_possible = (
        method != "bm25" and embedder is not None and vectors.space(conn, TABLE) == embedder.embedder_id
    )
    t = clock()
    bm25: dict[int, float] = {}
    if method != "dense" or not dense_possible:
        bm25 = dict(
            fts.rank_any(
                conn,
                TABLE,
                fts.content_words(query),
                limit=max(settings.bm25_depth, limit),
                where="t.coach_id = ?",
                params=(coach_id,),
                max_scored=settings.max_scored,
            )
        )
    timings["bm25"] = (clock() - t) * 1000

    # 2. Vectors.
    dense: dict[int, float] = {}
    nearest: dict[int, float] = {}
    qvec: np.ndarray | None = None
    scan: _Scan | None = None
    if dense_possible:
        assert embedder is not None
        t = clock()
        qvec = query_vector(embedder, query)
        timings["embed"] = (clock() - t) * 1000
        t = clock()
        scan = _scan(conn, coach_id, qvec, embedder.embedder_id, settings.shortlist)
        timings["load"] = (clock() - t) * 1000  # ~0 unless the vectors changed since the last query
        t = clock()
        nearest = scan.nearest(max(settings.dense_depth, limit))
        if method != "full":  # `full` scores its whole candidate set exactly in one go, in step 3
            dense = scan.exact(list(nearest))
        timings["knn"] = (clock() - t) * 1000
    dense_available = dense_possible

    bm25_rank = {seq: r for r, seq in enumerate(fusion.ranking(bm25), 1)}
    dense_rank = {seq: r for r, seq in enumerate(fusion.ranking(dense or nearest), 1)}
    ranks = {"bm25": bm25_rank, "dense": dense_rank}

    # 3. Fusion.
    t = clock()
    context: dict[int, float] = {}
    fused: dict[int, float]
    if method == "bm25" or not dense_available:
        fused = dict(bm25)
    elif method == "dense":
        fused = dict(dense)
    elif method == "hybrid":
        fused = fusion.rrf([list(bm25_rank), list(dense_rank)])
    else:
        assert scan is not None
        # The KNN's own distances rank candidates well enough to pick the documents to widen to;
        # then one exact pass scores every candidate: nearest, BM25's, and their siblings.
        rough = fusion.weighted_sum([nearest, bm25], [1.0, settings.bm25_weight])
        groups = _groups(conn, fusion.ranking(rough)[: settings.context_passages], settings)
        pool = list(dict.fromkeys([*nearest, *bm25, *(s for m in groups.values() for s in m)]))
        dense = scan.exact(pool)
        passage_fused = fusion.weighted_sum([dense, bm25], [1.0, settings.bm25_weight])
        doc_of = {s: d for d, members in groups.items() for s in members}
        doc_mean = {d: float(np.mean([passage_fused.get(s, 0.0) for s in m])) for d, m in groups.items()}
        context = {s: doc_mean[doc_of[s]] for s in passage_fused if s in doc_of}
        fused = {s: f + settings.context_weight * context.get(s, 0.0) for s, f in passage_fused.items()}
    timings["fuse"] = (clock() - t) * 1000

    order = fusion.ranking(fused)
    final = fused
    rerank_scores: dict[int, float] = {}

    # 4. Rerank and blend.
    if method == "full" and settings.rerank and reranker is not None and dense_available and order:
        t = clock()
        top = order[: settings.rerank_depth]
        texts = _texts(conn, top)
        scores = reranker.score_batch(query, [texts[s] for s in top])
        rerank_scores = {s: float(x) for s, x in zip(top, scores, strict=True)}
        final = fusion.position_aware_blend(order, fused, rerank_scores)
        order = fusion.ranking(final)
        timings["rerank"] = (clock() - t) * 1000

    # 5. De-duplicate and describe.
    t = clock()
    hits: list[Hit] = []
    seen_text: set[str] = set()
    texts = _texts(conn, order[: limit * 2])
    for seq in order:
        digest = hashlib.sha256(" ".join(texts.get(seq, "").split()).lower().encode()).hexdigest()
        if seq in texts and digest in seen_text:
            continue
        seen_text.add(digest)
        found = tuple(n for n in ("bm25", "dense") if seq in ranks[n]) or ("context",)
        scores = {"bm25": bm25.get(seq), "dense": dense.get(seq), "fused": fused.get(seq)}
        if seq in context:
            scores["context"] = context[seq]
        if seq in rerank_scores:
            scores["rerank"] = rerank_scores[seq]
        hits.append(
            Hit(
                seq,
                float(final[seq]),
                found,
                {n: ranks[n][seq] for n in ("bm25", "dense") if seq in ranks[n]},
                {k: float(v) for k, v in scores.items() if v is not None},
            )
        )
        if len(hits) >= limit:
            break
    timings["results"] = (clock() - t) * 1000
    return Outcome(hits, method if dense_available or method == "bm25" else "bm25", dense_available, timings)


# -- helpers ------------------------------------------------------------------------------------


@dataclass
class _Scan:
    """The query against one coach's vectors: every passage's whole-passage cosine (`heads`, one
    product over one row per passage), and the exact scores (`_exact_dense`) of the passages asked
    for, from all their rows, computed on demand and kept."""

    seqs: np.ndarray
    heads: np.ndarray
    matrix: vectors.Matrix | None
    query: np.ndarray
    shortlist: int
    _exact: dict[int, tuple[np.float32, np.float32]] = field(default_factory=dict)  # index → (whole, window)

    def _score(self, indexes: np.ndarray) -> None:
        assert self.matrix is not None
        missing = np.asarray(
            [i for i in dict.fromkeys(indexes.tolist()) if i not in self._exact], dtype=np.int64
        )
        whole, window = self.matrix.exact_scores(self.query, missing)
        self._exact.update(zip(missing.tolist(), zip(whole, window, strict=True), strict=True))

    def nearest(self, depth: int) -> dict[int, float]:
        """The `depth` passages with the nearest vectors, best first, each with that cosine (a
        rough score: the passage is found by whichever of its vectors is nearest), among the
        `shortlist` passages of the nearest whole-passage vectors (their windows scored exactly)."""
        if not len(self.seqs):
            return {}
        short = vectors.top_indexes(self.heads, max(self.shortlist, depth))
        self._score(short)
        best = np.asarray([max(self._exact[i]) for i in short.tolist()], dtype=np.float32)
        top = vectors.top_indexes(best, depth)
        return {int(self.seqs[short[j]]): float(best[j]) for j in top}

    def exact(self, seqs: Sequence[int]) -> dict[int, float]:
        """Exact dense scores of these passages (those without vectors are left out)."""
        if self.matrix is None:
            return {}
        found, idx = self.matrix.positions(seqs)
        self._score(idx)
        return {int(s): float(_exact_dense(*self._exact[int(i)])) for s, i in zip(found, idx, strict=True)}


def _scan(conn: Connection, coach_id: str, qvec: np.ndarray, embedder_id: str, shortlist: int) -> _Scan:
    """The coach's vectors in memory (`vectors.matrix`): one product over the passages' own vectors;
    windows are scored only for the passages that need an exact score.

    Scoring every row (passages and windows, ~3.5 per passage) took ~10× longer at 100k passages,
    int8 → float32 conversion included, and only the `shortlist` by whole-passage cosine need their
    windows to find the nearest; candidates found by BM25 or by their document are scored exactly
    on demand from the same in-memory rows, without a second scan or a fetch.
    """
    m = vectors.matrix(conn, TABLE, embedder_id, coach_id)
    if m is None or not len(m.seqs):
        empty = np.empty(0, dtype=np.float32)
        return _Scan(np.empty(0, dtype=np.int64), empty, None, qvec, shortlist)
    return _Scan(m.seqs, m.head_cosines(qvec), m, qvec, shortlist)


def _exact_dense(whole: np.float32, window: np.float32) -> np.float32:
    """A passage's dense score: the mean of its whole-passage cosine and its best window's.

    The passage vector sees the title and the start (the embedder truncates); the best window sees
    any one part in full. Their mean beat either alone and their max on the stoic set (nDCG@10 0.242
    against 0.229 passage, 0.217 best window). A passage that fits one window is its own best window.
    """
    return np.float32(0.5) * (whole + window)  # float32 throughout, as the vectors are


def _groups(conn: Connection, seqs: Sequence[int], settings: Settings) -> dict[str, list[int]]:
    """Every passage of the documents of `seqs`, by document; documents longer than the cap are left
    out (a whole book filed as one document is no context), in one query."""
    if not seqs:
        return {}
    marks = ",".join("?" * len(seqs))
    rows = conn.execute(
        f"""
        WITH docs AS (SELECT DISTINCT coach_id, doc_id FROM chunks WHERE seq IN ({marks})),
        members AS (
            SELECT c.seq, c.doc_id,
                   row_number() OVER (PARTITION BY c.coach_id, c.doc_id ORDER BY c.position) AS n
            FROM chunks AS c JOIN docs USING (coach_id, doc_id)
        )
        SELECT seq, doc_id, n FROM members WHERE n <= ?
        """,
        (*seqs, settings.max_doc_passages + 1),
    ).fetchall()
    groups: dict[str, list[int]] = {}
    for seq, doc_id, _ in rows:
        groups.setdefault(str(doc_id), []).append(int(seq))
    return {d: m for d, m in groups.items() if len(m) <= settings.max_doc_passages}


def _texts(conn: Connection, seqs: Sequence[int]) -> dict[int, str]:
    if not seqs:
        return {}
    marks = ",".join("?" * len(seqs))
    rows = conn.execute(f"SELECT seq, text FROM chunks WHERE seq IN ({marks})", list(seqs)).fetchall()
    return {int(s): str(t) for s, t in rows}
