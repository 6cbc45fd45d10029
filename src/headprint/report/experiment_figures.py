"""The figures of ``reproduce``'s experiments, drawn from their ``results.json``.

File names are what ``docs/results.md`` copies: Table 1 ``figure2-before.png``,
``figure2-after.png``, ``figure2-change-rate.png``, ``pattern-before.png``,
``pattern-after.png``; Table 2 ``accuracy.png``, ``heldout-loss.png``; Table 3
``accuracy.png``; transfer ``transfer-vs-similarity.png``. Figure 4 and Figure 5 draw
theirs through the analysis commands they run (``compose/``, ``track/``).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from headprint.io import atomic_write_with
from headprint.report.figures import plot_heatmap, plot_similarity
from headprint.report.validation_figures import plot_transfer

__all__ = ["draw_experiment", "plot_arms"]


def _value(x: Any) -> float:
    """JSON's null (an undefined mean) as NaN, which the bar chart leaves out."""
    return math.nan if x is None else float(x)


def plot_arms(groups: Mapping[str, Mapping[str, float]], path: str | Path, title: str,
              ylabel: str) -> Path:
    """One cluster of bars per group (e.g. a selection size), one bar per series (e.g.
    T and R); each bar labelled with its value. ``nan`` values are left out."""
    from matplotlib.figure import Figure

    series = list(dict.fromkeys(s for g in groups.values() for s in g))
    width = 0.8 / max(len(series), 1)
    fig = Figure(figsize=(max(4.5, 1.2 + 1.1 * len(groups) * max(len(series), 1) * 0.6), 4.1))
    ax = fig.add_subplot()
    for k, name in enumerate(series):
        xs, ys = [], []
        for i, g in enumerate(groups.values()):
            v = g.get(name, math.nan)
            if math.isfinite(v):
                xs.append(i + (k - (len(series) - 1) / 2) * width)
                ys.append(v)
        bars = ax.bar(xs, ys, width=width * 0.95, label=name)
        ax.bar_label(bars, fmt="%.3g", fontsize=7, padding=2)
    ax.set_xticks(range(len(groups)), labels=list(groups))
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.margins(y=0.15)
    if len(series) > 1:
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.1),
                  ncol=len(series), frameon=False)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return atomic_write_with(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110))


def _ordered(sim: Mapping[str, Any]) -> tuple[np.ndarray, list[str]]:
    """A stored similarity matrix in its clustering order (``order``, saved beside it)."""
    names, order = list(sim["names"]), list(sim.get("order") or sim["names"])
    idx = [names.index(t) for t in order]
    corr = np.array([[_value(v) for v in row] for row in sim["corr"]])
    return corr[np.ix_(idx, idx)], order


def _table1(d: Mapping[str, Any], numbers: Any, folder: Path) -> None:
    for what, sim in d["similarity"].items():
        corr, order = _ordered(sim)
        plot_similarity(corr, order, folder / f"figure2-{what}.png",
                        f"Figure 2 ({what} SFT)" if what != "change-rate" else
                        "Figure 2: similarity of change rates Δ/before")
    for state, pattern in (getattr(numbers, "patterns", None) or {}).items():
        plot_heatmap(pattern, f"Mean pattern {state} SFT ({d['model']})",
                     folder / f"pattern-{state}.png")


def _table2(d: Mapping[str, Any], numbers: Any, folder: Path) -> None:
    summary, task, seeds = d["summary"], d["complex_task"], len(d["seeds"])
    plot_arms({"accuracy (%)": {a: 100 * _value(s["accuracy"][0]) for a, s in summary.items()}},
              folder / "accuracy.png", f"Table 2: {task} test accuracy, mean of {seeds} seeds",
              "%")
    plot_arms({"held-out loss": {a: _value(s["loss"][0]) for a, s in summary.items()}},
              folder / "heldout-loss.png", "Table 2: loss of the gold program "
              "(lower is better)", "mean response-token loss")


def _table3(d: Mapping[str, Any], numbers: Any, folder: Path) -> None:
    acc = {a: 100 * _value(s["accuracy"][0]) for a, s in d["summary"].items()}
    plot_arms({f"n = {n}": {"pattern (T)": acc[f"T{n}"], "embedding (E)": acc[f"E{n}"],
                            "random (R)": acc[f"R{n}"], "base": acc["Base"]}
               for n in d["sizes"]}, folder / "accuracy.png",
              f"Table 3: MMLU accuracy, mean of {len(d['domains'])} domains and "
              f"{len(d['seeds'])} seeds", "%")


def _transfer(d: Mapping[str, Any], numbers: Any, folder: Path) -> None:
    sims = d["similarity"]
    plot_transfer(np.array([[_value(v) for v in row] for row in d["transfer"]]),
                  {"pattern similarity before SFT (Pearson r)": sims["before"],
                   "similarity of change rates Δ/before": sims["change-rate"]},
                  d["tasks"], folder / d["index_figure"],
                  f"Transfer between tasks and pattern similarity ({d['model']})")


_DRAW: dict[str, Callable[[Mapping[str, Any], Any, Path], None]] = {
    "table1": _table1, "table2": _table2, "table3": _table3, "transfer": _transfer}


def draw_experiment(data: Mapping[str, Any], numbers: Any, folder: str | Path) -> None:
    """Draw the figures of an experiment (its parsed ``results.json``; ``numbers`` for
    arrays the JSON does not hold) into ``folder``."""
    draw = _DRAW.get(data["experiment"])
    if draw is not None:
        draw(data, numbers, Path(folder))
