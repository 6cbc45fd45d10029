"""Null distributions for composition R²: does R² = 0.97 mean anything?

Two baselines, each a distribution of R² under a null hypothesis, fitted with the same
variant (intercept, non-negativity) as the observed fit:

- **shuffled heads**: one random permutation of the head positions is applied to all basis
  changes at once (equivalently, to the target). This keeps the basis tasks' relation to
  each other and their value distributions but breaks which head is which, so R² measures
  only what an arbitrary alignment of heads would explain.
- **random tasks**: the subset's basis tasks are replaced by equally many other tasks from a
  pool (default: the remaining basis tasks). High R² for random tasks says the target is
  explained by "any task", not by the chosen ones.

Seeds are explicit and stored in the result; when the pool allows few distinct draws, all
are enumerated (``exhaustive = True``) and no randomness is involved.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Mapping, Sequence

import numpy as np

from headprint.analysis.arrays import as_pattern
from headprint.analysis.composition import design_matrix, fit_composition, solve

__all__ = ["PermutationBaseline", "shuffled_heads_baseline", "random_tasks_baseline"]


@dataclass
class PermutationBaseline:
    """R² of the observed fit next to its null distribution.

    Attributes:
        kind: ``"shuffled_heads"`` or ``"random_tasks"``.
        observed_r2: R² of the fit being judged.
        null_r2: ``[n]`` R² values under the null.
        seed: seed of the random draws (``None`` when exhaustive).
        exhaustive: every possible draw was fitted once.
        details: what was drawn (for random tasks: the pool and the first 50 draws).
    """

    kind: str
    observed_r2: float
    null_r2: np.ndarray
    seed: int | None
    exhaustive: bool = False
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return int(self.null_r2.size)

    @property
    def p_value(self) -> float:
        """``(1 + #{null ≥ observed}) / (1 + n)``: never 0, as a finite sample can't say so."""
        valid = self.null_r2[~np.isnan(self.null_r2)]
        if math.isnan(self.observed_r2) or valid.size == 0:
            return float("nan")
        return float((1 + np.sum(valid >= self.observed_r2)) / (1 + valid.size))

    def summary(self) -> dict[str, Any]:
        """JSON-ready dict: mean, std, 95th percentile, max of the null and the p-value."""
        valid = self.null_r2[~np.isnan(self.null_r2)]
        stat = (lambda f: float(f(valid)) if valid.size else float("nan"))
        return {"kind": self.kind, "observed_r2": self.observed_r2, "n": self.n,
                "null_mean": stat(np.mean), "null_std": stat(np.std),
                "null_q95": stat(lambda v: np.quantile(v, 0.95)), "null_max": stat(np.max),
                "p_value": self.p_value, "seed": self.seed, "exhaustive": self.exhaustive,
                **self.details}


def shuffled_heads_baseline(target: Any, basis: Any, n_permutations: int = 200,
                            seed: int = 0, intercept: bool = False,
                            nonnegative: bool = False) -> PermutationBaseline:
    """R² after permuting the head positions of the basis changes (see module docstring).

    Args:
        target: target change ``[L, H]``.
        basis: the fit's basis, as accepted by :func:`fit_composition`.
        n_permutations: number of random permutations.
        seed: seed of ``numpy.random.default_rng``.
    """
    if n_permutations < 1:
        raise ValueError(f"n_permutations must be >= 1, got {n_permutations}")
    observed = fit_composition(target, basis, intercept=intercept, nonnegative=nonnegative)
    y = as_pattern(target, "target change").ravel()
    _, x, _ = design_matrix(basis)
    rng = np.random.default_rng(seed)
    null = np.array([solve(y, x[rng.permutation(x.shape[0])], intercept, nonnegative)[3]
                     for _ in range(n_permutations)])
    return PermutationBaseline("shuffled_heads", observed.r2, null, seed)


def random_tasks_baseline(target: Any, basis: Mapping[str, Any], subset: Sequence[str],
                          pool: Mapping[str, Any] | None = None, n_draws: int = 200,
                          seed: int = 0, intercept: bool = False,
                          nonnegative: bool = False) -> PermutationBaseline:
    """R² when the tasks of ``subset`` are replaced by random other tasks.

    Args:
        target: target change ``[L, H]``.
        basis: name -> basis change ``[L, H]``; must contain every name in ``subset``.
        subset: the basis tasks of the fit being judged.
        pool: name -> change of candidate replacement tasks (default: the tasks of
            ``basis`` that are not in ``subset``).
        n_draws: number of random replacement subsets; when the pool has at most this many
            distinct subsets of ``len(subset)`` tasks, each is fitted once instead.

    Raises:
        ValueError: a subset name is not in ``basis``, or the pool has fewer tasks than
            ``subset``.
    """
    missing = [n for n in subset if n not in basis]
    if missing:
        raise ValueError(f"subset tasks {missing} are not in the basis {list(basis)}")
    if pool is None:
        pool = {n: v for n, v in basis.items() if n not in subset}
    k, names = len(subset), list(pool)
    if len(names) < k:
        raise ValueError(f"random-task baseline needs at least {k} other tasks, the pool "
                         f"has {len(names)} ({', '.join(names) or 'none'})")
    observed = fit_composition(target, {n: basis[n] for n in subset}, intercept=intercept,
                               nonnegative=nonnegative)
    y = as_pattern(target, "target change")
    if y.size <= k + int(intercept):
        raise ValueError(f"{y.size} L·H entries are too few for {k} regressors")
    _, x_pool, shape = design_matrix(pool)
    if shape != y.shape:
        raise ValueError(f"pool changes have shape {shape}, target change has {y.shape}")
    total = math.comb(len(names), k)
    exhaustive = total <= n_draws
    rng = np.random.default_rng(seed)
    draws = (list(combinations(range(len(names)), k)) if exhaustive else
             [tuple(sorted(rng.choice(len(names), size=k, replace=False)))
              for _ in range(n_draws)])
    null = np.array([solve(y.ravel(), x_pool[:, list(d)], intercept, nonnegative)[3]
                     for d in draws])
    return PermutationBaseline(
        "random_tasks", observed.r2, null, None if exhaustive else seed, exhaustive,
        {"pool": names, "draws": [[names[i] for i in d] for d in draws][:50]})
