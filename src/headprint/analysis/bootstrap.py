"""Bootstrap confidence intervals over samples, from per-sample patterns ``[N, L, H]``.

A pattern is a mean over ``N`` samples, so every statistic of it carries sampling noise.
Each bootstrap replicate draws ``N`` samples with replacement, averages their per-sample
patterns into a replicate pattern ``[L, H]`` and recomputes the statistic. Point estimates
use all samples.

Which interval. Noise in a mean pattern pushes most statistics of it one way: it raises
Gini, CV and MSE and lowers correlation and R². Resampling adds the same noise again, so
the replicates sit on the far side of the estimate, and the plain *percentile* interval
(quantiles of the replicates) can miss both the estimate and the true value. The default
is therefore the *basic* interval ``[2θ̂ − q_hi, 2θ̂ − q_lo]`` (Davison & Hinkley 1997,
§5.2), which reflects that bias back and targets the statistic of the true
(infinite-data) pattern; it is clipped to the statistic's range (e.g. R² ≤ 1).
``method="percentile"`` is available. Either way, when the estimate lies outside the
replicates' central interval, the result carries a ``warning``: the statistic's bias
exceeds its spread, and the point estimate alone should not be read at face value.

Several stacks (e.g. before and after fine-tuning) can be resampled together: stacks with
the same ``groups`` label share the drawn indices, which is right when they hold the same
samples in the same order (paired: the same questions scored by two models). Stacks in
different groups are resampled independently. Seeds are explicit and stored in results.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Callable, Hashable, Mapping, Sequence

import numpy as np

from headprint.analysis.arrays import as_stack
from headprint.analysis.composition import solve
from headprint.analysis.distribution import cv_with_reason, gini_with_reason, kurtosis_with_reason
from headprint.analysis.similarity import pearson_unchecked

__all__ = ["BootstrapCI", "bootstrap", "bootstrap_ci", "bootstrap_distribution",
           "bootstrap_similarity", "bootstrap_r2"]

Statistic = Callable[[list[np.ndarray]], Mapping[str, float]]
_CHUNK = 256  # replicates per matrix product: bounds memory at _CHUNK × N counts


@dataclass
class BootstrapCI:
    """Percentile bootstrap interval of one statistic.

    Attributes:
        estimate: the statistic on all samples.
        low, high: interval bounds (``nan`` if fewer than half the replicates are defined).
        confidence: e.g. 0.95.
        method: ``"basic"`` or ``"percentile"`` (see module docstring).
        n_boot: replicates drawn; ``n_valid``: replicates where the statistic was defined.
        seed: seed of ``numpy.random.default_rng``.
        n_samples: samples per resampled stack.
        bias: mean of the replicates minus the estimate, the bootstrap estimate of how far
            sampling noise pushes the statistic.
        std_error: standard deviation of the replicates.
        warning: set when the bias exceeds the spread (the estimate lies outside the
            replicates' central interval), so tables can flag the number.
    """

    estimate: float
    low: float
    high: float
    confidence: float
    n_boot: int
    n_valid: int
    seed: int
    n_samples: list[int]
    bias: float = float("nan")
    std_error: float = float("nan")
    warning: str | None = None
    method: str = "basic"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def bootstrap(stacks: Sequence[Any], statistic: Statistic, *,
              groups: Sequence[Hashable] | None = None, n_boot: int = 1000,
              confidence: float = 0.95, seed: int = 0, method: str = "basic",
              bounds: Mapping[str, tuple[float, float]] | None = None
              ) -> dict[str, BootstrapCI]:
    """Bootstrap every value of ``statistic`` over the samples of ``stacks``.

    Args:
        stacks: per-sample patterns, each ``[N_i, L, H]``.
        statistic: maps the list of mean patterns (float64 ``[L, H]``, one per stack) to a
            dict name -> float; ``nan`` marks an undefined value.
        groups: one label per stack; stacks sharing a label are resampled with the same
            indices and must have the same ``N`` (default: all independent).
        n_boot: number of replicates; confidence: interval coverage in (0, 1).
        method: ``"basic"`` (default) or ``"percentile"``.
        bounds: name -> (min, max) range of a statistic; interval ends are clipped to it.
    """
    if n_boot < 1 or not 0 < confidence < 1:
        raise ValueError(f"need n_boot >= 1 and 0 < confidence < 1, got {n_boot}, {confidence}")
    if method not in ("percentile", "basic"):
        raise ValueError(f"method must be 'percentile' or 'basic', got {method!r}")
    arrays = [as_stack(s, f"per_sample stack {i}") for i, s in enumerate(stacks)]
    groups = list(range(len(arrays))) if groups is None else list(groups)
    if len(groups) != len(arrays):
        raise ValueError(f"got {len(groups)} group labels for {len(arrays)} stacks")
    sizes: dict[Hashable, int] = {}
    for g, a in zip(groups, arrays):
        if sizes.setdefault(g, a.shape[0]) != a.shape[0]:
            raise ValueError(f"paired stacks (group {g!r}) must have the same number of "
                             f"samples, got {sizes[g]} and {a.shape[0]}")
    shape = arrays[0].shape[1:]
    flat = [a.reshape(a.shape[0], -1) for a in arrays]
    point = statistic([f.mean(axis=0).reshape(shape) for f in flat])
    rng = np.random.default_rng(seed)
    reps: dict[str, list[float]] = {key: [] for key in point}
    for start in range(0, n_boot, _CHUNK):
        size = min(_CHUNK, n_boot - start)
        # Drawing multinomial counts per group and multiplying is the same as averaging
        # resampled rows, without materialising [size, N, L·H].
        counts = {g: rng.multinomial(n, np.full(n, 1.0 / n), size=size) / n
                  for g, n in sizes.items()}
        means = [counts[g] @ f for g, f in zip(groups, flat)]
        for b in range(size):
            values = statistic([m[b].reshape(shape) for m in means])
            for key in reps:
                reps[key].append(float(values[key]))
    alpha = (1.0 - confidence) / 2.0
    out = {}
    for key, vals in reps.items():
        v = np.asarray(vals)
        v = v[~np.isnan(v)]
        est = float(point[key])
        low = high = bias = std_error = float("nan")
        warning = None
        if v.size >= n_boot / 2:
            q_lo, q_hi = (float(q) for q in np.quantile(v, [alpha, 1.0 - alpha]))
            low, high = (q_lo, q_hi) if method == "percentile" else (2 * est - q_hi,
                                                                     2 * est - q_lo)
            lo_bound, hi_bound = (bounds or {}).get(key, (-np.inf, np.inf))
            low, high = float(np.clip(low, lo_bound, hi_bound)), float(np.clip(high, lo_bound,
                                                                              hi_bound))
            bias, std_error = float(v.mean() - est), float(v.std())
            # Round-off (e.g. R² = 1 − 1e-15 against replicates at 1 − 3e-14) is not bias.
            tol = 1e-9 * max(1.0, abs(est))
            if low - tol <= est <= high + tol:
                low, high = min(low, est), max(high, est)
            if not q_lo - tol <= est <= q_hi + tol:  # same as est outside [low, high]
                warning = (f"estimate {est:.4g} lies outside its {confidence:.0%} interval "
                           f"[{low:.4g}, {high:.4g}] (bootstrap bias {bias:+.3g}): sampling "
                           "noise biases this statistic by more than its spread")
        out[key] = BootstrapCI(est, low, high, confidence, n_boot, int(v.size), seed,
                               [a.shape[0] for a in arrays], bias, std_error, warning, method)
    return out


def bootstrap_ci(per_sample: Any, statistic: Callable[[np.ndarray], float],
                 **kwargs: Any) -> BootstrapCI:
    """Interval of a scalar ``statistic(pattern [L, H])`` over one stack ``[N, L, H]``."""
    return bootstrap([per_sample], lambda m: {"value": statistic(m[0])}, **kwargs)["value"]


def bootstrap_distribution(per_sample: Any, **kwargs: Any) -> dict[str, BootstrapCI]:
    """Intervals of Gini, CV and kurtosis (keys ``gini``, ``cv``, ``kurtosis``)."""
    fns = {"gini": gini_with_reason, "cv": cv_with_reason, "kurtosis": kurtosis_with_reason}
    # Pearson kurtosis is >= 1 for any distribution (m4 >= m2² by Jensen).
    kwargs.setdefault("bounds", {"gini": (0.0, 1.0), "cv": (0.0, np.inf),
                                 "kurtosis": (1.0, np.inf)})
    return bootstrap([per_sample], lambda m: {k: f(m[0])[0] for k, f in fns.items()},
                     **kwargs)


def bootstrap_similarity(per_sample_a: Any, per_sample_b: Any, paired: bool = False,
                         **kwargs: Any) -> dict[str, BootstrapCI]:
    """Intervals of Pearson correlation (``corr``) and ``mse`` between two patterns.

    ``paired=True`` when both stacks hold the same samples in the same order.
    """
    def stat(m: list[np.ndarray]) -> dict[str, float]:
        return {"corr": pearson_unchecked(m[0], m[1]),
                "mse": float(np.mean((m[0] - m[1]) ** 2))}

    kwargs.setdefault("bounds", {"corr": (-1.0, 1.0), "mse": (0.0, np.inf)})
    return bootstrap([per_sample_a, per_sample_b], stat,
                     groups=["ab", "ab"] if paired else None, **kwargs)


def bootstrap_r2(target: tuple[Any, Any], basis: Mapping[str, tuple[Any, Any]],
                 intercept: bool = False, nonnegative: bool = False,
                 paired: Mapping[str, bool] | None = None, **kwargs: Any) -> BootstrapCI:
    """Interval of the composition R² of ``target`` on ``basis``.

    Args:
        target: (before ``[N, L, H]``, after ``[N', L, H]``) per-sample patterns.
        basis: name -> (before, after) per-sample patterns.
        paired: name (``"target"`` or a basis name) -> whether its before/after stacks hold
            the same samples (resampled together); default unpaired.
    """
    paired = dict(paired or {})
    names = ["target", *basis]
    pairs = [target, *basis.values()]
    stacks, groups = [], []
    for name, (before, after) in zip(names, pairs):
        stacks += [before, after]
        groups += [name, name] if paired.get(name) else [f"{name}/before", f"{name}/after"]

    def stat(m: list[np.ndarray]) -> dict[str, float]:
        deltas = [(m[2 * i + 1] - m[2 * i]).ravel() for i in range(len(names))]
        x = np.stack(deltas[1:], axis=1)
        return {"r2": solve(deltas[0], x, intercept, nonnegative)[3]}

    kwargs.setdefault("bounds", {"r2": (-np.inf, 1.0)})
    return bootstrap(stacks, stat, groups=groups, **kwargs)["r2"]
