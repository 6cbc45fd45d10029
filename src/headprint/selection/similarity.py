"""Select pool rows whose activation pattern resembles a target set's (paper Eq. 5, Table 3).

``PatternSimilaritySelector().fit(target).select(pool, n)``: every candidate row ``x`` of
the pool is scored by ``r(x) = Pearson(AP_x, AP_target)`` over the ``L·H`` heads, where
``AP_x`` is the row's per-sample pattern ``[L, H]`` and ``AP_target`` the target set's mean
pattern ``[L, H]``, both measured with the same (usually fine-tuned) model. The ``n`` rows
with the highest ``r`` are selected.

Contract:

- Candidates are all pool rows, in pool order, except rows whose id is also in the target
  set: those are excluded by id, with a warning, and listed in ``excluded``.
- No row is dropped silently. A row whose pattern is constant has an undefined correlation
  (``nan``); it stays a candidate and ranks after every defined score.
- Ties rank in pool order (stable sort), so a selection is fully deterministic.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from headprint.selection.provenance import SelectionError, check_same_model

__all__ = ["PatternSimilaritySelector", "PoolScores", "Selection", "pearson_rows", "top_n"]


def pearson_rows(rows: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Pearson correlation of each row of ``rows [N, D]`` with ``target [D]`` (float64).

    ``nan`` where a row or the target is constant.
    """
    x = rows - rows.mean(axis=1, keepdims=True)
    t = target - target.mean()
    denom = np.sqrt(np.einsum("nd,nd->n", x, x) * float(t @ t))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (x @ t) / denom
    r[denom == 0] = np.nan
    return np.clip(r, -1.0, 1.0)


@dataclass
class PoolScores:
    """Scores of every candidate row of a pool.

    Attributes:
        ids: candidate ids, in pool order (``C`` of them).
        scores: float64 ``[C]``, Pearson r with the target pattern (``nan`` if undefined).
        excluded: pool ids left out because the target set holds them too.
        order: ``[C]`` candidate indices, best first (``nan`` last, ties in pool order).
    """

    ids: list[str]
    scores: np.ndarray
    excluded: list[str] = field(default_factory=list)
    order: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def __post_init__(self) -> None:
        key = np.where(np.isnan(self.scores), np.inf, -self.scores)
        self.order = np.argsort(key, kind="stable")

    def rank_of(self) -> dict[str, int]:
        """id -> rank (1 = best)."""
        return {self.ids[i]: rank for rank, i in enumerate(self.order, start=1)}


@dataclass
class Selection:
    """The top ``n`` candidates of a pool.

    Attributes:
        ids: selected ids, best first; ``scores``: their Pearson r, same order.
        candidates: every id the selector could choose from (the pool minus ``excluded``),
            in pool order: the population a random baseline must be drawn from.
        excluded: pool ids excluded because they are in the target set.
    """

    ids: list[str]
    scores: list[float]
    candidates: list[str]
    excluded: list[str]


class PatternSimilaritySelector:
    """Estimator: fit on a target :class:`~headprint.patterns.PatternSet`, score a pool.

    Learned state (after :meth:`fit`): ``target_pattern_`` (float64 ``[L, H]``),
    ``target_ids_`` (set of the target's sample ids), ``target_`` (the pattern set, for
    provenance checks).
    """

    def __init__(self, exclude_overlap: bool = True):
        self.exclude_overlap = exclude_overlap

    def fit(self, target: Any) -> "PatternSimilaritySelector":
        """Remember the target's mean pattern ``[L, H]`` and its sample ids."""
        pattern = target.mean.detach().cpu().double().numpy()
        if not np.isfinite(pattern).all():
            raise SelectionError(f"target pattern {target.name!r} has non-finite entries")
        if pattern.max() == pattern.min():
            raise SelectionError(f"target pattern {target.name!r} is constant: every "
                                 "correlation with it is undefined")
        self.target_ = target
        self.target_pattern_ = pattern
        self.target_ids_ = set(target.sample_ids)
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "target_pattern_"):
            raise SelectionError("call fit(target) before score or select")

    def check_pool(self, pool: Any) -> None:
        """Raise :class:`SelectionError` unless ``pool`` can be scored against the target:
        same model, per-sample patterns present."""
        self._check_fitted()
        check_same_model(self.target_, pool, f"target {self.target_.name!r}",
                         f"pool {pool.name!r}")
        if pool.per_sample is None:
            raise SelectionError(
                f"pool {pool.name!r} has no per-sample patterns; recompute it with "
                "`headprint patterns --per-sample`")

    def score(self, pool: Any) -> PoolScores:
        """Pearson r of every candidate row of ``pool`` (needs ``pool.per_sample [N, L, H]``).

        Raises:
            SelectionError: not fitted; pool without per-sample patterns; pool from another
                model than the target; ids missing, duplicated or not matching the rows.
        """
        self.check_pool(pool)
        ids = pool.sample_ids
        n_rows = int(pool.per_sample.shape[0])
        if len(ids) != n_rows:
            raise SelectionError(f"pool {pool.name!r} lists {len(ids)} sample ids for "
                                 f"{n_rows} per-sample patterns")
        if len(set(ids)) != len(ids):
            raise SelectionError(f"pool {pool.name!r} has duplicate sample ids; rows are "
                                 "referenced by id, so ids must be unique")
        keep = np.ones(n_rows, dtype=bool)
        excluded: list[str] = []
        if self.exclude_overlap:
            keep = np.array([i not in self.target_ids_ for i in ids], dtype=bool)
            excluded = [i for i, k in zip(ids, keep) if not k]
            if excluded:
                warnings.warn(
                    f"{len(excluded)} of {n_rows} pool rows are also in the target set "
                    f"{self.target_.name!r} and are excluded by id (first: "
                    f"{', '.join(excluded[:5])})", UserWarning, stacklevel=2)
        rows = pool.per_sample.detach().cpu().double().numpy().reshape(n_rows, -1)[keep]
        if not np.isfinite(rows).all():
            bad = [i for i, ok in zip(np.array(ids)[keep], np.isfinite(rows).all(1)) if not ok]
            raise SelectionError(f"pool {pool.name!r} has non-finite patterns for rows "
                                 f"{', '.join(bad[:5])}")
        scores = pearson_rows(rows, self.target_pattern_.ravel())
        return PoolScores([i for i, k in zip(ids, keep) if k], scores, excluded)

    def select(self, pool: Any, n: int) -> Selection:
        """The ``n`` candidates with the highest correlation, best first.

        Raises:
            SelectionError: as :meth:`score`, or ``n`` outside ``1 … number of candidates``.
        """
        return top_n(self.score(pool), n)


def top_n(scores: PoolScores, n: int) -> Selection:
    """The ``n`` best candidates of already computed :class:`PoolScores`."""
    n = int(n)
    if n < 1:
        raise SelectionError(f"n must be at least 1, got {n}")
    if n > len(scores.ids):
        extra = f" ({len(scores.excluded)} excluded as overlapping the target)" \
            if scores.excluded else ""
        raise SelectionError(f"cannot select n={n} rows: the pool has only "
                             f"{len(scores.ids)} candidate rows{extra}")
    best = scores.order[:n]
    return Selection([scores.ids[i] for i in best], [float(scores.scores[i]) for i in best],
                     list(scores.ids), list(scores.excluded))
