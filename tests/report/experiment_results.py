"""Hand-made ``results.json`` dictionaries of the six experiments, with numbers a test can
find in the rendered pages (each distinctive: 0.4321 prints as 0.4321, 0.2345 as 23.4 %)."""
from __future__ import annotations

from typing import Any

import numpy as np

from headprint.analysis.tables import jsonable
from headprint.experiments import fig4, fig5, table1, table2, table3, transfer
from headprint.experiments.findings import Finding
from headprint.experiments.paper import TABLE1, TABLE2, TABLE3
from headprint.experiments.record import ExperimentResult
from headprint.experiments.scales import SCALES

MODEL = "tiny<script>alert(1)</script>"
TASKS = ["gsm8k", "<script>x</script>", "arc"]


def _run(name: str) -> dict[str, Any]:
    return {"command": f"headprint reproduce {name} --model tiny --scale tiny --out /r",
            "model": MODEL, "model_fingerprint": "sha256:" + "ab" * 32,
            "scale": SCALES["tiny"].as_dict(), "seconds": 91.0,
            "steps": {"ran": ["sft/a"], "reused": ["sft/b", "eval/c"]},
            "steps_cost": {"seconds": 600.0, "cpu_seconds": 1200.0}, "steps_root": "/r/steps",
            "created": "2026-01-01T00:00:00+00:00"}


def _null(mean: float) -> dict[str, Any]:
    return {"kind": "shuffled_heads", "observed_r2": 0.9, "n": 500, "null_mean": mean,
            "null_std": 0.1, "null_q95": mean + 0.2, "null_max": mean + 0.3, "p_value": 0.002,
            "seed": 0, "exhaustive": False}


def table1_result() -> tuple[dict[str, Any], Any]:
    stats = {"gini": 0.4321, "cv": 1.2345, "kurtosis": 7.654, "notes": {}}
    after = {"gini": 0.3111, "cv": 0.9876, "kurtosis": 4.321, "notes": {}}
    corr = np.eye(3) * 0.5 + 0.5
    numbers = table1.Table1Numbers(
        {t: {"before": stats, "after": after} for t in TASKS},
        {"before": {k: stats[k] for k in ("gini", "cv", "kurtosis")},
         "after": {k: after[k] for k in ("gini", "cv", "kurtosis")}},
        {w: {"names": TASKS, "corr": corr, "order": TASKS[::-1]}
         for w in ("before", "after", "change-rate")},
        TASKS, TABLE1, {t: "math" for t in TASKS},
        {"before": 0.6661, "after": 0.7112, "change-rate": 0.1083},
        patterns={"before": np.random.default_rng(0).random((4, 3)),
                  "after": np.random.default_rng(1).random((4, 3))})
    findings = [Finding("T1.concentrated", "reproduced", "gini 0.432 <b>"),
                Finding("F2.specific", "not reproduced", "0.666 before, 0.711 after")]
    return _data("table1", table1.TITLE, numbers, findings), numbers


def fig4_result() -> tuple[dict[str, Any], Any]:
    best = {"basis": ["gsm8k", "arc"], "r2": 0.8765, "coefficients": {"gsm8k": 1.49,
                                                                       "arc": 0.464},
            "intercept": None, "shuffled_heads": _null(-0.1666),
            "random_tasks": {"kind": "random_tasks", "skipped": "too few tasks"}, "ci": None}
    compose = {"full": {**best, "basis": TASKS[:2], "r2": 0.5432,
                        "r2_by_fit": {"least_squares": 0.5432, "nonnegative": 0.5111}},
               "best": [best], "notes": [],
               "subsets": [{k: best[k] for k in ("basis", "r2", "coefficients", "intercept")}]}
    numbers = fig4.Fig4Numbers(compose, "gsm8k-py", TASKS)
    return _data("fig4", fig4.TITLE, numbers, [Finding("F4.fit", "inconclusive", "R² 0.877")]), \
        numbers


def fig5_result() -> tuple[dict[str, Any], Any]:
    series = {t: {"steps": [0, 4, 16], "corr": [1.0, 0.9, 0.8], "mse": [0, 0.1, 0.2],
                  "rel_mse": [0, 0.2, 0.3], "notes": []} for t in TASKS}
    numbers = fig5.Fig5Numbers(series, {t: (0.0512, 0.1601) for t in TASKS}, [1, 2, 4],
                               {t: {"step": 16, "one_minus_r": 0.5481, "rel_mse": 0.7031}
                                for t in TASKS})
    return _data("fig5", fig5.TITLE, numbers, [Finding("F5.fast", "reproduced", "0.05")]), \
        numbers


