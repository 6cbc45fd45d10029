"""How concentrated one activation pattern is (paper Table 1, Appendix C Eqs. 7-9).

All three statistics run over the ``L·H`` entries of a pattern, flattened:

- Gini coefficient ``G = Σ_i Σ_j |x_i − x_j| / (2 n² μ)``: 0 for a uniform pattern,
  ``1 − 1/n`` when a single head carries everything. Defined for non-negative entries.
- Coefficient of variation ``CV = σ / μ`` with the population standard deviation (ddof 0),
  matching the moments used by the kurtosis.
- Kurtosis, Pearson's definition ``m4 / m2²`` (normal distribution = 3, not 0), as the
  paper reads values > 3 as heavy-tailed. Equals ``scipy.stats.kurtosis(x, fisher=False)``.

A statistic that is undefined for an input (kurtosis of a constant pattern, CV of an
all-zero pattern) is ``nan``, never an exception; :func:`distribution_stats` also says why
in ``notes`` so that tables can print the reason next to the blank.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from headprint.analysis.arrays import as_pattern

__all__ = [
    "DistributionStats", "gini", "coefficient_of_variation", "kurtosis",
    "distribution_stats", "DISTRIBUTION_STATS", "gini_with_reason", "cv_with_reason",
    "kurtosis_with_reason",
]

#: Names of the statistics in :class:`DistributionStats`, in table order.
DISTRIBUTION_STATS = ("gini", "cv", "kurtosis")


def gini_with_reason(x: np.ndarray) -> tuple[float, str | None]:
    """``(Gini of the entries of float array x, why it is nan or None)``; no conversion."""
    v = np.sort(x.ravel())
    if v[0] < 0:
        return float("nan"), f"Gini undefined: pattern has negative entries (min {v[0]:.3g})"
    total = v.sum()
    if total == 0:
        return float("nan"), "Gini undefined: all entries are 0"
    n = v.size
    # Sorted-rank form of the mean absolute difference: O(n log n) instead of O(n²).
    ranks = np.arange(1, n + 1, dtype=np.float64)
    g = float((2.0 * np.sum(ranks * v)) / (n * total) - (n + 1.0) / n)
    return max(g, 0.0), None  # clamp -1e-16 round-off on uniform inputs


def cv_with_reason(x: np.ndarray) -> tuple[float, str | None]:
    """``(CV of the entries of float array x, why it is nan or None)``; no conversion."""
    mean = x.mean()
    if mean == 0:
        return float("nan"), "CV undefined: mean of the entries is 0"
    if x.max() == x.min():
        return 0.0, None  # exact 0, not the ulp-level std that the rounded mean leaves
    return float(x.std() / mean), None


def kurtosis_with_reason(x: np.ndarray) -> tuple[float, str | None]:
    """``(Pearson kurtosis of float array x, why it is nan or None)``; no conversion."""
    # Exact test, not m2 < tol: the mean of n equal floats can be off by an ulp, which
    # would make m2 tiny but non-zero and the ratio pure round-off noise.
    if x.max() == x.min():
        return float("nan"), "kurtosis undefined: all entries are equal (variance 0)"
    centred = x.ravel() - x.mean()
    m2 = np.mean(centred ** 2)
    return float(np.mean(centred ** 4) / m2 ** 2), None


def gini(pattern: Any) -> float:
    """Gini coefficient of the entries of ``pattern`` (any shape, e.g. ``[L, H]``).

    Returns ``nan`` when all entries are 0 or any is negative.
    """
    return gini_with_reason(as_pattern(pattern))[0]


def coefficient_of_variation(pattern: Any) -> float:
    """``std / mean`` over the entries (population std). ``nan`` when the mean is 0."""
    return cv_with_reason(as_pattern(pattern))[0]


def kurtosis(pattern: Any) -> float:
    """Pearson kurtosis ``m4 / m2²`` over the entries (normal = 3). ``nan`` if constant."""
    return kurtosis_with_reason(as_pattern(pattern))[0]


@dataclass
class DistributionStats:
    """Table 1 row for one pattern.

    Attributes:
        gini, cv, kurtosis: the statistics (``nan`` when undefined).
        n_entries: number of entries the statistics ran over (``L·H``).
        mean, std: mean and population std of the entries.
        notes: statistic name -> reason it is ``nan``; empty when all are defined.
    """

    gini: float
    cv: float
    kurtosis: float
    n_entries: int
    mean: float
    std: float
    notes: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def distribution_stats(pattern: Any) -> DistributionStats:
    """Gini, CV and kurtosis of ``pattern`` (``[L, H]``), with reasons for undefined ones."""
    x = as_pattern(pattern)
    notes: dict[str, str] = {}
    values = {}
    for key, fn in (("gini", gini_with_reason), ("cv", cv_with_reason),
                    ("kurtosis", kurtosis_with_reason)):
        values[key], reason = fn(x)
        if reason:
            notes[key] = reason
    return DistributionStats(n_entries=int(x.size), mean=float(x.mean()), std=float(x.std()),
                             notes=notes, **values)
