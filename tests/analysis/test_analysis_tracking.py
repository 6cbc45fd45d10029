"""Series metrics against step 0."""
from __future__ import annotations

import math

import numpy as np
import pytest

from headprint.analysis import mse, pearson, series_metrics


def test_series_against_step_zero_sorted_by_step():
    rng = np.random.default_rng(0)
    base = rng.random((6, 4))
    later = [base + 0.1 * rng.random((6, 4)), base + rng.random((6, 4))]
    s = series_metrics([later[1], base, later[0]], steps=[20, 0, 5])
    assert s.steps == [0, 5, 20]
    assert s.corr[0] == 1.0 and s.mse[0] == 0.0
    assert s.corr[1] == pytest.approx(pearson(base, later[0]))
    assert s.mse[2] == pytest.approx(mse(base, later[1]))
    assert s.rel_mse[2] == pytest.approx(s.mse[2] / np.mean(base ** 2))


def test_series_errors():
    p = np.ones((2, 2)) + np.eye(2)
    with pytest.raises(ValueError, match="step-0"):
        series_metrics([p, p], steps=[1, 2])
    with pytest.raises(ValueError, match="duplicate"):
        series_metrics([p, p], steps=[0, 0])
    with pytest.raises(ValueError, match="shape mismatch"):
        series_metrics([p, np.ones((3, 2))])
    s = series_metrics([p, np.ones((2, 2))])
    assert math.isnan(s.corr[1]) and s.notes