def table2_result() -> tuple[dict[str, Any], Any]:
    summary = {a: {"accuracy": (0.2346, 0.0123), "loss": (0.8765, 0.0111), "n_seeds": 2}
               for a in table2.ARMS}
    summary["Base"] = {"accuracy": (0.1111, float("nan")), "loss": (1.2345, float("nan")),
                       "n_seeds": 1}
    mixture = {"kept": {"gsm8k": 0.613, "arc": 0.2}, "coefficients": {"gsm8k": 0.613,
                                                                      "arc": 0.2},
               "r2": 0.4, "r2_by_fit": {"least_squares": 0.4567, "nonnegative": 0.4111},
               "nonnegative": True,
               "counts": {"Random": {"gsm8k": 3}, "Uniform": {"gsm8k": 4, "arc": 4},
                          "Ours": {"gsm8k": 7, "arc": 1}}}
    numbers = table2.Table2Numbers(
        {"Base": {"accuracy": 0.1111, "n": 37}, **{a: {"0": {"accuracy": 0.2}}
                                                   for a in table2.ARMS[1:]}},
        summary, {"0": mixture, "1": mixture}, [0, 1], TABLE2, "gsm8k-py")
    return _data("table2", table2.TITLE, numbers,
                 [Finding("T2.beats_sft", "inconclusive", "Ours vs SFT")]), numbers


def table3_result() -> tuple[dict[str, Any], Any]:
    arms = ["Base", "T25", "E25", "R25", "P"]
    summary = {a: {"accuracy": (0.3456, 0.0211), "n_seeds": 2, "gold_prob": (0.2789, 0.01)}
               for a in arms}
    numbers = table3.Table3Numbers(
        arms, [0, 1], summary, {"biology": {"accuracy": 0.3, "n": 41}},
        {"biology": {"0": {}, "1": {}}}, TABLE3, [25],
        {"biology": {a: (0.3333, 0.0444) for a in arms}},
        {"with_gold": True, "rows": [{"pair": "T25 vs R25", "accuracy": "34.6 vs 30.1",
                                      "verdict": "inconclusive", "gold": "27.9 vs 26.0",
                                      "gold_verdict": "reproduced"}]},
        {by: {"seconds": 12.3456, "pattern_r": {"25": (0.4242, 0.01)}}
         for by in ("pattern", "embedding", "random")})
    return _data("table3", table3.TITLE, numbers,
                 [Finding("T3.beats_random", "inconclusive", "T25 vs R25")]), numbers


def transfer_result() -> tuple[dict[str, Any], Any]:
    matrix = np.array([[-0.5, 0.1234, 0.0], [0.2, -0.4, 0.0], [0.0, 0.0, -0.3]])
    test = {"r": 0.6543, "p": 0.0417, "n_permutations": 6, "exact": True, "method": "pearson"}
    numbers = transfer.TransferNumbers(
        TASKS, matrix, {t: 1.0 for t in TASKS}, {t: {u: 1.0 for u in TASKS} for t in TASKS},
        {"before": np.eye(3), "change-rate": np.eye(3)},
        {w: {"pearson": test, "spearman": test} for w in ("before", "change-rate")},
        transfer.FIGURE, -0.4, 0.0539)
    return _data("transfer", transfer.TITLE, numbers,
                 [Finding("X.transfer_patterns", "reproduced", "r 0.654")]), numbers


def _data(name: str, title: str, numbers: Any, findings: list[Finding]) -> dict[str, Any]:
    return jsonable(ExperimentResult(name, title, numbers, findings, _run(name)).to_dict())


#: experiment -> (builder, strings its page must show, formatted as the page prints them)
EXPERIMENTS = {
    "table1": (table1_result, ["0.4321", "7.654", "0.7112", "0.1083", "Llama3-8B (paper)"]),
    "fig4": (fig4_result, ["0.8765", "gsm8k 1.49, arc 0.464", "0.543", "-0.167 (0.0334)"]),
    "fig5": (fig5_result, ["0.5481", "0.7031", "0.0512", "0.1601"]),
    "table2": (table2_result, ["23.5 ± 1.2", "0.8765 ± 0.0111", "11.1", "0.4567", "37"]),
    "table3": (table3_result, ["34.6 ± 2.1", "33.3 ± 4.4", "27.89 ± 1.00", "12.35",
                               "0.424 ± 0.010", "T25 vs R25"]),
    "transfer": (transfer_result, ["+0.123", "0.6543", "0.0417", "+0.054", "-0.400"]),
}
