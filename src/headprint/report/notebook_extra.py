"""Notebook views of the composition, tracking and validation results.

The typed results of ``headprint.compose``, ``headprint.track`` and ``headprint.validate``
call these for ``_repr_html_`` (small escaped tables from
:func:`headprint.report.notebook.html_table`); they compute nothing. Their ``.plot()`` is
the figure of the files ``headprint compose|track|validate`` write (``r2-subsets.png``,
``dynamics.png``, ``curves.png``), built by :func:`headprint.report.figures.r2_bars_figure`,
:func:`~headprint.report.figures.dynamics_figure` and
:func:`headprint.report.validation_figures.ablation_curves_figure` (a
``matplotlib.figure.Figure``, no pyplot state).
"""
from __future__ import annotations

import math
from typing import Any, Mapping

from headprint.report.notebook import html_table

__all__ = ["composition_html", "tracking_html", "validation_html"]


def _null(b: Mapping[str, Any]) -> str:
    if "skipped" in b:
        return "n/a"
    return f"{b['null_q95']:.3g} (p {b['p_value']:.2g})"


def _with_ci(value: float | None, ci: Any) -> str:
    """``value [low, high]`` from a BootstrapCI or its dict; the value alone without one."""
    if value is None:
        return "n/a"
    get = ci.get if isinstance(ci, Mapping) else (lambda k: getattr(ci, k, None))
    low, high = (get("low"), get("high")) if ci else (None, None)
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return f"{value:.4g}"
    return f"{value:.4g} [{low:.3g}, {high:.3g}]"


def composition_html(result: Any) -> str:
    """The fit on every basic task and the best subsets, with their nulls and intervals."""
    rows = [[" + ".join(row["basis"]) if i else "all basic tasks",
             _with_ci(row["r2"], row.get("ci")), _null(row["shuffled_heads"]),
             _null(row["random_tasks"]),
             ", ".join(f"{n} {v:.3g}" for n, v in row["coefficients"].items())]
            for i, row in enumerate([result.full, *result.best])]
    return html_table(["basis", "R²", "shuffled-heads null q95", "random-tasks null q95",
                       "coefficients"], rows,
                      caption=f"Composition of the change of {result.target} (Eq. 3)")


def tracking_html(result: Any) -> str:
    """One row per task and step: Pearson r, MSE and relative MSE against step 0."""
    rows = [[task, k, _with_ci(c, ci and ci["corr"]), _with_ci(e, ci and ci["mse"]),
             r, n if n is not None else "?"]
            for task, s in result.series.items()
            for k, c, e, r, ci, n in zip(s["steps"], s["corr"], s["mse"], s["rel_mse"],
                                         s["ci"], s["n_samples"])]
    return html_table(["task", "step", "Pearson r vs step 0", "MSE vs step 0", "rel. MSE",
                       "N"], rows, caption=f"Pattern dynamics ({result.model})")


def validation_html(result: Any) -> str:
    """The curves' summary and, per k, the paired test of top-first against random."""
    s = {k: ("n/a" if v is None else v) for k, v in result.summary.items()}
    summary = html_table(["measure", "value"], [
        ["loss, no head ablated", s.get("loss_0")],
        ["loss, every head ablated", s.get("loss_all")],
        ["area between top-first and random curves", s.get("area_top_vs_random")],
        ["area between bottom-first and random curves", s.get("area_bottom_vs_random")],
        ["k reaching 50 % of the rise: top-first / random",
         f"{s.get('k50_top')} / {s.get('k50_random')}"]],
        caption=f"Causal validation ({result.ablation} ablation, "
                f"{len(result.sample_ids)} rows, {result.seeds} random orders)")
    curves = result.curves
    per_k = html_table(["k", "top-first", "bottom-first", "random mean", "p (t-test)"],
                       [[k, t, b, r, x.get("p_ttest") if x.get("p_ttest") is not None
                         else "n/a"]
                        for k, t, b, r, x in zip(result.ks, curves["top"], curves["bottom"],
                                                 curves["random_mean"], result.tests)],
                       caption="mean response loss with k heads ablated")
    return summary + per_k
