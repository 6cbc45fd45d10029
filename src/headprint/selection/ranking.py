"""Three ways to rank one pool for selection, over one candidate set, each with its cost.

- ``pattern`` (paper Eq. 5): Pearson r of each row's per-sample pattern ``[L, H]`` with the
  target set's mean pattern (:class:`~headprint.selection.similarity.PatternSimilaritySelector`).
- ``embedding`` (representation similarity, as in RDS+): cosine of each row's mean-pooled
  final hidden state with the target set's mean embedding (:mod:`.embedding`), computed
  with the same model and rows.
- ``random``: one seeded permutation of the candidates; its prefixes are the random
  baselines of every size, nested (R100 ⊂ R300 ⊂ R500).

Contract shared by all three: the candidates are the pool rows, in pool-data order, minus
rows whose id is in the target set (excluded by id and listed); a row a method cannot score
(a pattern the pattern stage did not compute because its response was truncated away)
stays a candidate with score ``nan`` and ranks after every scored row; ties rank in pool
order. So the methods choose from exactly the same rows, and a comparison of their
selections compares the rankings alone.

Cost: ``cost["seconds"]`` is what the method spent on its representations plus scoring,
model loading and file I/O excluded, so that methods compare on the work they need: for
``pattern`` the pattern stage's recorded seconds of the target and pool sets (forward and
backward per row), for ``embedding`` the forward passes, for ``random`` the draw.
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from headprint.selection.provenance import SelectionError
from headprint.selection.sampling import random_baseline
from headprint.selection.similarity import PatternSimilaritySelector, PoolScores

__all__ = ["METHODS", "Ranking", "candidates", "rank_by_pattern", "rank_by_embedding",
           "rank_randomly"]

METHODS = ("pattern", "embedding", "random")
DESCRIPTIONS = {
    "pattern": "pearson(per-sample pattern, target mean pattern) over L*H heads (Eq. 5)",
    "embedding": "cosine(mean-pooled final hidden state, target mean embedding)",
    "random": "seeded uniform permutation of the candidates (nested prefixes)",
}


@dataclass
class Ranking:
    """One method's ranking of the candidates.

    Attributes:
        by: the method, one of :data:`METHODS`.
        scores: :class:`PoolScores` over the candidates (``ids`` in pool order; ``nan``
            where a row has no score; for ``random`` all ``nan`` and ``order`` the draw).
        not_scored: candidates the method could not score (rank last).
        cost: ``{"seconds", "representation_seconds", "scoring_seconds"}``.
    """

    by: str
    scores: PoolScores
    not_scored: list[str] = field(default_factory=list)
    cost: dict[str, float] = field(default_factory=dict)

    @property
    def description(self) -> str:
        return DESCRIPTIONS[self.by]


def candidates(pool_ids: Sequence[str], target_ids: Sequence[str]
               ) -> tuple[list[str], list[str]]:
    """``(candidates, excluded)``: pool ids not in the target set (pool order), and those
    that are (with a warning).

    Raises:
        SelectionError: duplicate pool ids (rows are referenced by id).
    """
    ids = [str(i) for i in pool_ids]
    if len(set(ids)) != len(ids):
        raise SelectionError("the pool has duplicate ids; rows are referenced by id, so ids "
                             "must be unique")
    target = {str(i) for i in target_ids}
    excluded = [i for i in ids if i in target]
    if excluded:
        warnings.warn(f"{len(excluded)} of {len(ids)} pool rows are also in the target set "
                      f"and are excluded by id (first: {', '.join(excluded[:5])})",
                      UserWarning, stacklevel=3)
    return [i for i in ids if i not in target], excluded


def _on_candidates(ids: list[str], excluded: list[str], scored: dict[str, float]
                   ) -> tuple[PoolScores, list[str]]:
    values = np.array([scored.get(i, np.nan) for i in ids], dtype=np.float64)
    return PoolScores(list(ids), values, list(excluded)), [i for i in ids if i not in scored]


def rank_by_pattern(target_set: Any, pool_set: Any, pool_ids: Sequence[str]) -> Ranking:
    """Rank ``pool_ids`` (the pool data's ids) by pattern similarity.

    Raises:
        SelectionError: as :meth:`PatternSimilaritySelector.score`; pool pattern ids that
            are not in ``pool_ids`` (patterns computed on other data).
    """
    ids, excluded = candidates(pool_ids, target_set.sample_ids)
    started = time.perf_counter()
    with warnings.catch_warnings():  # the overlap was reported by candidates() already
        warnings.simplefilter("ignore", UserWarning)
        scores = PatternSimilaritySelector().fit(target_set).score(pool_set)
    known = set(pool_ids)
    missing = [i for i in scores.ids if i not in known]
    if missing:
        raise SelectionError(f"{len(missing)} pool ids are not in the pool data "
                             f"({', '.join(missing[:5])}); pass the data the pool patterns "
                             "were computed on with --data")
    ranked, not_scored = _on_candidates(ids, excluded, dict(zip(scores.ids,
                                                                scores.scores.tolist())))
    scoring = time.perf_counter() - started
    if not_scored:
        warnings.warn(
            f"{len(not_scored)} pool rows have no pattern (e.g. {', '.join(not_scored[:3])}; "
            "the pattern stage excludes rows whose response was truncated away, see its "
            "manifest); they rank last and are listed under 'not_scored'", UserWarning,
            stacklevel=2)
    representation = sum(float(s.manifest.get("seconds") or 0.0) for s in (target_set, pool_set))
    return Ranking("pattern", ranked, not_scored,
                   {"seconds": representation + scoring,
                    "representation_seconds": representation, "scoring_seconds": scoring})


def rank_by_embedding(model: Any, tokenizer: Any, target_rows: Sequence[dict],
                      pool_rows: Sequence[dict], max_length: int = 1024,
                      batch_size: int = 8, prompt_format: str = "raw") -> Ranking:
    """Rank ``pool_rows`` by cosine similarity of their embeddings to ``target_rows``' mean.

    Raises:
        SelectionError: no target rows, or as :func:`~.embedding.embed_rows`.
    """
    from headprint.selection.embedding import cosine_rows, embed_rows

    if not target_rows:
        raise SelectionError("embedding selection needs the target set's rows")
    ids, excluded = candidates([r["id"] for r in pool_rows], [r["id"] for r in target_rows])
    keep = set(ids)
    target = embed_rows(model, tokenizer, target_rows, max_length, batch_size, prompt_format)
    pool = embed_rows(model, tokenizer, [r for r in pool_rows if str(r["id"]) in keep],
                      max_length, batch_size, prompt_format)
    started = time.perf_counter()
    scores = cosine_rows(pool.vectors, target.mean())
    ranked, not_scored = _on_candidates(ids, excluded, dict(zip(pool.ids, scores.tolist())))
    scoring = time.perf_counter() - started
    representation = target.seconds + pool.seconds
    return Ranking("embedding", ranked, not_scored,
                   {"seconds": representation + scoring,
                    "representation_seconds": representation, "scoring_seconds": scoring,
                    "n_truncated": target.n_truncated + pool.n_truncated})


def rank_randomly(pool_ids: Sequence[str], target_ids: Sequence[str], seed: int = 0
                  ) -> Ranking:
    """A seeded permutation of the candidates: the first ``n`` are the random-``n`` baseline
    (:func:`~.sampling.random_baseline` of the candidates, for every ``n``)."""
    started = time.perf_counter()
    ids, excluded = candidates(pool_ids, target_ids)
    if not ids:
        raise SelectionError("no candidate rows: every pool row is in the target set")
    drawn = random_baseline(ids, len(ids), seed)
    position = {i: k for k, i in enumerate(ids)}
    ranked = PoolScores(ids, np.full(len(ids), np.nan), excluded)
    ranked.order = np.array([position[i] for i in drawn], dtype=np.int64)
    seconds = time.perf_counter() - started
    return Ranking("random", ranked, [],
                   {"seconds": seconds, "representation_seconds": 0.0,
                    "scoring_seconds": seconds})
