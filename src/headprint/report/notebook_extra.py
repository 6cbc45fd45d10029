"""Notebook views of the composition, tracking and validation results.

The typed results of ``headprint.compose``, ``headprint.track`` and ``headprint.validate``
call these for ``.plot()`` (a ``matplotlib.figure.Figure``, no pyplot state) and
``_repr_html_`` (small escaped tables from :func:`headprint.report.notebook.html_table`).
They draw what the files of ``headprint compose|track|validate`` show (``r2-subsets.png``,
``dynamics.png``, ``curves.png``) and compute nothing.
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np

from headprint.report.notebook import html_table

__all__ = ["r2_figure", "dynamics_figure", "ablation_figure", "composition_html",
           "tracking_html", "validation_html"]


def r2_figure(r2: Mapping[str, float], title: str, *,
              null_q95: Mapping[str, float] | None = None):
    """Horizontal bars of R² per subset label, best at top; ``null_q95`` (label -> 95th
    percentile of the shuffled-heads null) as a black tick on each bar it exists for."""
    from matplotlib.figure import Figure

    items = sorted(r2.items(), key=lambda kv: -kv[1] if np.isfinite(kv[1]) else math.inf)
    labels = [k for k, _ in items]
    values = np.array([v if np.isfinite(v) else 0.0 for _, v in items])
    fig = Figure(figsize=(7.5, min(max(1.5 + 0.32 * len(items), 3.0), 18.0)))
    ax = fig.add_subplot()
    y = np.arange(len(items))
    ax.barh(y, values, color="#4c72b0")
    if null_q95:
        ax.scatter([null_q95.get(k, np.nan) for k in labels], y, marker="|", s=220,
                   color="black", zorder=3, label="95th percentile, shuffled-heads null")
        ax.legend(loc="lower right", fontsize=8)
    ax.set_yticks(y, labels=labels)
    ax.invert_yaxis()
    ax.set_xlim(min(0.0, float(values.min(initial=0.0)) * 1.1), 1.12)
    ax.set_xlabel("R²")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def dynamics_figure(series: Mapping[str, Mapping[str, Any]], title: str):
    """Pearson r and MSE against step 0 versus training step, one line per task
    (``series``: task -> ``steps``, ``corr``, ``mse``, ``rel_mse``). With several tasks the
    MSE panel shows ``rel_mse``: raw MSE scales with each task's score magnitude."""
    from matplotlib.figure import Figure

    relative = len(series) > 1
    fig = Figure(figsize=(11.0, 4.2))
    ax_corr, ax_mse = fig.subplots(1, 2)
    for task, s in series.items():
        ax_corr.plot(s["steps"], s["corr"], marker="o", ms=3, label=str(task))
        ax_mse.plot(s["steps"], s["rel_mse" if relative else "mse"], marker="o", ms=3,
                    label=str(task))
    ax_corr.set_ylabel("Pearson r with step 0")
    ax_mse.set_ylabel("MSE to step 0 / mean(step-0 pattern²)" if relative
                      else "MSE to step 0")
    for ax in (ax_corr, ax_mse):
        ax.set_xlabel("training step")
        ax.grid(alpha=0.3)
    ax_mse.legend(fontsize=8, loc="best")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def ablation_figure(ks: Sequence[int], curves: Mapping[str, Sequence[float]], title: str):
    """Mean response loss against heads ablated (symlog k): highest score first, lowest
    first, and random orders as mean ± sd band with each seed as a thin line."""
    from matplotlib.figure import Figure

    k = np.asarray(ks, dtype=float)
    mean, sd = np.asarray(curves["random_mean"]), np.asarray(curves["random_sd"])
    fig = Figure(figsize=(6.5, 4.2))
    ax = fig.add_subplot()
    for one in curves.get("random") or []:
        ax.plot(k, one, color="#999999", lw=0.6, alpha=0.6)
    ax.fill_between(k, mean - sd, mean + sd, color="#999999", alpha=0.3,
                    label="random orders, mean ± sd")
    ax.plot(k, mean, color="#555555", marker="o", ms=3)
    ax.plot(k, curves["top"], color="#c44e52", marker="o", ms=3, label="highest score first")
    ax.plot(k, curves["bottom"], color="#4c72b0", marker="o", ms=3, label="lowest score first")
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_xlabel("heads ablated (k)")
    ax.set_ylabel("mean response loss")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    ax.set_title(title)
    fig.tight_layout()
    return fig


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
