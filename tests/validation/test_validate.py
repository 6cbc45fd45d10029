"""``validate`` end to end: a planted head, the command line, and bad input."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from headprint.patterns.artifact import PatternSet
from headprint.patterns.compute import score_samples
from headprint.validation import (KOutOfRangeError, ModelMismatchError, NoTargetTokensError,
                                  RowOverlapError, validate)
from tests.tiny_models import random_samples
from tests.validation.helpers import greedy_labelled, planted_model


@pytest.mark.parametrize("seed", [0, 1])
def test_planted_head_is_ranked_first_and_hurts_most(seed):
    model, layout = planted_model(seed=seed, layer=0, head=2)
    planted = 0 * layout.num_heads + 2
    scores = score_samples(model, greedy_labelled(model, random_samples(8, seed=100 + seed)),
                           0, progress=False)
    pattern = PatternSet(scores.mean(0), {"sample_ids": [f"p{i}" for i in range(8)]})
    rows = greedy_labelled(model, random_samples(8, seed=200 + seed))
    result = validate(model, None, pattern, rows, single_head=True, progress=False)
    assert int(pattern.mean.flatten().argmax()) == planted
    actual = np.asarray(result.single_head["actual"])
    assert int(actual.argmax()) == planted
    assert actual.ravel()[planted] > 5 * np.delete(actual.ravel(), planted).max()
    assert result.single_head["top_heads"][0]["score_rank"] == 1
    # the top-first curve jumps at k = 1, random orders on average do not
    assert result.curves["top"][1] - result.curves["top"][0] > \
        3 * abs(result.curves["random_mean"][1] - result.curves["random_mean"][0])
    assert result.summary["area_top_vs_random"] > 0.1
    assert result.summary["k50_top"] == 1
    assert result.tests[1]["p_ttest"] < 0.05
    # every head alone: first-order estimate and actual change agree in rank here
    assert result.single_head["vs_estimate"]["spearman"] > 0.4


def test_result_shape_and_curve_conventions():
    model, layout = planted_model(seed=0)
    rows = random_samples(5, seed=3)
    pattern = PatternSet(torch.rand(layout.num_layers, layout.num_heads), {"sample_ids": []})
    r = validate(model, None, pattern, rows, seeds=3, ablation="mean", progress=False)
    n = layout.num_layers * layout.num_heads
    assert r.ks == [0, 1, 2, 4, 8, n]
    for key in ("top", "bottom", "random_mean", "random_sd"):
        assert len(r.curves[key]) == len(r.ks)
    assert r.curves["top"][0] == r.curves["bottom"][0] == r.curves["random_mean"][0]
    assert r.curves["top"][-1] == pytest.approx(r.curves["random_mean"][-1])
    assert r.curves["random_sd"][0] == 0
    assert r.row_losses["random"].shape == (3, len(r.ks), 5)
    d = r.to_dict()
    json.dumps(d)
    assert d["ablation"] == "mean" and len(d["sample_ids"]) == 5


def test_k_larger_than_heads_is_refused():
    model, layout = planted_model()
    pattern = PatternSet(torch.rand(layout.num_layers, layout.num_heads), {})
    with pytest.raises(KOutOfRangeError, match=r"k=13 .*L×H = 12"):
        validate(model, None, pattern, random_samples(2), ks=[1, 13], progress=False)


def test_rows_without_target_tokens_are_refused():
    model, layout = planted_model()
    pattern = PatternSet(torch.rand(layout.num_layers, layout.num_heads), {})
    rows = random_samples(3)
    for s in rows:
        s.labels = [-100] * len(s.labels)
    with pytest.raises(NoTargetTokensError, match="none of the 3 validation rows has a response"):
        validate(model, None, pattern, rows, progress=False)
