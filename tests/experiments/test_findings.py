"""Verdict rules, paired comparisons, the 'fast change' measure and the scale table."""
from __future__ import annotations

import math
from dataclasses import replace

import pytest

from headprint.experiments.fig5 import half_change_step
from headprint.experiments.findings import VERDICTS, Finding, combine, compare_paired
from headprint.experiments.paper import CLAIMS, TABLE1, TABLE2, TABLE3
from headprint.experiments.scales import SCALES, get_scale


def test_paired_comparison_and_verdicts():
    ids = [f"q{i}" for i in range(100)]
    better = {i: 1.0 if n < 60 else 0.0 for n, i in enumerate(ids)}
    worse = {i: 1.0 if n < 30 else 0.0 for n, i in enumerate(ids)}
    c = compare_paired(better, worse)
    assert (c.a, c.b, c.n) == (0.6, 0.3, 100)
    assert c.diff == pytest.approx(0.3) and c.significant and c.verdict() == "reproduced"
    assert compare_paired(worse, better).verdict() == "not reproduced"
    slight = {i: v for i, v in worse.items()}
    slight["q50"] = 1.0
    assert compare_paired(slight, worse).verdict() == "inconclusive"  # within noise
    assert compare_paired(worse, slight).verdict() == "inconclusive"  # either sign
    same = compare_paired(worse, worse)
    assert same.diff == 0 and same.verdict() == "inconclusive"
    assert compare_paired({}, worse).n == 0


def test_losses_count_lower_as_better():
    low = {"a": 1.0, "b": 1.1, "c": 0.9}
    high = {"a": 1.5, "b": 1.4, "c": 1.6}
    c = compare_paired(low, high, higher_is_better=False)
    assert c.diff == pytest.approx(0.5) and c.verdict() == "reproduced"
    assert "better by" in c.text(spec=".3g")


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
    assert set(SCALES) == {"tiny", "small", "paper"}
    assert get_scale("small").t2_target_train == 100  # the paper's 100 target rows
    assert get_scale("paper").t3_sizes == (100, 300, 500)
    with pytest.raises(ValueError, match="unknown scale"):
        get_scale("huge")
    with pytest.raises(ValueError, match="exceed the pool"):
        replace(SCALES["tiny"], t3_pool=4)
    with pytest.raises(ValueError, match="at least two basic tasks"):
        replace(SCALES["tiny"], basic_tasks=("gsm8k",))
    assert SCALES["small"].steps_per_run(64) == 16


def test_few_rows_need_a_larger_z():
    a = {"a": 1.0, "b": 1.1, "c": 0.9, "d": 1.0}
    b = {"a": 1.5, "b": 1.2, "c": 1.6, "d": 1.05}
    c = compare_paired(a, b, higher_is_better=False)
    assert 1.96 < c.z < 3.18 and c.verdict() == "inconclusive"  # t with 3 df
