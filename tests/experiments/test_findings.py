"""Verdict rules, paired comparisons, the 'fast change' measure and the scale table."""
from __future__ import annotations

import math
from dataclasses import replace

import pytest

from headprint.experiments.fig5 import half_change_step
from headprint.experiments.findings import VERDICTS, Finding, combine, compare_paired
from headprint.experiments.paper import CLAIMS, TABLE1, TABLE2, TABLE3
from headprint.experiments.scales import SCALES, get_scale


def test_paired_accuracy_uses_mcnemars_exact_test():
    ids = [f"q{i}" for i in range(100)]
    better = {i: 1.0 if n < 60 else 0.0 for n, i in enumerate(ids)}
    worse = {i: 1.0 if n < 30 else 0.0 for n, i in enumerate(ids)}
    c = compare_paired(better, worse)
    assert (c.a, c.b, c.n, c.test) == (0.6, 0.3, 100, "mcnemar")
    # 30 discordant rows, all for A: two-sided exact p = 2 · 0.5^30 (hand arithmetic)
    assert c.discordant == (30, 0) and c.p == pytest.approx(2 * 0.5 ** 30, rel=1e-12)
    assert c.diff == pytest.approx(0.3) and c.significant and c.verdict() == "reproduced"
    assert compare_paired(worse, better).verdict() == "not reproduced"
    assert compare_paired(worse, better).discordant == (0, 30)
    slight = {i: v for i, v in worse.items()}
    slight["q50"] = 1.0
    one = compare_paired(slight, worse)
    assert one.discordant == (1, 0) and one.p == 1.0 and one.verdict() == "inconclusive"
    assert compare_paired(worse, slight).verdict() == "inconclusive"  # either sign
    same = compare_paired(worse, worse)
    assert same.diff == 0 and same.p == 1.0 and same.verdict() == "inconclusive"
    assert compare_paired({}, worse).n == 0
    assert "McNemar 30 vs 0, p <0.001" in c.text()


def _arms(wins: int, losses: int, ties: int = 10) -> tuple[dict, dict]:
    """A right and B wrong on ``wins`` rows, the reverse on ``losses``, both right on ties."""
    a, b = {}, {}
    for n in range(wins + losses + ties):
        a[f"r{n}"] = 1.0 if n < wins or n >= wins + losses else 0.0
        b[f"r{n}"] = 0.0 if n < wins else 1.0
    return a, b


def test_mcnemar_threshold_on_few_discordant_rows():
    """8 vs 1: p = 2·(1 + 9)/2^9 = 0.0390625 < 0.05; 7 vs 1: p = 2·(1 + 8)/2^8 = 0.0703125."""
    c = compare_paired(*_arms(8, 1))
    assert c.discordant == (8, 1) and c.p == pytest.approx(20 / 512, rel=1e-12)
    assert c.verdict() == "reproduced"
    c = compare_paired(*_arms(7, 1))
    assert c.p == pytest.approx(18 / 256, rel=1e-12) and c.verdict() == "inconclusive"


def test_losses_use_the_paired_t_test():
    low = {"a": 1.0, "b": 1.1, "c": 0.9}
    high = {"a": 1.5, "b": 1.4, "c": 1.6}
    c = compare_paired(low, high, higher_is_better=False)
    assert c.test == "ttest_rel" and c.discordant is None
    # differences 0.5, 0.3, 0.7: mean 0.5, sd 0.2, t = 0.5 / (0.2 / √3); with 2 degrees of
    # freedom the two-sided p has the closed form 1 − t / √(t² + 2) (hand arithmetic)
    t = 0.5 / (0.2 / math.sqrt(3))
    assert c.statistic == pytest.approx(t, rel=1e-9)
    assert c.p == pytest.approx(1 - t / math.sqrt(t * t + 2), rel=1e-9)
    assert c.diff == pytest.approx(0.5) and c.verdict() == "reproduced"  # p = 0.0494
    assert "better by" in c.text(spec=".3g") and "paired t 4.3, p 0.049" in c.text()
    # equal non-zero differences have no spread: beyond noise, without scipy's warning
    flat = compare_paired({"a": 2.0, "b": 3.0}, {"a": 1.0, "b": 2.0})
    assert flat.p == 0.0 and flat.statistic == math.inf and flat.verdict() == "reproduced"
    assert math.isnan(compare_paired({"a": 0.5}, {"a": 0.2}).p)  # one row: no t-test


