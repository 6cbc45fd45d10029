"""Pearson, MSE, similarity matrices, change and change rate."""
from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats
import torch

from headprint.analysis import (change, change_rate, cluster_order, mse, pearson,
                                similarity_matrix, top_changes)


@pytest.fixture
def pair():
    rng = np.random.default_rng(3)
    a = rng.random((10, 4))
    return a, 0.5 * a + 0.2 * rng.random((10, 4))


def test_pearson_and_mse_match_scipy(pair):
    a, b = pair
    assert pearson(a, b) == pytest.approx(scipy.stats.pearsonr(a.ravel(), b.ravel())[0],
                                          abs=1e-12)
    assert mse(a, b) == pytest.approx(np.mean((a - b) ** 2), abs=1e-15)
    assert pearson(torch.from_numpy(a).float(), torch.from_numpy(b).float()) == \
        pytest.approx(pearson(a, b), abs=1e-6)


def test_pearson_constant_is_nan_and_shapes_must_match(pair):
    a, _ = pair
    assert math.isnan(pearson(a, np.ones_like(a)))
    with pytest.raises(ValueError, match="shape mismatch"):
        pearson(a, np.ones((4, 10)))
    with pytest.raises(ValueError, match="non-finite"):
        mse(a, np.full_like(a, np.nan))


def test_similarity_matrix_matches_corrcoef_and_clusters():
    rng = np.random.default_rng(1)
    math_like, text_like = rng.random((8, 4)), rng.random((8, 4))
    patterns = {
        "gsm8k": math_like + 0.05 * rng.random((8, 4)),
        "hellaswag": text_like + 0.05 * rng.random((8, 4)),
        "math": math_like + 0.05 * rng.random((8, 4)),
        "arc": text_like + 0.05 * rng.random((8, 4)),
    }
    sim = similarity_matrix(patterns)
    flat = np.stack([p.ravel() for p in patterns.values()])
    np.testing.assert_allclose(sim.corr, np.corrcoef(flat), atol=1e-12)
    assert sim.mse[0, 2] == pytest.approx(np.mean((flat[0] - flat[2]) ** 2))
    ordered = sim.ordered().names
    # the two planted clusters end up adjacent in clustering order
    assert {frozenset(ordered[:2]), frozenset(ordered[2:])} == {
        frozenset({"gsm8k", "math"}), frozenset({"hellaswag", "arc"})}


def test_similarity_matrix_needs_two_patterns():
    with pytest.raises(ValueError, match="at least two patterns, got 1"):
        similarity_matrix({"only": np.ones((2, 2))})
    with pytest.raises(ValueError, match="shape mismatch"):
        similarity_matrix([np.ones((2, 2)), np.ones((3, 2))])


def test_constant_pattern_in_matrix_is_noted():
    sim = similarity_matrix([np.ones((3, 3)), np.arange(9.0).reshape(3, 3),
                             np.arange(9.0)[::-1].reshape(3, 3)])
    assert math.isnan(sim.corr[0, 1]) and sim.notes
    assert sorted(cluster_order(sim.corr)) == [0, 1, 2]


def test_change_and_guarded_rate():
    before = torch.tensor([[1.0, 2.0], [0.0, 4.0]])
    after = torch.tensor([[2.0, 1.0], [1.0, 4.0]])
    assert torch.equal(change(before, after), after - before)
    rate = change_rate(before, after)
    assert rate[0, 0] == pytest.approx(1.0) and rate[0, 1] == pytest.approx(-0.5)
    floor = 0.01 * before.mean().item()
    assert rate[1, 0] == pytest.approx(1.0 / floor)  # zero before: floored, finite
    assert torch.isfinite(rate).all()
    heads = top_changes(before, after, k=2)
    assert [(h["layer"], h["head"]) for h in heads] == [(0, 0), (0, 1)]
    assert heads[0]["delta"] == 1.0 and heads[1]["delta"] == -1.0
