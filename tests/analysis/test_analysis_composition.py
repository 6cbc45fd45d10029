"""Composition fits, subset search and their permutation baselines on planted data."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from headprint.analysis import (fit_composition, random_tasks_baseline, search_subsets,
                                shuffled_heads_baseline)


@pytest.fixture
def basis() -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return {name: torch.randn(16, 8, generator=g, dtype=torch.float64)
            for name in ("gsm8k", "code", "hellaswag", "arc", "winogrande", "math")}


def r2_by_hand(y: np.ndarray, pred: np.ndarray) -> float:
    return 1 - np.sum((y - pred) ** 2) / np.sum((y - y.mean()) ** 2)


def test_recovers_planted_coefficients(basis):
    target = 0.7 * basis["gsm8k"] + 0.4 * basis["code"]
    fit = fit_composition(target, {k: basis[k] for k in ("gsm8k", "code")})
    assert fit.coefficients == pytest.approx({"gsm8k": 0.7, "code": 0.4}, abs=1e-10)
    assert fit.r2 == pytest.approx(1.0, abs=1e-12)
    assert fit.intercept == 0.0 and fit.residuals.shape == (16, 8)
    assert float(fit.residuals.abs().max()) < 1e-10


def test_intercept_variant_recovers_offset(basis):
    target = 0.3 + 1.5 * basis["arc"] - 0.2 * basis["math"]
    fit = fit_composition(target, torch.stack([basis["arc"], basis["math"]]),
                          intercept=True, names=["arc", "math"])
    assert fit.intercept == pytest.approx(0.3, abs=1e-10)
    assert fit.coefficients["math"] == pytest.approx(-0.2, abs=1e-10)
    assert fit.r2 == pytest.approx(1.0)


def test_noisy_fit_matches_normal_equations(basis):
    rng = np.random.default_rng(5)
    names = ["gsm8k", "code", "arc"]
    target = basis["gsm8k"] + torch.from_numpy(rng.normal(size=(16, 8)))
    fit = fit_composition(target, {k: basis[k] for k in names})
    x = np.stack([basis[k].numpy().ravel() for k in names], axis=1)
    y = target.numpy().ravel()
    beta = np.linalg.solve(x.T @ x, x.T @ y)
    assert [fit.coefficients[k] for k in names] == pytest.approx(beta.tolist(), abs=1e-10)
    assert fit.r2 == pytest.approx(r2_by_hand(y, x @ beta), abs=1e-12)


def test_nonnegative_variant(basis):
    planted = 0.5 * basis["gsm8k"] + 0.25 * basis["code"]
    fit = fit_composition(planted, basis, nonnegative=True)
    assert fit.coefficients["gsm8k"] == pytest.approx(0.5, abs=1e-8)
    assert fit.coefficients["code"] == pytest.approx(0.25, abs=1e-8)
    assert fit.r2 == pytest.approx(1.0, abs=1e-10)
    negative = fit_composition(basis["gsm8k"] - basis["arc"], basis, nonnegative=True,
                               intercept=True)
    assert min(negative.coefficients.values()) >= 0.0
    assert negative.coefficients["arc"] == 0.0 and negative.r2 < 1.0


def test_search_subsets_finds_planted_pair(basis):
    target = 0.6 * basis["code"] + 0.9 * basis["gsm8k"]
    fits = search_subsets(target, basis)
    assert len(fits) == 15  # every pair of six tasks
    assert set(fits[0].names) == {"code", "gsm8k"} and fits[0].r2 == pytest.approx(1.0)
    assert all(a.r2 >= b.r2 for a, b in zip(fits, fits[1:]))
    assert len(search_subsets(target, basis, k=[1, 3])) == 6 + 20


def test_search_subsets_cap_is_seeded(basis):
    target = basis["code"]
    first = search_subsets(target, basis, k=3, max_subsets=5, seed=11)
    again = search_subsets(target, basis, k=3, max_subsets=5, seed=11)
    assert len(first) == 5
    assert [f.names for f in first] == [f.names for f in again]
    with pytest.raises(ValueError, match="between 1 and the number of basis tasks"):
        search_subsets(target, basis, k=7)


def test_permutation_baselines_sit_near_zero(basis):
    target = 0.7 * basis["gsm8k"] + 0.4 * basis["code"]
    subset = {k: basis[k] for k in ("gsm8k", "code")}
    shuffled = shuffled_heads_baseline(target, subset, n_permutations=300, seed=3)
    s = shuffled.summary()
    assert s["observed_r2"] == pytest.approx(1.0)
    assert abs(s["null_mean"]) < 0.05 and s["null_q95"] < 0.15
    assert s["p_value"] == pytest.approx(1 / 301) and s["seed"] == 3
    again = shuffled_heads_baseline(target, subset, n_permutations=300, seed=3)
    np.testing.assert_array_equal(shuffled.null_r2, again.null_r2)
    others = random_tasks_baseline(target, basis, ["gsm8k", "code"])
    assert others.exhaustive and others.n == 6 and others.seed is None  # C(4, 2) draws
    assert np.all(others.null_r2 < 0.2)


def test_random_tasks_baseline_needs_enough_tasks(basis):
    small = {k: basis[k] for k in ("gsm8k", "code", "arc")}
    with pytest.raises(ValueError, match="needs at least 2 other tasks"):
        random_tasks_baseline(basis["gsm8k"], small, ["gsm8k", "code"])


def test_bad_inputs(basis):
    tiny = {f"t{i}": torch.randn(1, 2) for i in range(3)}
    with pytest.raises(ValueError, match="more L·H entries than regressors: 2 entries for 3"):
        fit_composition(torch.randn(1, 2), tiny)
    with pytest.raises(ValueError, match="2 entries for 2 regressors"):
        fit_composition(torch.randn(1, 2), {"a": torch.randn(1, 2)}, intercept=True)
    with pytest.raises(ValueError, match="non-finite"):
        fit_composition(torch.full((16, 8), math.inf), basis)
    with pytest.raises(ValueError, match="different models"):
        fit_composition(torch.randn(4, 4), basis)
    with pytest.raises(ValueError, match="at least one basis task"):
        fit_composition(basis["code"], {})


def test_constant_target_and_collinear_basis_are_noted(basis):
    flat = fit_composition(torch.zeros(16, 8), {"code": basis["code"]})
    assert math.isnan(flat.r2) and "constant" in flat.notes[0]
    twin = fit_composition(basis["code"], {"a": basis["code"], "b": 2 * basis["code"]})
    assert twin.rank == 1 and "collinear" in twin.notes[0]


def test_fit_both_reports_least_squares_and_nonnegative(basis):
    """NNLS with the planted negative coefficient clamped: the single-regressor fit of a,
    computed by hand (β_a = a·y / a·a); its R² is below the plain fit's."""
    from headprint.analysis import fit_both

    a, b = basis["arc"], basis["math"]
    target = 1.0 * a - 0.5 * b
    fits = fit_both(target, {"arc": a, "math": b})
    ls, nn = fits["least_squares"], fits["nonnegative"]
    assert ls.coefficients == pytest.approx({"arc": 1.0, "math": -0.5}, abs=1e-10)
    assert ls.r2 == pytest.approx(1.0) and not ls.nonnegative and nn.nonnegative
    x, y = a.numpy().ravel(), target.numpy().ravel()
    beta_a = float(x @ y / (x @ x))
    assert nn.coefficients["math"] == 0.0
    assert nn.coefficients["arc"] == pytest.approx(beta_a, abs=1e-10)
    assert nn.r2 == pytest.approx(r2_by_hand(y, beta_a * x), abs=1e-10)
    assert nn.r2 < ls.r2