def test_combine_and_finding_validation():
    assert VERDICTS == ("reproduced", "not reproduced", "inconclusive")
    assert combine(["reproduced", "reproduced"]) == "reproduced"
    assert combine(["reproduced", "inconclusive"]) == "inconclusive"
    assert combine(["reproduced", "not reproduced"]) == "inconclusive"  # both ways
    assert combine(["not reproduced", "not reproduced"]) == "not reproduced"
    assert combine(["not reproduced", "inconclusive"]) == "inconclusive"
    assert combine([]) == "inconclusive"
    with pytest.raises(ValueError, match="unknown claim"):
        Finding("nope", "reproduced", "")
    with pytest.raises(ValueError, match="unknown verdict"):
        Finding("T1.flatter", "maybe", "")
    for old in ("partly", "direction only", "not testable"):
        with pytest.raises(ValueError, match="unknown verdict"):
            Finding("T1.flatter", old, "")


def test_half_change_step():
    assert half_change_step([0, 1, 2, 4, 8], [0, 0.6, 0.8, 0.9, 1.0]) == pytest.approx(
        0.5 / 0.6 / 8)
    assert half_change_step([0, 4, 8], [0, 0.25, 1.0]) == pytest.approx((4 + 4 / 3) / 8)
    assert math.isnan(half_change_step([0, 4], [0, 0]))


def test_paper_numbers_are_complete():
    assert TABLE1["Llama3-8B"]["before"] == (0.50, 1.19, 95.37)
    assert TABLE2["Llama2-7B"][3] == 40.70
    assert TABLE3["Llama-7B"]["T500"] == 39.09
    assert all(len(v) == 7 for v in TABLE3.values())
    assert all(where and text for where, text in CLAIMS.values())


def test_scales():
    assert set(SCALES) == {"tiny", "small", "reduced", "paper"}
    # reduced: a strict subset of small's work in every size it shares
    small, reduced = SCALES["small"], SCALES["reduced"]
    assert set(reduced.basic_tasks) < set(small.basic_tasks)
    assert set(reduced.t3_domains) < set(small.t3_domains)
    for name in ("n_train", "n_patterns", "t2_target_train", "t2_mixture", "t2_test",
                 "t3_pool", "t3_test"):
        assert getattr(reduced, name) < getattr(small, name), name
    assert get_scale("small").t2_target_train == 100  # the paper's 100 target rows
    assert get_scale("paper").t3_sizes == (100, 300, 500)
    with pytest.raises(ValueError, match="unknown scale"):
        get_scale("huge")
    with pytest.raises(ValueError, match="exceed the pool"):
        replace(SCALES["tiny"], t3_pool=4)
    with pytest.raises(ValueError, match="at least two basic tasks"):
        replace(SCALES["tiny"], basic_tasks=("gsm8k",))
    with pytest.raises(ValueError, match="scale tiny: t2_mixture must be at least 1, got 0"):
        replace(SCALES["tiny"], t2_mixture=0)
    assert SCALES["small"].steps_per_run(64) == 16


def test_few_rows_need_a_larger_t():
    from scipy.stats import ttest_rel

    a = {"a": 1.0, "b": 1.1, "c": 0.9, "d": 1.0}
    b = {"a": 1.5, "b": 1.2, "c": 1.6, "d": 1.05}
    c = compare_paired(a, b, higher_is_better=False)
    direct = ttest_rel([1.5, 1.2, 1.6, 1.05], [1.0, 1.1, 0.9, 1.0])  # B − A: lower is better
    assert c.statistic == pytest.approx(float(direct.statistic), rel=1e-12)
    assert c.p == pytest.approx(float(direct.pvalue), rel=1e-12)
    # beyond the normal's 1.96 but not t(0.975, 3) = 3.18: within noise on 4 rows
    assert 1.96 < c.statistic < 3.18 and c.verdict() == "inconclusive"
