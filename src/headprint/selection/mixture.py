"""A training mixture of basic tasks from the composition of pattern changes (paper Eq. 4).

``CompositionMixture(top_k=2).fit(target_delta, basis_deltas)`` fits
``Δ_target ≈ Σ_k β_k Δ_k`` by least squares over the ``L·H`` heads
(:func:`headprint.analysis.fit_composition`, all basic tasks at once, as the paper does
before keeping its top two), then keeps the ``top_k`` largest *positive* coefficients.
With ``nonnegative=True`` the coefficients come from the non-negative fit (scipy NNLS)
instead; both fits are made and both R² reported either way.
``allocate(N)`` turns them into row counts ``N_k = N · β_k / Σ_kept β`` and ``draw`` picks
the rows.

Contract:

- A zero or negative coefficient never contributes a row, whatever ``top_k``. Coefficients
  at or below ``ZERO_RTOL · max|β|`` count as zero: patterns are float32, so least squares
  returns round-off (about ``1e-8 · max|β|``) rather than an exact 0 for a task that plays
  no part.
- Counts are integers summing to exactly ``N`` (largest-remainder rounding; remainders
  that tie go to the larger coefficient, then to the earlier task name).
- Draws are seeded per task (:func:`headprint.selection.sampling.draw_rows`).
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np

from headprint.selection.provenance import SelectionError
from headprint.selection.sampling import draw_rows, tag_row, task_rng

__all__ = ["CompositionMixture", "largest_remainder", "ZERO_RTOL"]

#: Coefficients at or below this fraction of the largest |β| are treated as zero.
ZERO_RTOL = 1e-6


def largest_remainder(weights: Mapping[str, float], n: int) -> dict[str, int]:
    """Integer counts proportional to positive ``weights`` that sum to exactly ``n``.

    Raises:
        SelectionError: ``n < 0``, or no positive weight.
    """
    if n < 0:
        raise SelectionError(f"mixture size must be >= 0, got {n}")
    names = [k for k, w in weights.items() if w > 0 and math.isfinite(w)]
    if not names:
        raise SelectionError("no positive weight to allocate rows by")
    total = sum(weights[k] for k in names)
    quotas = {k: n * weights[k] / total for k in names}
    counts = {k: int(math.floor(quotas[k])) for k in names}
    left = n - sum(counts.values())
    by_remainder = sorted(names, key=lambda k: (-(quotas[k] - counts[k]), -weights[k], k))
    for k in by_remainder[:left]:
        counts[k] += 1
    return counts


class CompositionMixture:
    """Estimator: fit on pattern changes, allocate and draw a mixture of basic-task rows.

    Args:
        top_k: keep at most this many basic tasks (those with the largest positive β).
        intercept: fit ``Δ_target ≈ b0 + Σ β_k Δ_k`` (the paper's Eq. 3 has no intercept).
        nonnegative: take β from the non-negative fit (NNLS) rather than least squares.

    Learned state (after :meth:`fit`): ``fit_`` (the :class:`CompositionFit` over every
    basic task that β comes from), ``fits_`` (``{"least_squares", "nonnegative"}``: both
    fits), ``coefficients_`` (name -> β, all tasks), ``weights_`` (name -> β of the kept
    tasks, largest first), ``dropped_`` (name -> why the task contributes nothing).
    """

    def __init__(self, top_k: int = 2, intercept: bool = False, nonnegative: bool = False):
        self.top_k = top_k
        self.intercept = intercept
        self.nonnegative = nonnegative

    def fit(self, target_delta: Any, basis_deltas: Mapping[str, Any]) -> "CompositionMixture":
        """Fit β on ``target_delta [L, H]`` and ``basis_deltas`` (name -> ``[L, H]``)."""
        from headprint.analysis import fit_both

        if int(self.top_k) < 1:
            raise SelectionError(f"top_k must be at least 1, got {self.top_k}")
        self.fits_ = fit_both(target_delta, dict(basis_deltas), intercept=self.intercept)
        self.fit_ = self.fits_["nonnegative" if self.nonnegative else "least_squares"]
        self.coefficients_ = dict(self.fit_.coefficients)
        scale = max((abs(b) for b in self.coefficients_.values() if math.isfinite(b)),
                    default=0.0)
        order = list(self.coefficients_)
        ranked = sorted(order, key=lambda k: (-self.coefficients_[k], order.index(k)))
        self.weights_, self.dropped_ = {}, {}
        for name in ranked:
            beta = self.coefficients_[name]
            if not math.isfinite(beta) or beta <= ZERO_RTOL * scale:
                self.dropped_[name] = f"coefficient {beta:.4g} is not positive"
            elif len(self.weights_) >= int(self.top_k):
                self.dropped_[name] = f"outside the top {self.top_k} (coefficient {beta:.4g})"
            else:
                self.weights_[name] = beta
        return self

    def _check(self) -> None:
        if not hasattr(self, "weights_"):
            raise SelectionError("call fit(target_delta, basis_deltas) first")
        if not self.weights_:
            raise SelectionError(
                "no basic task has a positive composition coefficient ("
                + ", ".join(f"{k}: {v:.3g}" for k, v in self.coefficients_.items())
                + "); the target's change is not a positive combination of these tasks")

    def proportions(self) -> dict[str, float]:
        """Kept task -> ``β_k / Σ_kept β`` (sums to 1)."""
        self._check()
        total = sum(self.weights_.values())
        return {k: v / total for k, v in self.weights_.items()}

    def allocate(self, n: int) -> dict[str, int]:
        """Kept task -> number of rows, summing to exactly ``n``."""
        self._check()
        return largest_remainder(self.weights_, int(n))

    def draw(self, rows_by_task: Mapping[str, Sequence[Mapping[str, Any]]], n: int,
             seed: int = 0) -> list[dict[str, Any]]:
        """``n`` rows: :meth:`allocate`'s count from each kept task, drawn uniformly.

        Rows are tagged with their source task and id (:func:`tag_row`) and shuffled
        (seeded), so a trainer that reads them in order still sees the tasks interleaved.

        Raises:
            SelectionError: a kept task is missing from ``rows_by_task`` or has too few rows.
        """
        counts = self.allocate(n)
        missing = [t for t, c in counts.items() if c > 0 and t not in rows_by_task]
        if missing:
            raise SelectionError(f"no rows given for kept task(s) {', '.join(missing)}")
        mixed = [tag_row(row, task) for task, count in counts.items()
                 for row in draw_rows(rows_by_task[task], count, seed, task)]
        order = task_rng(seed, "mixture-order").permutation(len(mixed))
        return [mixed[int(i)] for i in np.asarray(order)]

    def summary(self) -> dict[str, Any]:
        """JSON-ready description of the fit and of what was kept and why."""
        out = {"top_k": int(self.top_k), "intercept": bool(self.intercept),
               "nonnegative": bool(self.nonnegative)}
        if hasattr(self, "fit_"):
            out.update(fit=self.fit_.summary(), kept=dict(self.weights_),
                       dropped=dict(self.dropped_),
                       fits={k: f.summary() for k, f in self.fits_.items()},
                       r2={k: f.r2 for k, f in self.fits_.items()})
            if self.weights_:
                out["proportions"] = self.proportions()
        return out
