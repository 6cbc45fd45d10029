"""Bootstrap intervals over samples: contain the estimate, reproducible by seed."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from headprint.analysis import (bootstrap, bootstrap_ci, bootstrap_distribution, bootstrap_r2,
                                bootstrap_similarity, distribution_stats, gini, pearson)

from .analysis_synthetic import noisy_stack


@pytest.fixture
def stack() -> torch.Tensor:
    mean = torch.from_numpy(np.random.default_rng(2).lognormal(0, 1, size=(12, 6))).float()
    return noisy_stack(mean, 80, seed=4)


def test_distribution_intervals_contain_estimate(stack):
    cis = bootstrap_distribution(stack, n_boot=400, seed=1)
    point = distribution_stats(stack.mean(0))
    for key in ("gini", "cv", "kurtosis"):
        ci = cis[key]
        assert ci.estimate == pytest.approx(getattr(point, key), rel=1e-6)
        assert ci.low <= ci.estimate <= ci.high and ci.low < ci.high
        assert ci.n_valid == 400 and ci.n_samples == [80] and ci.warning is None


def test_seeded_reproducible(stack):
    a = bootstrap_ci(stack, gini, n_boot=200, seed=5)
    b = bootstrap_ci(stack, gini, n_boot=200, seed=5)
    c = bootstrap_ci(stack, gini, n_boot=200, seed=6)
    assert (a.low, a.high) == (b.low, b.high) and a.seed == 5
    assert (a.low, a.high) != (c.low, c.high)


def test_similarity_and_r2_intervals(stack):
    after = stack * 1.1 + 0.05
    cis = bootstrap_similarity(stack, after, paired=True, n_boot=300)
    assert cis["corr"].estimate == pytest.approx(pearson(stack.mean(0), after.mean(0)))
    assert cis["corr"].low <= cis["corr"].estimate <= cis["corr"].high <= 1.0
    g = torch.Generator().manual_seed(0)
    shape = stack.shape[1:]
    planted = {n: torch.randn(shape, generator=g) for n in ("a", "b")}

    def after_of(delta: torch.Tensor) -> torch.Tensor:  # a per-head change plus sample noise
        return stack + delta + 0.1 * torch.randn(stack.shape, generator=g)

    basis = {n: (stack, after_of(d)) for n, d in planted.items()}
    misfit = 0.3 * torch.randn(shape, generator=g)  # a part no basis task explains
    target = (stack, after_of(0.5 * planted["a"] + 0.5 * planted["b"] + misfit))
    ci = bootstrap_r2(target, basis, paired={"target": True, "a": True, "b": True},
                      n_boot=300)
    assert 0.6 < ci.estimate < 0.95
    assert ci.low <= ci.estimate <= ci.high and ci.warning is None


def test_r2_of_exact_composition_is_flagged_and_basic_interval_covers_truth(stack):
    """With an exact composition, noise can only lower R²: the estimate sits above every
    replicate. That is flagged, and the basic interval covers the true R² of 1."""
    g = torch.Generator().manual_seed(1)
    planted = {n: torch.randn(stack.shape[1:], generator=g) for n in ("a", "b")}

    def after_of(delta: torch.Tensor) -> torch.Tensor:
        return stack + delta + 1.0 * torch.randn(stack.shape, generator=g)

    basis = {n: (stack, after_of(d)) for n, d in planted.items()}
    target = (stack, after_of(0.5 * planted["a"] + 0.5 * planted["b"]))
    kwargs = dict(paired={"target": True, "a": True, "b": True}, n_boot=300)
    pct = bootstrap_r2(target, basis, method="percentile", **kwargs)
    basic = bootstrap_r2(target, basis, **kwargs)  # the default
    assert pct.bias < 0 and pct.warning and pct.high < pct.estimate
    assert basic.method == "basic" and basic.low <= 1.0 <= basic.high
    assert basic.high == 1.0  # clipped to the range of R²


def test_noise_dominated_statistic_is_flagged():
    flat = torch.from_numpy(np.random.default_rng(0).random((40, 10, 6))).float()
    ci = bootstrap_distribution(flat, n_boot=300)["gini"]  # the true pattern is uniform
    assert ci.bias > 0 and ci.warning and "sampling noise" in ci.warning


def test_paired_stacks_need_equal_sizes(stack):
    with pytest.raises(ValueError, match="same number of samples"):
        bootstrap([stack, stack[:10]], lambda m: {"x": 0.0}, groups=["g", "g"])
    with pytest.raises(ValueError, match=r"\[N, L, H\]"):
        bootstrap_ci(stack.mean(0), gini)
