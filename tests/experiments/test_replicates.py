"""Verdicts over seeds, on hand-made numbers: overlapping seed spreads are inconclusive,
clear separation decides; noise over test rows still counts; golden values from scipy."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import ttest_ind

from headprint.experiments.replicates import compare_seeds, format_mean_sd, mean_sd

ROWS = [f"q{i}" for i in range(40)]
# zero-sum row offsets, the same for every arm: paired row differences are then constant,
# so the noise over rows is nil and only the spread between seeds can stop a verdict
OFFSETS = np.linspace(-0.1, 0.1, len(ROWS))


def arm(seed_means: list[float]) -> dict[int, dict[str, float]]:
    return {s: {i: m + o for i, o in zip(ROWS, OFFSETS)} for s, m in enumerate(seed_means)}


def test_overlapping_seed_spreads_are_inconclusive():
    # A 0.55 ± 0.10, B 0.50 ± 0.05: by hand se = sqrt(0.01/3 + 0.0025/3) = 0.0645,
    # t = 0.05 / 0.0645 = 0.77, far below t(0.975, ~3) ≈ 3
    c = compare_seeds(arm([0.55, 0.65, 0.45]), arm([0.45, 0.55, 0.50]))
    assert c.diff == pytest.approx(0.05)
    assert c.se_seeds == pytest.approx(math.sqrt(0.01 / 3 + 0.0025 / 3))
    assert c.rows.beyond_noise and not c.beyond_seed_spread
    assert c.verdict() == "inconclusive"
    # the same numbers the other way round: still inconclusive, never "not reproduced"
    assert compare_seeds(arm([0.45, 0.55, 0.50]), arm([0.55, 0.65, 0.45])).verdict() == \
        "inconclusive"


def test_clear_separation_decides_both_ways():
    good, bad = arm([0.80, 0.82, 0.81]), arm([0.20, 0.21, 0.19])
    c = compare_seeds(good, bad)
    ref = ttest_ind([0.80, 0.82, 0.81], [0.20, 0.21, 0.19], equal_var=False)
    assert c.diff / c.se_seeds == pytest.approx(ref.statistic)
    assert c.df_seeds == pytest.approx(ref.df)
    assert c.verdict() == "reproduced"
    assert compare_seeds(bad, good).verdict() == "not reproduced"
    assert "0.81 ± 0.01" in c.text(spec=".2f") and "3 seeds" in c.text()


def test_losses_lower_is_better():
    low, high = arm([1.00, 1.01, 0.99]), arm([1.50, 1.52, 1.49])
    c = compare_seeds(low, high, higher_is_better=False)
    assert c.diff == pytest.approx(0.5033333, abs=1e-6) and c.verdict() == "reproduced"


def test_noise_over_rows_stops_a_verdict_even_with_no_seed_spread():
    # every seed identical (sd 0), but accuracy 0/1 on 40 rows differs by one row
    a = {s: {i: float(k < 11) for k, i in enumerate(ROWS)} for s in range(3)}
    b = {s: {i: float(k < 10) for k, i in enumerate(ROWS)} for s in range(3)}
    c = compare_seeds(a, b)
    assert c.se_seeds == 0 and c.beyond_seed_spread
    assert not c.rows.beyond_noise and c.verdict() == "inconclusive"


def test_fixed_arm_adds_no_seed_variance_and_one_seed_is_not_enough():
    base = {0: {i: 0.30 + o for i, o in zip(ROWS, OFFSETS)}}
    trained = arm([0.50, 0.52, 0.48])
    c = compare_seeds(trained, base, fixed_b=True)
    # by hand: se = sd / sqrt(3) = 0.02 / sqrt(3); Welch df with one variance term = 3 − 1
    assert c.se_seeds == pytest.approx(0.02 / math.sqrt(3))
    assert c.df_seeds == pytest.approx(2.0) and c.verdict() == "reproduced"
    one = compare_seeds(arm([0.9]), base, fixed_b=True)  # a trained arm on one seed
    assert math.isnan(one.se_seeds) and one.verdict() == "inconclusive"
    assert "one seed" in one.text()


def test_only_rows_common_to_every_seed_count():
    a = arm([0.6, 0.6, 0.6])
    a[1].pop("q0")
    c = compare_seeds(a, arm([0.5, 0.5, 0.5]))
    assert c.rows.n == len(ROWS) - 1
    assert compare_seeds({}, {}).verdict() == "inconclusive"


def test_mean_sd_formatting():
    assert mean_sd([1.0, 2.0, 3.0]) == (2.0, 1.0)
    assert format_mean_sd([0.1, 0.2, 0.3], 100) == "20.0 ± 10.0"
    assert format_mean_sd([0.25], 100) == "25.0"
