"""`engine.knowledge`: a coach's knowledge (shared, read-only passages in `chunks`) and its search.

The logic is in this package (`knowledge.py` stores and describes passages, `pipeline.py` is the
hybrid search); this part opens the database and picks the models.
"""

from __future__ import annotations

from collections.abc import Iterable

from engine.retrieval import knowledge as knowledge_mod
from engine.retrieval import pipeline as pipeline_mod
from engine.session import Part, guarded


@guarded
class Knowledge(Part):
    def add(
        self,
        coach_id: str,
        docs: Iterable[knowledge_mod.KnowledgeDoc],
        progress: knowledge_mod.Progress | None = None,
        *,
        prebuilt: knowledge_mod.Prebuilt | None = None,
    ) -> knowledge_mod.KnowledgeIndexReport:
        """Store passages of a coach's knowledge and embed them (with the embedder, when available).

        `progress(done, total)` is called as vectors are made; embedding runs outside the database
        lock, in batches that each commit, so the profile stays usable while a book is indexed.
        `prebuilt` vectors (a coach pack's index, made by the same embedder) skip the model.
        """
        embedder = None if prebuilt else self._s.loaded_embedder()
        return knowledge_mod.index(
            self._s.db,
            coach_id,
            list(docs),
            embedder,
            count_tokens=knowledge_mod.token_counter(embedder),
            progress=progress,
            prebuilt=prebuilt,
        )

    def export_vectors(self, coach_id: str) -> knowledge_mod.Prebuilt | None:
        """A coach's stored vectors by passage ref (for a coach pack's prebuilt index)."""
        db = self._s.db
        with db.lock:
            return knowledge_mod.export_vectors(db.conn, coach_id)

    def search(
        self,
        coach_id: str,
        query: str,
        *,
        method: pipeline_mod.Method = "full",
        limit: int = 10,
        rerank: bool | None = None,
    ) -> knowledge_mod.KnowledgeResults:
        """Hybrid search of one coach's knowledge (`engine.retrieval.pipeline`). Without an embedder
        it is BM25 alone, and `dense_available` in the result says so."""
        db = self._s.db
        embedder = self._s.loaded_embedder() if method != "bm25" else None
        settings = pipeline_mod.Settings() if rerank is None else pipeline_mod.Settings(rerank=rerank)
        reranker = self._s.models.reranker if settings.rerank and embedder is not None else None
        if embedder is not None:  # embed before taking the lock (cached for the pipeline's step 2)
            pipeline_mod.query_vector(embedder, query)
        with db.lock:
            outcome = pipeline_mod.search(
                db.conn,
                coach_id,
                query,
                method=method,
                limit=limit,
                embedder=embedder,
                reranker=reranker,
                settings=settings,
            )
            hits = knowledge_mod.describe(db.conn, outcome.hits)
        return knowledge_mod.KnowledgeResults(
            hits, outcome.method, outcome.dense_available, outcome.timings_ms
        )
