"""Arms trained over several seeds: mean ± sd, and comparisons that weigh both kinds of noise.

An arm's result per seed is a mapping test-row id -> value (accuracy 0/1, a loss, the gold
choice's probability). Its value on one seed is the mean over rows; the arm is reported as
the mean ± sd (``ddof = 1``) of those over seeds.

Two arms A and B are compared by ``diff = mean_A − mean_B`` (sign flipped for losses, so
positive is better) and two tests, both at 5 % two-sided:

- *noise over test rows*: per row, each arm's value averaged over its seeds; the paired
  test over rows of those (:func:`~headprint.experiments.findings.compare_paired`:
  McNemar's exact test when the values are 0/1, e.g. accuracy on one seed or seeds that
  agree, else the paired t-test);
- *spread between seeds*: Welch's t-test of the two arms' per-seed means
  (``se² = sd_A²/S_A + sd_B²/S_B``, Welch–Satterthwaite degrees of freedom). An arm that
  is not trained (the base model, evaluated greedily) is *fixed*: one evaluation stands for
  every seed and contributes no seed variance. A trained arm with fewer than 2 seeds has
  an unknown spread, so the test cannot pass.

Verdict: ``reproduced`` when the difference is beyond both tests and positive, ``not
reproduced`` when beyond both and negative, ``inconclusive`` otherwise
(:func:`headprint.experiments.findings.direction_verdict`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from headprint.experiments.findings import Comparison, compare_paired, direction_verdict

__all__ = ["SeededComparison", "compare_seeds", "seed_means", "mean_sd", "format_mean_sd"]

PerSeed = Mapping[int, Mapping[str, float]]


def seed_means(values: PerSeed, ids: list[str] | None = None) -> list[float]:
    """Per-seed means over ``ids`` (default: each seed's own rows), in seed order."""
    return [float(np.mean([float(rows[i]) for i in (ids if ids is not None else rows)]))
            for _, rows in sorted(values.items())]


def mean_sd(values: list[float]) -> tuple[float, float]:
    """``(mean, sd)`` with ``ddof = 1``; sd is ``nan`` for fewer than 2 values."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.size == 0:
        return math.nan, math.nan
    return float(arr.mean()), float(arr.std(ddof=1)) if arr.size > 1 else math.nan


def format_mean_sd(values: list[float], scale: float = 1.0, spec: str = ".1f") -> str:
    """``"12.3 ± 1.2"`` (``values`` times ``scale``); a single value without ``±``."""
    mean, sd = mean_sd(values)
    if math.isnan(mean):
        return "n/a"
    if len(values) < 2:
        return f"{mean * scale:{spec}}"
    return f"{mean * scale:{spec}} ± {sd * scale:{spec}}"


@dataclass
class SeededComparison:
    """Arm A against arm B over seeds and test rows (see the module doc).

    Attributes:
        a, b: per-seed means of each arm, in seed order (one value for a fixed arm).
        fixed_a, fixed_b: the arm has no training randomness.
        diff: ``mean(a) − mean(b)``, signed so that positive is better.
        rows: the paired comparison over rows of seed-averaged values.
        se_seeds, df_seeds: Welch standard error and degrees of freedom of ``diff``
            (``nan`` when a trained arm has fewer than 2 seeds).
    """

    a: list[float]
    b: list[float]
    fixed_a: bool
    fixed_b: bool
    diff: float
    rows: Comparison
    se_seeds: float
    df_seeds: float

    @property
    def beyond_seed_spread(self) -> bool:
        if math.isnan(self.se_seeds) or not math.isfinite(self.diff) or self.diff == 0:
            return False
        if self.se_seeds == 0:
            return True
        from scipy.stats import t

        return abs(self.diff) / self.se_seeds > float(t.ppf(0.975, self.df_seeds))

    @property
    def beyond_noise(self) -> bool:
        """Beyond both the noise over test rows and the spread between seeds."""
        return self.rows.beyond_noise and self.beyond_seed_spread

    def verdict(self) -> str:
        return direction_verdict(self.diff, self.beyond_noise)

    def text(self, unit: str = "", scale: float = 1.0, spec: str = ".1f") -> str:
        """``"A ± sd vs B ± sd (S seeds; better by d; rows <test>, n …; seeds t …,
        df …)"``."""
        seeds = max(len(self.a), len(self.b))
        t_seeds = (self.diff / self.se_seeds if self.se_seeds and self.se_seeds > 0
                   else math.nan)
        seed_part = ("seed spread unknown (one seed)" if math.isnan(self.se_seeds) else
                     "no spread between seeds" if self.se_seeds == 0 else
                     f"seeds t {t_seeds:.1f}, df {self.df_seeds:.1f}")
        return (f"{format_mean_sd(self.a, scale, spec)}{unit} vs "
                f"{format_mean_sd(self.b, scale, spec)}{unit} ({seeds} seed"
                f"{'s' if seeds != 1 else ''}; better by {self.diff * scale:{spec}}{unit}; "
                f"rows {self.rows.test_text()}, n {self.rows.n}; {seed_part})")


def _seed_variance(means: list[float], fixed: bool) -> tuple[float, float]:
    """``(sd²/S, its Welch term sd⁴/(S²(S−1)))``; ``nan`` for a trained arm of one seed."""
    if fixed:
        return 0.0, 0.0
    if len(means) < 2:
        return math.nan, math.nan
    v = float(np.var(means, ddof=1)) / len(means)
    return v, v * v / (len(means) - 1)


def compare_seeds(a: PerSeed, b: PerSeed, higher_is_better: bool = True,
                  fixed_a: bool = False, fixed_b: bool = False) -> SeededComparison:
    """Compare two arms given as ``{seed: {row id: value}}`` over their common rows.

    Rows common to every seed of both arms are used, so each seed's mean covers the same
    rows. A fixed arm may give one seed (its one evaluation).
    """
    sets = [set(rows) for rows in (*a.values(), *b.values())]
    ids = sorted(set.intersection(*sets)) if sets else []
    sign = 1.0 if higher_is_better else -1.0
    if not ids:
        empty = Comparison(math.nan, math.nan, math.nan, 0)
        return SeededComparison([], [], fixed_a, fixed_b, math.nan, empty, math.nan, math.nan)
    mean_a, mean_b = seed_means(a, ids), seed_means(b, ids)
    avg_a = {i: float(np.mean([float(rows[i]) for rows in a.values()])) for i in ids}
    avg_b = {i: float(np.mean([float(rows[i]) for rows in b.values()])) for i in ids}
    rows = compare_paired(avg_a, avg_b, higher_is_better)
    diff = sign * (float(np.mean(mean_a)) - float(np.mean(mean_b)))
    (va, wa), (vb, wb) = _seed_variance(mean_a, fixed_a), _seed_variance(mean_b, fixed_b)
    se = math.sqrt(va + vb) if not math.isnan(va + vb) else math.nan
    welch = wa + wb
    df = (va + vb) ** 2 / welch if welch > 0 else math.inf
    return SeededComparison(mean_a, mean_b, fixed_a, fixed_b, diff, rows, se, df)
