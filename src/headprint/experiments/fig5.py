"""Figure 5 (paper Section 4.3): patterns change fast in the first steps of SFT.

The shared task runs track each task's held-out pattern at step 0, at the scale's
``track_at`` steps and at the last step. :func:`headprint.analysis.api.run_track` gives the
Pearson r and MSE of every step's pattern against step 0. "Fast" is made testable as: half
of the final change (``1 − r`` and MSE) is reached within the first quarter of the steps.
"""
from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from headprint.analysis.tables import fmt
from headprint.experiments import blocks
from headprint.experiments.context import Context
from headprint.experiments.findings import Finding
from headprint.experiments.record import ExperimentResult, Record, save_experiment
from headprint.experiments.shared import task_runs
from headprint.layout import tracking_folder

__all__ = ["run", "NAME", "TITLE", "half_change_step", "Fig5Numbers"]

NAME = "fig5"
TITLE = "Figure 5: activation patterns change in the first steps of SFT"


@dataclass
class Fig5Numbers(Record):
    """Figure 5 on this model.

    Attributes:
        series: task -> steps, corr, mse, rel_mse against step 0 (as ``track/track.json``).
        half_change: task -> share of the steps to half the final ``1 − r`` and rel. MSE.
        final: task -> last step, ``1 − r`` and relative MSE at it.
        track_at: the steps the scale tracks.
    """

    series: dict[str, Any]
    half_change: dict[str, tuple[float, float]]
    track_at: list[int]
    final: dict[str, dict[str, float]]


def half_change_step(steps: list[int], change: list[float]) -> float:
    """Fraction of the run's steps after which ``change`` first reaches half its final
    value (linear interpolation between tracked steps); ``nan`` if it never changes."""
    final = change[-1]
    if not np.isfinite(final) or final <= 0:
        return float("nan")
    for i in range(1, len(steps)):
        if change[i] >= final / 2:
            prev, cur = change[i - 1], change[i]
            t = (final / 2 - prev) / (cur - prev) if cur != prev else 0.0
            return float((steps[i - 1] + t * (steps[i] - steps[i - 1])) / steps[-1])
    return 1.0


def run(ctx: Context) -> ExperimentResult:
    """Run (or resume) the experiment; return its results."""
    from headprint.analysis.api import run_track

    started = time.perf_counter()
    runs = task_runs(ctx)
    folder = ctx.exp_dir(NAME)
    series_dir = folder / ".series"  # hidden: copies of the tracked sets, for run_track
    shutil.rmtree(series_dir, ignore_errors=True)
    inputs = []
    for task, run_ref in runs.items():
        for step, path in blocks.tracked(ctx, run_ref, task).items():
            shutil.copytree(path, tracking_folder(series_dir, task, step))
            inputs.append(path)
    result = run_track(series_dir, folder / "track", n_boot=0)
    halves, final = {}, {}
    for task, s in result["series"].items():
        one_minus_r = [1.0 - c if c is not None else np.nan for c in s["corr"]]
        rel = [m if m is not None else np.nan for m in s["rel_mse"]]
        halves[task] = (half_change_step(s["steps"], one_minus_r),
                        half_change_step(s["steps"], rel))
        final[task] = {"step": s["steps"][-1], "one_minus_r": one_minus_r[-1],
                       "rel_mse": rel[-1]}
    med_r = float(np.nanmedian([h[0] for h in halves.values()]))
    med_m = float(np.nanmedian([h[1] for h in halves.values()]))
    fast = [med_r <= 0.25, med_m <= 0.25]
    findings = [Finding(
        "F5.fast", "reproduced" if all(fast) else "inconclusive" if any(fast) else "not reproduced",
        f"median over tasks, share of the steps needed for half the final change: "
        f"{fmt(med_r, 2)} for 1 − r, {fmt(med_m, 2)} for relative MSE (fast: ≤ 0.25)")]
    final_mse = {t: f["rel_mse"] for t, f in final.items()}
    ranked = sorted(final_mse, key=lambda t: -np.nan_to_num(final_mse[t], nan=-1.0))
    if "math" in final_mse:
        findings.append(Finding(
            "F5.math", "reproduced" if ranked[0] == "math" else "not reproduced",
            f"largest final change: {ranked[0]} (relative MSE {fmt(final_mse[ranked[0]], 3)})"
            f"; math ranks {ranked.index('math') + 1} of {len(ranked)}; the comparison "
            "across models is not testable with one model"))
    numbers = Fig5Numbers(result["series"], halves, list(ctx.scale.track_at), final)
    return save_experiment(ctx, NAME, TITLE, numbers, findings, inputs,
                           time.perf_counter() - started)
