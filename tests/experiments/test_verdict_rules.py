"""The experiments' verdict rules on hand-made numbers: Figure 4's fit against both nulls,
Table 2's comparisons over seeds (accuracy, or held-out loss when accuracy is 0 throughout)
and its kept-task rule. No model, no files."""
from __future__ import annotations

from headprint.experiments.fig4 import _beats, _fit_finding
from headprint.experiments.scales import SCALES
from headprint.experiments.table2 import _compare, _kept_verdict

ROWS = [f"q{i}" for i in range(30)]


def null(p, exhaustive=False, n=500, observed=0.5, null_max=0.3):
    return {"p_value": p, "null_q95": 0.2, "null_mean": 0.1, "exhaustive": exhaustive,
            "n": n, "observed_r2": observed, "null_max": null_max}


def test_fig4_fit_needs_a_high_r2_beyond_both_nulls():
    best = {"basis": ["gsm8k", "pycode"], "r2": 0.9, "shuffled_heads": null(0.002),
            "random_tasks": null(0.01)}
    assert _fit_finding(best).verdict == "reproduced"
    assert "random-tasks null" in _fit_finding(best).evidence
    best["random_tasks"] = null(0.4)  # chance pairs of other tasks fit as well
    assert _fit_finding(best).verdict == "inconclusive"
    best.update(r2=0.5, random_tasks=null(0.01))  # beyond chance, but far from 0.97
    assert _fit_finding(best).verdict == "inconclusive"
    best.update(shuffled_heads=null(0.3), random_tasks=null(0.4))
    assert _fit_finding(best).verdict == "not reproduced"
    best.update(r2=0.9, shuffled_heads=null(0.001),
                random_tasks={"kind": "random_tasks", "skipped": "too few tasks"})
    assert _fit_finding(best).verdict == "reproduced"  # the null that exists is beaten


def test_small_exhaustive_null_is_beaten_by_ranking_first():
    # 6 random pairs cannot give p < 0.05 (the least p is 1/7): rank 1 of 7 counts
    assert _beats(null(1 / 7, exhaustive=True, n=6, observed=0.5, null_max=0.4))
    assert not _beats(null(2 / 7, exhaustive=True, n=6, observed=0.5, null_max=0.6))
    assert _beats(null(0.01)) and not _beats(null(0.2))
    assert _beats({"skipped": "no pool"}) is None


def arm(acc, loss):
    """One seed's evaluation: ``acc`` rows correct of 30, each row's loss ``loss`` ± 0.01."""
    return {"correct": {i: k < acc for k, i in enumerate(ROWS)},
            "loss_per_row": {i: loss + 0.01 * ((k % 3) - 1) for k, i in enumerate(ROWS)}}


def runs(**arms_by_seed):
    seeds = range(len(next(iter(arms_by_seed.values()))))
    return {s: {"arms": {a: v[s] for a, v in arms_by_seed.items()}} for s in seeds}


def test_table2_decides_on_accuracy_over_seeds():
    r = runs(Ours=[arm(20, 1.0), arm(21, 1.0), arm(19, 1.0)],
             SFT=[arm(5, 1.0), arm(6, 1.0), arm(4, 1.0)])
    assert _compare("T2.beats_sft", r, {}, "Ours", "SFT").verdict == "reproduced"
    assert _compare("T2.beats_sft", r, {}, "SFT", "Ours").verdict == "not reproduced"
    overlap = runs(Ours=[arm(12, 1.0), arm(6, 1.0), arm(9, 1.0)],
                   SFT=[arm(8, 1.0), arm(10, 1.0), arm(6, 1.0)])
    assert _compare("T2.beats_sft", overlap, {}, "Ours", "SFT").verdict == "inconclusive"


def test_table2_falls_back_to_loss_only_when_accuracy_is_zero_throughout():
    r = runs(Ours=[arm(0, 0.80), arm(0, 0.81), arm(0, 0.79)],
             Random=[arm(0, 0.90), arm(0, 0.91), arm(0, 0.92)])
    found = _compare("T2.beats_random", r, {}, "Ours", "Random")
    assert found.verdict == "reproduced" and "verdict is on held-out loss" in found.evidence
    base = {"correct": arm(0, 1.5)["correct"], "loss_per_row": arm(0, 1.5)["loss_per_row"]}
    sft = runs(SFT=[arm(0, 0.9), arm(0, 0.95), arm(0, 0.92)])
    assert _compare("T2.sft_helps", sft, base, "SFT", "Base").verdict == "reproduced"


def test_table2_kept_rule_and_seeds_of_each_scale():
    assert _kept_verdict({"math": 1.0, "pycode": 0.5}) == "reproduced"
    assert _kept_verdict({"math": 1.0, "gsm8k": 0.5}) == "inconclusive"
    assert _kept_verdict({"hellaswag": 1.0, "winogrande": 0.5}) == "not reproduced"
    assert all(len(SCALES[n].seeds) >= 3 for n in ("small", "reduced", "paper"))
