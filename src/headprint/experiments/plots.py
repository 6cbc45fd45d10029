"""Grouped bar charts of training arms (Tables 2 and 3), in the style of
:mod:`headprint.report.figures` (matplotlib ``Figure`` without pyplot, PNG, atomic write)."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Mapping

from headprint.io import atomic_write_with

__all__ = ["plot_arms"]


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
