"""PatternSimilaritySelector: planted rows first, deterministic ties, bad input."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from scipy.stats import pearsonr

from headprint.selection import (PatternSimilaritySelector, SelectionError, random_baseline,
                                 top_n)
from tests.selection.helpers import pattern_set, planted_pool


def test_planted_rows_rank_first_in_order():
    target, pool = planted_pool()
    selection = PatternSimilaritySelector().fit(target).select(pool, 5)
    assert selection.ids == ["p0", "p1", "p2", "p3", "p4"]
    assert selection.scores == sorted(selection.scores, reverse=True)
    assert len(selection.candidates) == 40 and selection.excluded == []


def test_scores_are_pearson_over_heads():
    target, pool = planted_pool(n_pool=12, n_planted=2)
    scores = PatternSimilaritySelector().fit(target).score(pool)
    for i, row in enumerate(pool.per_sample):
        expected = pearsonr(row.double().ravel().numpy(), target.mean.double().ravel().numpy())
        assert scores.scores[i] == pytest.approx(expected[0], abs=1e-12)
    assert scores.ids == pool.sample_ids  # pool order kept


def test_ties_break_by_pool_order_and_constant_rows_rank_last():
    base = torch.arange(6, dtype=torch.float32).reshape(3, 2)
    per_sample = torch.stack([base * 2, torch.ones(3, 2), base + 1, base * 3])
    pool = pattern_set(base, ids=["a", "flat", "b", "c"], per_sample=per_sample)
    scores = PatternSimilaritySelector().fit(pattern_set(base, ids=["t"])).score(pool)
    assert np.isnan(scores.scores[1])
    assert [scores.ids[i] for i in scores.order] == ["a", "b", "c", "flat"]
    # the constant row is never dropped: it is a candidate and can be selected last
    assert top_n(scores, 4).ids[-1] == "flat"


def test_overlap_warns_and_is_excluded_by_id():
    target, pool = planted_pool()
    overlap = pool.sample_ids[:3]
    target.manifest["sample_ids"] = ["t0", *overlap]
    with pytest.warns(UserWarning, match="3 of 40 pool rows are also in the target"):
        selection = PatternSimilaritySelector().fit(target).select(pool, 10)
    assert not set(overlap) & set(selection.ids)
    assert selection.excluded == overlap
    assert len(selection.candidates) == 37 and not set(overlap) & set(selection.candidates)


def test_no_warning_without_overlap():
    target, pool = planted_pool()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        PatternSimilaritySelector().fit(target).select(pool, 3)


def test_pool_without_per_sample_patterns():
    target, pool = planted_pool()
    pool.per_sample = None
    with pytest.raises(SelectionError, match="no per-sample patterns.*--per-sample"):
        PatternSimilaritySelector().fit(target).score(pool)


def test_n_larger_than_pool():
    target, pool = planted_pool(n_pool=10)
    selector = PatternSimilaritySelector().fit(target)
    with pytest.raises(SelectionError, match="n=11 .* only 10 candidate rows"):
        selector.select(pool, 11)
    with pytest.raises(SelectionError, match="at least 1"):
        selector.select(pool, 0)


def test_pool_from_another_model_names_both():
    target, pool = planted_pool()
    pool.manifest.update(model="other-model", model_fingerprint="sha256:bbbb")
    with pytest.raises(SelectionError, match="tiny .*sha256:aaaa.*other-model.*sha256:bbbb"):
        PatternSimilaritySelector().fit(target).score(pool)


def test_pool_of_another_shape():
    target, _ = planted_pool()
    pool = pattern_set(torch.rand(5, 3), per_sample=torch.rand(8, 5, 3), model="big",
                       fingerprint="sha256:cccc")
    with pytest.raises(SelectionError, match=r"\(4, 3\).*\(5, 3\)"):
        PatternSimilaritySelector().fit(target).score(pool)


def test_unfitted_and_constant_target():
    _, pool = planted_pool()
    with pytest.raises(SelectionError, match="fit"):
        PatternSimilaritySelector().score(pool)
    with pytest.raises(SelectionError, match="constant"):
        PatternSimilaritySelector().fit(pattern_set(torch.ones(4, 3)))


def test_random_baseline_seeded_nested_and_from_candidates():
    target, pool = planted_pool()
    target.manifest["sample_ids"] = pool.sample_ids[:4]
    with pytest.warns(UserWarning):
        selection = PatternSimilaritySelector().fit(target).select(pool, 5)
    small = random_baseline(selection.candidates, 5, seed=3)
    again = random_baseline(selection.candidates, 5, seed=3)
    large = random_baseline(selection.candidates, 20, seed=3)
    other = random_baseline(selection.candidates, 20, seed=4)
    assert small == again and large[:5] == small and other != large
    assert set(large) <= set(selection.candidates)
    assert not set(large) & set(selection.excluded)
    full = random_baseline(selection.candidates, len(selection.candidates), seed=0)
    assert sorted(full) == sorted(selection.candidates)
    with pytest.raises(SelectionError, match="cannot draw n=37"):
        random_baseline(selection.candidates, 37, seed=0)
