"""Figure 4 (paper Section 4.2): the complex task's change is a combination of basic tasks'.

The complex task (GSM8K solved as a Python program, for the paper's SGSM) and the basic
tasks come from the shared task runs. :func:`headprint.analysis.api.run_compose` fits the
complex task's change ``Δ = after − before`` on every pair of basic tasks' changes (and on
all of them at once), and judges the best pairs against a shuffled-heads and a random-tasks
null, which the paper does not report but which say whether an R² is more than chance.
"""
from __future__ import annotations

import time
from typing import Any

from headprint.analysis.tables import fmt, markdown_table
from headprint.experiments.context import Context
from headprint.experiments.findings import Finding
from headprint.experiments.reporting import write_experiment
from headprint.experiments.shared import before_after, family_of, task_runs

__all__ = ["run", "NAME", "TITLE"]

NAME = "fig4"
TITLE = "Figure 4: a complex task's pattern change combines basic tasks' changes"


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


def _nulls_table(best: list[dict[str, Any]]) -> str:
    """The best pairs' R² beside both nulls: mean (q95), p."""
    def cell(null: dict[str, Any]) -> str:
        if "skipped" in null:
            return "n/a"
        return (f"{fmt(null.get('null_mean'), 3)} ({fmt(null.get('null_q95'), 3)}), "
                f"p {fmt(null.get('p_value'), 2)}")

    return markdown_table(["basic tasks", "R²", "shuffled-heads null: mean (q95), p",
                           "random-tasks null: mean (q95), p"],
                          [[" + ".join(b["basis"]), b["r2"], cell(b["shuffled_heads"]),
                            cell(b["random_tasks"])] for b in best])


def _pair_finding(best: dict[str, Any], complex_task: str) -> Finding:
    families = {family_of(t) for t in best["basis"]}
    verdict = ("reproduced" if families == {"math", "code"} else
               "inconclusive" if families & {"math", "code"} else "not reproduced")
    return Finding("F4.pair", verdict,
                   f"best pair for {complex_task}: "
                   + ", ".join(f"{t} ({family_of(t)})" for t in best["basis"])
                   + " (paper: GSM8K + Code Search Net)")


def run(ctx: Context) -> dict[str, Any]:
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
    rows = [[" + ".join(f["basis"]), f["r2"],
             ", ".join(f"{k} {v:.3g}" for k, v in f["coefficients"].items())]
            for f in result["subsets"]]
    body = ("## Figure 4: R² of the complex task's change on pairs of basic tasks\n\n"
            f"Target: **{s.complex_task}** (the paper's SGSM). The paper's figure reports the "
            "best pair for SGSM, Code Search Net + GSM8K, at R² 0.97 (and 0.95 for its "
            "Infinity-Instruct analogue, which has no offline counterpart here).\n\n"
            + markdown_table(["basic tasks", "R²", "coefficients β"], rows)
            + f"\nAll {len(pairs)} basic tasks at once: R² {fmt(result['full']['r2'], 3)} "
            "(least squares; with non-negative β "
            f"{fmt(result['full']['r2_by_fit']['nonnegative'], 3)}).\n\n"
            "## Is the best R² more than chance?\n\n"
            "Two nulls, each with the same fit: the target's change regressed on the pair "
            "with the heads shuffled (500 permutations), and on random pairs of other tasks "
            "instead (random-tasks baseline; needs more basic tasks than the pair).\n\n"
            + _nulls_table(result["best"])
            + "\nNull distributions and the change heatmaps are in `compose/`.\n")
    payload = {"compose": {k: result[k] for k in ("full", "best", "subsets", "notes")},
               "complex_task": s.complex_task, "basic_tasks": list(pairs)}
    inputs = [p for pair in [target, *pairs.values()] for p in pair]
    page = write_experiment(ctx, NAME, TITLE, body, findings, payload, inputs,
                            time.perf_counter() - started)
    return {"report": page, "findings": findings, **payload}
