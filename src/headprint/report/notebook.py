"""Notebook views of headprint's in-memory results: matplotlib figures and HTML snippets.

The result objects of :mod:`headprint.results` compute nothing here and draw nothing
themselves: their ``.plot()`` and ``_repr_html_`` call these functions, so all presentation
stays in ``report/``. Figures are ``matplotlib.figure.Figure`` objects (no pyplot state), which
Jupyter displays inline and a script can ``savefig``.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

__all__ = ["heatmaps_figure", "matrix_figure", "html_table", "pattern_set_html"]


def _array(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().double().numpy()
    return np.asarray(x, dtype=np.float64)


def heatmaps_figure(patterns: Sequence[tuple[str, Any]], *, cmap: str = "viridis",
                    label: str = "head score", diverging: bool = False):
    """One ``[L, H]`` heat map per ``(title, pattern)``, side by side (at most 3 a row)."""
    from matplotlib.colors import TwoSlopeNorm
    from matplotlib.figure import Figure

    n = len(patterns)
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(4.6 * cols, 3.8 * rows))
    for i, (title, pattern) in enumerate(patterns):
        x = _array(pattern)
        if x.ndim != 2:
            raise ValueError(f"{title}: a heat map needs an [L, H] pattern, got {x.shape}")
        ax = fig.add_subplot(rows, cols, i + 1)
        norm = None
        if diverging:
            bound = float(np.abs(x).max()) or 1.0
            norm = TwoSlopeNorm(vcenter=0.0, vmin=-bound, vmax=bound)
        image = ax.imshow(x, cmap="RdBu_r" if diverging else cmap, norm=norm, aspect="auto",
                          interpolation="nearest")
        ax.set_xlabel("head")
        ax.set_ylabel("layer")
        ax.set_title(title)
        fig.colorbar(image, ax=ax, label=label, fraction=0.08, pad=0.03)
    fig.tight_layout()
    return fig


def matrix_figure(matrix: Any, names: Sequence[str], title: str, label: str):
    """A task × task matrix with its values written in the cells."""
    from matplotlib.figure import Figure

    x = _array(matrix)
    size = max(3.5, 0.7 * len(names) + 2)
    fig = Figure(figsize=(size + 1, size))
    ax = fig.add_subplot()
    image = ax.imshow(x, cmap="viridis", interpolation="nearest")
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
    ax.set_yticks(range(len(names)), names)
    for (i, j), value in np.ndenumerate(x):
        ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=8, color="white")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, label=label, fraction=0.046, pad=0.04)
    fig.tight_layout()
    return fig


def html_table(headers: Sequence[str], rows: Sequence[Sequence[Any]],
               caption: str | None = None) -> str:
    """A small escaped HTML table (floats to 4 significant digits, NaN as ``nan``)."""
    from headprint.report.templating import render_html

    return str(render_html("notebook_table.html.j2", headers=list(headers),
                           rows=[list(r) for r in rows], caption=caption)).strip()


def pattern_set_html(pattern_set: Any) -> str:
    """Summary of a pattern set: name, model, data, shape, method, loss, dtype."""
    m = pattern_set.manifest
    layers, heads = pattern_set.shape
    n = m.get("n_samples", "?")
    rows = [["name", pattern_set.name], ["model", m.get("model", "?")],
            ["samples", n], ["layers × heads", f"{layers} × {heads}"],
            ["method / loss", f"{m.get('method', '?')} / {m.get('loss', '?')}"],
            ["dtype", m.get("dtype", "?")],
            ["per-sample patterns", "yes" if pattern_set.per_sample is not None else "no"]]
    return html_table(["", "pattern set"], rows)
