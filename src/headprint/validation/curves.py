"""Ablation curves and their statistics: pure functions over tensors (no model, no files).

A *curve* is the mean response loss over rows against ``k``, the number of heads ablated,
for one order of the ``L·H`` heads: highest pattern score first (``top``), lowest first
(``bottom``), or a random order (one per seed).
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import torch

from headprint.validation.errors import KOutOfRangeError

__all__ = ["default_ks", "check_ks", "head_orders", "order_masks", "curve_summary",
           "paired_tests", "correlations"]


def default_ks(n_heads: int) -> list[int]:
    """``0, 1, 2, 4, 8, …`` (powers of two below ``n_heads``), then ``n_heads`` itself."""
    ks, k = [0], 1
    while k < n_heads:
        ks.append(k)
        k *= 2
    return ks + [n_heads]


def check_ks(ks: Sequence[int], n_heads: int) -> list[int]:
    """Sorted, distinct ``ks`` with 0 and ``n_heads`` added.

    Raises:
        KOutOfRangeError: a k below 0 or above ``n_heads`` (= L×H).
    """
    bad = [int(k) for k in ks if int(k) < 0 or int(k) > n_heads]
    if bad:
        raise KOutOfRangeError(f"k={bad[0]} is out of range: this model has L×H = {n_heads} "
                               f"heads, so k must be between 0 and {n_heads}")
    return sorted({0, n_heads, *(int(k) for k in ks)})


def head_orders(scores: torch.Tensor, seeds: int, seed: int = 0) -> dict[str, list[list[int]]]:
    """Orders of the flattened heads (index ``l·H + h``).

    Returns:
        ``{"top": [order], "bottom": [order], "random": [order per seed]}``; ties in the
        score keep the lower index first in both ``top`` and ``bottom``.
    """
    flat = scores.detach().double().flatten().numpy()
    n = flat.size
    top = sorted(range(n), key=lambda i: (-flat[i], i))
    bottom = sorted(range(n), key=lambda i: (flat[i], i))
    rng = [np.random.default_rng([seed, s]) for s in range(seeds)]
    return {"top": [top], "bottom": [bottom],
            "random": [[int(i) for i in r.permutation(n)] for r in rng]}


def order_masks(order: Sequence[int], ks: Sequence[int], shape: tuple[int, int]
                ) -> torch.Tensor:
    """bool ``[len(ks), L, H]``: the first ``k`` heads of ``order`` ablated."""
    out = torch.zeros(len(ks), shape[0] * shape[1], dtype=torch.bool)
    for i, k in enumerate(ks):
        out[i, list(order[:k])] = True
    return out.view(len(ks), *shape)


def curve_summary(ks: Sequence[int], top: Sequence[float], random_mean: Sequence[float],
                  bottom: Sequence[float]) -> dict[str, Any]:
    """Numbers that compare the top-first curve with the random one.

    - ``area_top_vs_random``: ``∫ (y_top − y_random) dx`` by the trapezoid rule, where
      ``x = k / (L·H)`` runs over [0, 1] and ``y = (loss − loss_0) / (loss_all − loss_0)``
      (0 with no head ablated, 1 with every head ablated). It lies in [−1, 1]; positive means
      the highest-scoring heads hurt more than random heads, and it is comparable across
      models. ``area_bottom_vs_random`` likewise (negative is the expected sign).
    - ``area_top_vs_random_per_interval``: the same difference averaged with equal weight
      per interval between consecutive ks (on the doubling grid this weighs small k, where
      the scores' ranking matters most, as much as large k).
    - ``k50_top`` / ``k50_random``: smallest k in ``ks`` at which the curve has risen by 50 %
      of ``loss_all − loss_0`` (None if it never does).
    """
    ks_a = np.asarray(ks, dtype=float)
    t, r, b = (np.asarray(v, dtype=float) for v in (top, random_mean, bottom))
    loss0, loss_all = float(t[0]), float(t[-1])
    rise = loss_all - loss0
    out: dict[str, Any] = {"loss_0": loss0, "loss_all": loss_all, "rise_all": rise}
    if not math.isfinite(rise) or abs(rise) < 1e-12:
        out.update(area_top_vs_random=None, area_bottom_vs_random=None,
                   area_top_vs_random_per_interval=None, k50_top=None, k50_random=None)
        return out
    x = ks_a / ks_a[-1]

    def norm(v: np.ndarray) -> np.ndarray:
        return (v - loss0) / rise

    def area(a: np.ndarray, c: np.ndarray) -> float:
        d = norm(a) - norm(c)
        return float(np.sum((d[1:] + d[:-1]) / 2 * np.diff(x)))

    def k50(v: np.ndarray) -> int | None:
        hit = np.nonzero(norm(v) >= 0.5)[0]
        return int(ks_a[hit[0]]) if len(hit) else None

    d = norm(t) - norm(r)
    out.update(area_top_vs_random=area(t, r), area_bottom_vs_random=area(b, r),
               area_top_vs_random_per_interval=float(np.mean((d[1:] + d[:-1]) / 2)),
               k50_top=k50(t), k50_random=k50(r), k50_bottom=k50(b))
    return out


def paired_tests(ks: Sequence[int], top: np.ndarray, random: np.ndarray) -> list[dict]:
    """At each k, top-first against random over rows (paired).

    Args:
        top: ``[K, N]`` per-row losses of the top-first order.
        random: ``[S, K, N]`` per-row losses of each random order; their mean over seeds is
            each row's random reference.

    Returns:
        One dict per k: ``k``, ``mean_diff`` (top − random, mean over rows), ``t``,
        ``p_ttest`` (``scipy.stats.ttest_rel``, two-sided), ``p_wilcoxon`` (``None`` where
        every difference is zero, as at k = 0 and k = L·H).
    """
    from scipy.stats import ttest_rel, wilcoxon

    ref = random.mean(axis=0)
    rows = []
    for i, k in enumerate(ks):
        diff = top[i] - ref[i]
        entry: dict[str, Any] = {"k": int(k), "mean_diff": float(diff.mean()), "t": None,
                                 "p_ttest": None, "p_wilcoxon": None}
        if len(diff) > 1 and np.ptp(diff) > 0:
            test = ttest_rel(top[i], ref[i])
            entry.update(t=float(test.statistic), p_ttest=float(test.pvalue))
        if np.any(diff != 0):
            try:
                entry["p_wilcoxon"] = float(wilcoxon(diff).pvalue)
            except ValueError:
                pass
        rows.append(entry)
    return rows


def correlations(actual: np.ndarray, predictor: np.ndarray) -> dict[str, float | None]:
    """Spearman and Pearson correlation (with p-values) over heads."""
    from scipy.stats import pearsonr, spearmanr

    a, p = np.asarray(actual, float).ravel(), np.asarray(predictor, float).ravel()
    ok = np.isfinite(a) & np.isfinite(p)
    a, p = a[ok], p[ok]
    if len(a) < 3 or np.ptp(a) == 0 or np.ptp(p) == 0:
        return {"spearman": None, "spearman_p": None, "pearson": None, "pearson_p": None}
    s, pe = spearmanr(a, p), pearsonr(a, p)
    return {"spearman": float(s.statistic), "spearman_p": float(s.pvalue),
            "pearson": float(pe.statistic), "pearson_p": float(pe.pvalue)}
