"""Figures: written as PNG, non-blank, readable choices (diverging colours centred on 0)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from matplotlib.image import imread

from headprint.report import (plot_change, plot_dynamics, plot_heatmap, plot_r2_bars,
                              plot_similarity)


def pixels(path) -> np.ndarray:
    img = imread(str(path))
    assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100
    return img[..., :3]


def test_heatmap_and_change(tmp_path):
    pattern = torch.rand(12, 6, generator=torch.Generator().manual_seed(0))
    img = pixels(plot_heatmap(pattern, "Pattern", tmp_path / "h.png"))
    assert img.std() > 0.05
    plot_heatmap(torch.ones(3, 3), "Constant", tmp_path / "c.png")  # no zero-range crash
    with pytest.raises(ValueError, match=r"\[L, H\]"):
        plot_heatmap(torch.rand(2, 3, 4), "bad", tmp_path / "bad.png")


def test_change_colours_are_centred_on_zero(tmp_path):
    delta = torch.zeros(10, 10)
    delta[0, 0], delta[9, 9] = 1.0, -0.2  # only increases would paint zero white too
    img = pixels(plot_change(delta, "Δ", tmp_path / "d.png"))
    centre = np.array([0.968, 0.968, 0.968])  # RdBu_r at 0.5, just off the white page
    near_centre = np.all(np.abs(img - centre) < 0.02, axis=-1).mean()
    assert near_centre > 0.15  # the 98 unchanged heads


def test_similarity_r2_and_dynamics(tmp_path):
    corr = np.array([[1.0, 0.5, -0.2], [0.5, 1.0, 0.1], [-0.2, 0.1, 1.0]])
    assert pixels(plot_similarity(corr, ["a", "b", "c"], tmp_path / "s.png")).std() > 0.05
    assert pixels(plot_similarity(np.abs(corr), ["a", "b", "c"], tmp_path / "m.png",
                                  kind="mse")).std() > 0.05
    with pytest.raises(ValueError, match="one name per row"):
        plot_similarity(corr, ["a", "b"], tmp_path / "x.png")
    r2 = {"gsm8k + code": 0.97, "arc + code": 0.4, "broken": float("nan")}
    assert pixels(plot_r2_bars(r2, tmp_path / "r.png", null_q95={"gsm8k + code": 0.1}))\
        .std() > 0.05
    series = {"gsm8k": {"steps": [0, 5, 10], "corr": [1, 0.9, 0.85], "mse": [0, 0.1, 0.2]}}
    assert pixels(plot_dynamics(series, tmp_path / "dyn.png")).std() > 0.05
