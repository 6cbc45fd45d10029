"""Is a complex task's change a combination of basic tasks' changes? (paper Eq. 3, Fig. 4)

Fits ``Δ_target ≈ b0 + Σ_k β_k Δ_k + ε`` by least squares over the ``L·H`` heads (each
head is one observation, each basic task one regressor) and reports
``R² = 1 − SSE / SST`` with ``SST = Σ (Δ_target − mean Δ_target)²`` (Appendix C Eq. 10).
Without an intercept (the paper's Eq. 3) R² can be negative: the fit is then worse than
the constant mean, and we report it as is rather than clipping.

Variants: ``intercept=True`` adds ``b0``; ``nonnegative=True`` constrains every ``β_k ≥ 0``
(``scipy.optimize.nnls``; the intercept stays free), which is what a data mixture built
from the coefficients (DESIGN §3) can use directly.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Mapping, Sequence

import numpy as np
import torch

from headprint.analysis.arrays import as_array, as_pattern

__all__ = ["CompositionFit", "fit_composition", "fit_both", "search_subsets",
           "count_subsets", "design_matrix", "solve"]


@dataclass
class CompositionFit:
    """Result of one least-squares fit of a target change on basis changes.

    Attributes:
        names: basis task names, in regressor order.
        coefficients: name -> ``β_k``.
        intercept: ``b0`` (0.0 when fitted without intercept).
        residuals: float64 ``[L, H]``, ``Δ_target − prediction``.
        r2: coefficient of determination (``nan`` when the target is constant).
        fit_intercept, nonnegative: the variant that was fitted.
        n_entries: number of observations (``L·H``).
        rank: rank of the design matrix; below the number of regressors means collinear
            basis changes, whose individual coefficients are then not identifiable.
        notes: remarks such as the reason R² is ``nan``.
    """

    names: list[str]
    coefficients: dict[str, float]
    intercept: float
    residuals: torch.Tensor
    r2: float
    fit_intercept: bool = False
    nonnegative: bool = False
    n_entries: int = 0
    rank: int = 0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """JSON-ready dict (no residual tensor)."""
        return {"basis": list(self.names), "coefficients": dict(self.coefficients),
                "intercept": self.intercept, "r2": self.r2,
                "fit_intercept": self.fit_intercept, "nonnegative": self.nonnegative,
                "n_entries": self.n_entries, "rank": self.rank, "notes": list(self.notes)}


def design_matrix(basis_deltas: Any, names: Sequence[str] | None = None
                  ) -> tuple[list[str], np.ndarray, tuple[int, ...]]:
    """Basis changes as ``(names, X [L·H, K] float64, pattern shape)``.

    ``basis_deltas`` is a ``[K, L, H]`` tensor, a sequence of ``[L, H]`` tensors, or a dict
    name -> ``[L, H]`` tensor.
    """
    if isinstance(basis_deltas, Mapping):
        names = list(basis_deltas.keys()) if names is None else list(names)
        basis_deltas = list(basis_deltas.values())
    if isinstance(basis_deltas, (list, tuple)):
        if not basis_deltas:
            raise ValueError("composition needs at least one basis task, got none")
        arrays = [as_array(b, f"basis change {i}") for i, b in enumerate(basis_deltas)]
    else:
        stacked = as_array(basis_deltas, "basis changes")
        arrays = [stacked[i] for i in range(stacked.shape[0])]
    names = [f"basis {i}" for i in range(len(arrays))] if names is None else list(names)
    if len(names) != len(arrays):
        raise ValueError(f"got {len(names)} names for {len(arrays)} basis changes")
    for name, arr in zip(names, arrays):
        if arr.shape != arrays[0].shape:
            raise ValueError(f"basis change {name!r} has shape {arr.shape}, but "
                             f"{names[0]!r} has {arrays[0].shape}")
    return [str(n) for n in names], np.stack([a.ravel() for a in arrays], axis=1), arrays[0].shape


def solve(y: np.ndarray, x: np.ndarray, intercept: bool, nonnegative: bool
          ) -> tuple[np.ndarray, float, np.ndarray, float, int]:
    """Core fit on validated arrays: ``y [n]``, ``x [n, K]`` -> (β, b0, residuals, R², rank).

    Shared by the permutation and bootstrap loops, which must not re-validate every call.
    """
    if intercept:  # centring absorbs the free intercept exactly, also under NNLS
        x_mean, y_mean = x.mean(axis=0), y.mean()
        xc, yc = x - x_mean, y - y_mean
    else:
        xc, yc = x, y
    if nonnegative:
        from scipy.optimize import nnls

        beta = nnls(xc, yc)[0]
    else:
        beta = np.linalg.lstsq(xc, yc, rcond=None)[0]
    b0 = float(y_mean - x_mean @ beta) if intercept else 0.0
    resid = y - x @ beta - b0
    sst = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - float(resid @ resid) / sst if sst > 0 else float("nan")
    return beta, b0, resid, r2, int(np.linalg.matrix_rank(xc))


def fit_composition(target_delta: Any, basis_deltas: Any, intercept: bool = False,
                    nonnegative: bool = False, names: Sequence[str] | None = None
                    ) -> CompositionFit:
    """Least-squares fit of ``target_delta [L, H]`` on ``basis_deltas`` (``K`` of ``[L, H]``).

    Raises:
        ValueError: shapes differ, non-finite entries, no basis, or no more ``L·H`` entries
            than regressors (``K`` plus one for the intercept): with as many parameters as
            observations every fit is exact and R² = 1 says nothing.
    """
    y_arr = as_pattern(target_delta, "target change")
    names, x, shape = design_matrix(basis_deltas, names)
    if shape != y_arr.shape:
        raise ValueError(f"target change has shape {y_arr.shape} but basis changes have "
                         f"{shape} (patterns of different models cannot be combined)")
    n, p = x.shape[0], x.shape[1] + int(intercept)
    if n <= p:
        raise ValueError(
            f"composition needs more L·H entries than regressors: {n} entries for {p} "
            f"regressors ({x.shape[1]} basis tasks{' + intercept' if intercept else ''})")
    beta, b0, resid, r2, rank = solve(y_arr.ravel(), x, intercept, nonnegative)
    notes = []
    if math.isnan(r2):
        notes.append("R² undefined: the target change is constant over heads")
    if rank < x.shape[1]:
        notes.append(f"basis changes are collinear (rank {rank} < {x.shape[1]}): "
                     "individual coefficients are not identifiable")
    return CompositionFit(
        names=names, coefficients={k: float(b) for k, b in zip(names, beta)},
        intercept=b0, residuals=torch.from_numpy(resid.reshape(y_arr.shape)), r2=r2,
        fit_intercept=intercept, nonnegative=nonnegative, n_entries=n, rank=rank, notes=notes)


def fit_both(target_delta: Any, basis_deltas: Any, intercept: bool = False,
             names: Sequence[str] | None = None) -> dict[str, CompositionFit]:
    """Plain least squares and the non-negative fit (scipy NNLS) of the same data:
    ``{"least_squares": fit, "nonnegative": fit}``. NNLS's R² is never above the plain fit's
    (it minimises the same SSE over a smaller set), so the gap says how much of the plain
    fit rests on negative coefficients. Raises as :func:`fit_composition`."""
    return {"least_squares": fit_composition(target_delta, basis_deltas, intercept, False,
                                             names),
            "nonnegative": fit_composition(target_delta, basis_deltas, intercept, True, names)}


def count_subsets(n_basis: int, k: int | Sequence[int]) -> int:
    """Number of subsets of sizes ``k`` out of ``n_basis`` basis tasks."""
    ks = [k] if isinstance(k, int) else list(k)
    return sum(math.comb(n_basis, int(size)) for size in ks)


def _subsets(n: int, k: int, cap: int | None, rng: np.random.Generator) -> list[tuple[int, ...]]:
    total = math.comb(n, k)
    if cap is None or total <= cap:
        return list(combinations(range(n), k))
    chosen: set[tuple[int, ...]] = set()
    while len(chosen) < cap:  # terminates: cap < total distinct subsets exist
        chosen.add(tuple(sorted(int(i) for i in rng.choice(n, size=k, replace=False))))
    return sorted(chosen)


def search_subsets(target: Any, basis: Mapping[str, Any], k: int | Sequence[int] = 2,
                   max_subsets: int | None = 1000, intercept: bool = False,
                   nonnegative: bool = False, seed: int = 0) -> list[CompositionFit]:
    """Fit the target change on every ``k``-subset of the basis; best R² first.

    Args:
        target: target change ``[L, H]``.
        basis: name -> basis change ``[L, H]``.
        k: subset size, or several sizes (default 2: every pair, as in the paper's Fig. 4).
        max_subsets: cap per size; when there are more subsets, a uniform random sample of
            this many is fitted, drawn with ``seed`` (``None``: no cap).
        intercept, nonnegative: fit variant, as in :func:`fit_composition`.

    Returns:
        One :class:`CompositionFit` per subset, sorted by R² (descending, ``nan`` last).
    """
    names = list(basis)
    ks = [k] if isinstance(k, int) else [int(s) for s in k]
    for size in ks:
        if not 1 <= size <= len(names):
            raise ValueError(f"subset size k={size} must be between 1 and the number of "
                             f"basis tasks ({len(names)})")
    if max_subsets is not None and max_subsets < 1:
        raise ValueError(f"max_subsets must be >= 1, got {max_subsets}")
    rng = np.random.default_rng(seed)
    fits = []
    for size in ks:
        for subset in _subsets(len(names), size, max_subsets, rng):
            chosen = [names[i] for i in subset]
            fits.append(fit_composition(target, {n: basis[n] for n in chosen},
                                        intercept=intercept, nonnegative=nonnegative))
    fits.sort(key=lambda f: -f.r2 if not math.isnan(f.r2) else math.inf)
    return fits
