"""Golden tests of Gini, CV and kurtosis against independent computations."""
from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats
import torch

from headprint.analysis import coefficient_of_variation, distribution_stats, gini, kurtosis


def gini_pairwise(x: np.ndarray) -> float:
    """Appendix C Eq. 7 written out: Σ_i Σ_j |x_i − x_j| / (2 n² μ)."""
    v = x.ravel().astype(np.float64)
    n = v.size
    return float(np.abs(v[:, None] - v[None, :]).sum() / (2 * n * n * v.mean()))


@pytest.fixture
def pattern() -> np.ndarray:
    rng = np.random.default_rng(7)
    return rng.lognormal(0.0, 1.2, size=(12, 6))  # heavy-tailed, like real head scores


def test_gini_matches_pairwise_formula(pattern):
    assert gini(pattern) == pytest.approx(gini_pairwise(pattern), abs=1e-12)
    assert gini(torch.from_numpy(pattern)) == pytest.approx(gini_pairwise(pattern), abs=1e-12)


def test_gini_edge_cases():
    assert gini(np.full((4, 5), 3.0)) == 0.0
    one = np.zeros((4, 5))
    one[2, 3] = 7.0
    assert gini(one) == pytest.approx(1 - 1 / 20, abs=1e-12)
    zeros = distribution_stats(np.zeros((3, 3)))
    assert math.isnan(zeros.gini) and "all entries are 0" in zeros.notes["gini"]
    negative = distribution_stats(np.array([[1.0, -1.0, 2.0]]))
    assert math.isnan(negative.gini) and "negative" in negative.notes["gini"]


def test_cv_matches_numpy(pattern):
    assert coefficient_of_variation(pattern) == pytest.approx(pattern.std() / pattern.mean())
    assert coefficient_of_variation(torch.full((30, 9), 0.1)) == 0.0
    assert math.isnan(coefficient_of_variation(np.zeros((2, 2))))


def test_kurtosis_matches_scipy_pearson(pattern):
    expected = scipy.stats.kurtosis(pattern.ravel(), fisher=False, bias=True)
    assert kurtosis(pattern) == pytest.approx(expected, rel=1e-12)
    normal = np.random.default_rng(0).normal(size=200_000)
    assert kurtosis(normal) == pytest.approx(3.0, abs=0.05)  # Pearson: normal = 3, not 0


def test_constant_pattern_has_undefined_kurtosis_with_reason():
    stats = distribution_stats(torch.full((30, 9), 0.1))  # float32 0.1: not exact in binary
    assert stats.cv == 0.0
    assert stats.gini == 0.0
    assert math.isnan(stats.kurtosis)
    assert "variance 0" in stats.notes["kurtosis"]
    assert set(stats.notes) == {"kurtosis"}


def test_distribution_stats_fields(pattern):
    stats = distribution_stats(pattern)
    assert stats.n_entries == pattern.size and stats.notes == {}
    assert stats.as_dict()["gini"] == pytest.approx(gini_pairwise(pattern))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_entries_are_rejected(bad):
    x = np.ones((3, 3))
    x[1, 1] = bad
    for fn in (gini, coefficient_of_variation, kurtosis, distribution_stats):
        with pytest.raises(ValueError, match="non-finite"):
            fn(x)
