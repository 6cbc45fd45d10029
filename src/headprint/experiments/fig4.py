"""Figure 4 (paper Section 4.2): the complex task's change is a combination of basic tasks'.

The complex task (GSM8K solved as a Python program, for the paper's SGSM) and the basic
tasks come from the shared task runs. :func:`headprint.analysis.api.run_compose` fits the
complex task's change ``Δ = after − before`` on every pair of basic tasks' changes (and on
all of them at once), and judges the best pairs against a shuffled-heads and a random-tasks
null, which the paper does not report but which say whether an R² is more than chance.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from headprint.analysis.tables import fmt
from headprint.experiments.context import Context
from headprint.experiments.findings import Finding
from headprint.experiments.record import ExperimentResult, Record, save_experiment
from headprint.experiments.shared import before_after, family_of, task_runs

__all__ = ["run", "NAME", "TITLE", "Fig4Numbers"]

NAME = "fig4"
TITLE = "Figure 4: a complex task's pattern change combines basic tasks' changes"


@dataclass
class Fig4Numbers(Record):
    """Figure 4 on this model: ``compose`` holds the composition fit of the complex
    task's change (``full``: all basic tasks; ``subsets``: every pair, best first;
    ``best``: the best pairs against both nulls; ``notes``), as ``compose/compose.json``."""

    compose: dict[str, Any]
    complex_task: str
    basic_tasks: list[str]


def _beats(null: dict[str, Any]) -> bool | None:
    """True/False: R² beyond the null at p < 0.05; None: the null was not computed.

    An exhaustive null of fewer than 19 draws (random pairs of few other tasks) cannot
    reach p < 0.05; there, beating it means an R² above every draw (rank 1 of all)."""
    if "skipped" in null or null.get("p_value") is None:
        return None
    if null.get("exhaustive") and 1.0 / (1 + int(null.get("n") or 0)) >= 0.05:
        return bool(null["observed_r2"] > null["null_max"])
    return null["p_value"] < 0.05


def _null_text(name: str, null: dict[str, Any]) -> str:
    if "skipped" in null:
        return f"{name} null not computed ({null['skipped']})"
    return (f"{name} null q95 {fmt(null.get('null_q95'), 3)}, "
            f"p {fmt(null.get('p_value'), 2)}")


def _fit_finding(best: dict[str, Any]) -> Finding:
    """Reproduced: R² ≥ 0.8 and beyond both nulls (those computed); not reproduced: below
    0.8 and beyond neither; inconclusive otherwise (the parts point both ways)."""
    r2 = best["r2"]
    beats = [b for b in (_beats(best["shuffled_heads"]), _beats(best["random_tasks"]))
             if b is not None]
    high = r2 >= 0.8
    if high and beats and all(beats):
        verdict = "reproduced"
    elif not high and not any(beats):
        verdict = "not reproduced"
    else:
        verdict = "inconclusive"
    return Finding("F4.fit", verdict,
                   f"best pair {' + '.join(best['basis'])}: R² {fmt(r2, 3)} (paper 0.97); "
                   + _null_text("shuffled-heads", best["shuffled_heads"]) + "; "
                   + _null_text("random-tasks", best["random_tasks"]))


def _pair_finding(best: dict[str, Any], complex_task: str) -> Finding:
    families = {family_of(t) for t in best["basis"]}
    verdict = ("reproduced" if families == {"math", "code"} else
               "inconclusive" if families & {"math", "code"} else "not reproduced")
    return Finding("F4.pair", verdict,
                   f"best pair for {complex_task}: "
                   + ", ".join(f"{t} ({family_of(t)})" for t in best["basis"])
                   + " (paper: GSM8K + Code Search Net)")


def run(ctx: Context) -> ExperimentResult:
    """Run (or resume) the experiment; return its results."""
    from headprint.analysis.api import run_compose

    started = time.perf_counter()
    s = ctx.scale
    pairs = before_after(ctx, task_runs(ctx))
    target = pairs.pop(s.complex_task)
    folder = ctx.exp_dir(NAME)
    result = run_compose([str(p) for p in target],
                         {t: [str(p) for p in pair] for t, pair in pairs.items()},
                         folder / "compose", k=2, top=5, n_permutations=500,
                         n_draws=200, n_boot=0, seed=s.seed)
    best = result["best"][0]
    findings = [_fit_finding(best), _pair_finding(best, s.complex_task)]
    numbers = Fig4Numbers({k: result[k] for k in ("full", "best", "subsets", "notes")},
                          s.complex_task, list(pairs))
    inputs = [p for pair in [target, *pairs.values()] for p in pair]
    return save_experiment(ctx, NAME, TITLE, numbers, findings, inputs,
                           time.perf_counter() - started)
