"""Pure functions that combine ranked lists and scores. No I/O, no models: easy to test and reason about.

- `rrf`: reciprocal rank fusion (Cormack et al. 2009). Uses ranks only, so lists whose scores live on
  different scales (BM25, cosine) can be merged without calibration.
- `normalise` + `weighted_sum`: score fusion. Where one list is much better than the other (everyday
  questions against old translations: dense ≫ BM25), RRF's equal votes drag the good list down; a
  convex combination of per-query min-max-normalised scores keeps each list's confidence and lets the
  weaker list break ties instead of voting as an equal.
- `position_aware_blend`: after a rerank, trust the first-stage order more at the top (qmd's rule:
  ranks 1–3 keep 75 % of the fusion score, 4–10 60 %, 11+ 40 %), because a reranker is most likely to
  help in the long tail and most likely to hurt by demoting a confident first hit.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

RRF_K = 60
BLEND_WEIGHTS: tuple[tuple[int, float], ...] = ((3, 0.75), (10, 0.60))
BLEND_TAIL = 0.40


def rrf(
    lists: Sequence[Sequence[K]], k: int = RRF_K, weights: Sequence[float] | None = None
) -> dict[K, float]:
    """Σ weight / (k + rank) over the lists each key appears in (rank starts at 1)."""
    if weights is not None and len(weights) != len(lists):
        raise ValueError("one weight per list")
    fused: dict[K, float] = {}
    for n, ranked in enumerate(lists):
        w = 1.0 if weights is None else weights[n]
        for rank, key in enumerate(ranked, 1):
            fused[key] = fused.get(key, 0.0) + w / (k + rank)
    return fused


def normalise(scores: Mapping[K, float]) -> dict[K, float]:
    """Min-max to [0, 1] within one query's list (all 1.0 when every score is equal)."""
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    if high - low <= 1e-12:
        return dict.fromkeys(scores, 1.0)
    return {key: (s - low) / (high - low) for key, s in scores.items()}


def weighted_sum(score_maps: Sequence[Mapping[K, float]], weights: Sequence[float]) -> dict[K, float]:
    """Σ weight × normalised score; a key missing from a list gets 0 from it (below that list's worst)."""
    if len(score_maps) != len(weights):
        raise ValueError("one weight per score map")
    fused: dict[K, float] = {}
    for scores, w in zip(score_maps, weights, strict=True):
        for key, s in normalise(scores).items():
            fused[key] = fused.get(key, 0.0) + w * s
    for scores in score_maps:
        for key in scores:
            fused.setdefault(key, 0.0)
    return fused


def ranking(scores: Mapping[K, float]) -> list[K]:
    """Keys best first; ties keep insertion order (the earlier list's order), so results are stable."""
    order = {key: i for i, key in enumerate(scores)}
    return sorted(scores, key=lambda key: (-scores[key], order[key]))


def blend_weight(rank: int) -> float:
    """The share of the fusion score a result at `rank` (from 1) keeps after a rerank."""
    for last, weight in BLEND_WEIGHTS:
        if rank <= last:
            return weight
    return BLEND_TAIL


def position_aware_blend(
    fused: Sequence[K], fused_scores: Mapping[K, float], rerank: Mapping[K, float]
) -> dict[K, float]:
    """Blend normalised fusion and rerank scores, weighted by each key's rank in `fused`.

    Keys in `fused` that the reranker did not score keep only their weighted fusion score, so they
    fall behind the reranked ones, as they should: they were below the rerank cut-off.
    """
    first = normalise({key: fused_scores[key] for key in fused})
    second = normalise(rerank)
    out: dict[K, float] = {}
    for rank, key in enumerate(fused, 1):
        w = blend_weight(rank)
        out[key] = w * first[key] + (1.0 - w) * second.get(key, 0.0)
    return out
