"""Figures for papers and reports (matplotlib, Agg, PNG), readable at a glance.

Every figure is titled, has labelled axes (layer and head indices for patterns) and a colour
bar where colour carries a value. Figures are built on ``matplotlib.figure.Figure``
directly rather than pyplot, so no global state or GUI backend is involved and plotting
is safe in worker processes; files are written atomically (temporary name, then rename).

matplotlib is imported inside the functions: the CLI imports this package on every call
and should not pay matplotlib's start-up time for commands that draw nothing.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from headprint.io import atomic_write_with

__all__ = ["plot_heatmap", "plot_change", "plot_similarity", "plot_r2_bars", "plot_dynamics",
           "r2_bars_figure", "dynamics_figure", "save_figure", "DPI"]

DPI = 100


def _array(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().double().numpy()
    return np.asarray(x, dtype=np.float64)


def save_figure(fig: Any, path: str | Path) -> Path:
    """Lay out ``fig`` and write it to ``path`` as a PNG at :data:`DPI`, atomically."""
    fig.tight_layout()
    return atomic_write_with(path, lambda tmp: fig.savefig(tmp, format="png", dpi=DPI))


def _ticks(n: int, max_labels: int = 32) -> list[int]:
    step = max(1, math.ceil(n / max_labels))  # every index up to 32, then every k-th
    return list(range(0, n, step))


def _grid(pattern: Any, title: str, path: str | Path, cmap: str, norm: Any, label: str) -> Path:
    from matplotlib.figure import Figure

    x = _array(pattern)
    if x.ndim != 2:
        raise ValueError(f"heatmaps need an [L, H] pattern, got shape {x.shape}")
    n_layers, n_heads = x.shape
    fig = Figure(figsize=(min(max(3.2 + 0.42 * n_heads, 4.5), 14.0),
                          min(max(1.6 + 0.19 * n_layers, 3.5), 14.0)))
    ax = fig.add_subplot()
    im = ax.imshow(x, cmap=cmap, norm=norm, aspect="auto", interpolation="nearest")
    ax.set_xticks(_ticks(n_heads))
    ax.set_yticks(_ticks(n_layers))
    ax.set_xlabel("head")
    ax.set_ylabel("layer")
    ax.set_title(title)
    fig.colorbar(im, ax=ax, label=label, fraction=0.08, pad=0.03)
    return save_figure(fig, path)


def plot_heatmap(pattern: Any, title: str, path: str | Path, *, label: str = "head score",
                 cmap: str = "viridis") -> Path:
    """L×H heatmap of a pattern ``[L, H]``: layers on y (layer 0 at top), heads on x."""
    from matplotlib.colors import Normalize

    x = _array(pattern)
    lo, hi = float(np.min(x)), float(np.max(x))
    return _grid(x, title, path, cmap, Normalize(lo, hi if hi > lo else lo + 1.0), label)


def plot_change(delta: Any, title: str, path: str | Path, *,
                label: str = "Δ head score (after − before)") -> Path:
    """Heatmap of a change ``[L, H]`` with a diverging colormap centred on zero.

    Both sides share one scale (±max |Δ|) so that colour intensity compares magnitudes of
    increases and decreases honestly.
    """
    from matplotlib.colors import TwoSlopeNorm

    x = _array(delta)
    bound = float(np.max(np.abs(x))) or 1.0
    return _grid(x, title, path, "RdBu_r", TwoSlopeNorm(0.0, -bound, bound), label)


def plot_similarity(matrix: Any, names: Sequence[str], path: str | Path,
                    title: str = "Pattern similarity (Pearson r)", *,
                    kind: str = "correlation") -> Path:
    """Annotated ``[K, K]`` matrix with task names on both axes.

    ``kind="correlation"``: diverging colours on −1…1 centred on 0 when any correlation
    is negative, otherwise a sequential scale from the smallest off-diagonal value to 1
    (a fixed −1…1 range would paint typical 0.9-0.99 pattern correlations one colour).
    ``kind="mse"`` (or any distance): sequential scale from 0.
    """
    from matplotlib.colors import Normalize, TwoSlopeNorm
    from matplotlib.figure import Figure

    m = _array(matrix)
    k = m.shape[0]
    if m.shape != (k, k) or len(names) != k:
        raise ValueError(f"need a square matrix and one name per row, got {m.shape} and "
                         f"{len(names)} names")
    off = m[~np.eye(k, dtype=bool)]
    off = off[np.isfinite(off)] if off.size else off
    if kind == "correlation":
        lo = float(off.min()) if off.size else 0.0
        if lo < 0:
            # Symmetric −1…1: a one-sided stretch would paint r = −0.08 as dark as r = 1.
            cmap, norm = "RdBu_r", TwoSlopeNorm(0.0, -1.0, 1.0)
        else:
            cmap, norm = "viridis", Normalize(min(lo, 0.999), 1.0)
        label = "Pearson r"
    else:
        hi = float(off.max()) if off.size else 1.0
        cmap, norm, label = "magma_r", Normalize(0.0, hi if hi > 0 else 1.0), kind.upper()
    size = min(max(3.0 + 0.55 * k, 4.5), 16.0)
    fig = Figure(figsize=(size + 1.2, size))
    ax = fig.add_subplot()
    im = ax.imshow(np.ma.masked_invalid(m), cmap=cmap, norm=norm, interpolation="nearest")
    ax.set_xticks(range(k), labels=list(names), rotation=45, ha="right")
    ax.set_yticks(range(k), labels=list(names))
    ax.set_title(title)
    if k <= 16:  # values stay legible up to about 16 tasks
        for i in range(k):
            for j in range(k):
                v = m[i, j]
                text = "n/a" if not np.isfinite(v) else (f"{v:.2f}" if kind == "correlation"
                                                         else f"{v:.2g}")
                r, g, b, _ = im.cmap(norm(v)) if np.isfinite(v) else (1, 1, 1, 1)
                dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.5  # perceived luminance
                ax.text(j, i, text, ha="center", va="center", fontsize=8,
                        color="white" if dark else "black")
    fig.colorbar(im, ax=ax, label=label, fraction=0.046, pad=0.04)
    return save_figure(fig, path)


def r2_bars_figure(r2: Mapping[str, float],
                   title: str = "Composition R² by basis subset", *,
                   null_q95: Mapping[str, float] | None = None) -> Any:
    """Horizontal bars of R² per subset label, best at top, as a laid-out ``Figure``.

    ``null_q95`` (label -> 95th percentile of a permutation baseline) draws a black tick on
    each bar: a bar that does not clear its tick is not distinguishable from chance.
    """
    from matplotlib.figure import Figure

    items = sorted(r2.items(), key=lambda kv: -kv[1] if np.isfinite(kv[1]) else math.inf)
    labels = [k for k, _ in items]
    values = np.array([v if np.isfinite(v) else 0.0 for _, v in items])
    fig = Figure(figsize=(7.5, min(max(1.5 + 0.32 * len(items), 3.0), 18.0)))
    ax = fig.add_subplot()
    y = np.arange(len(items))
    ax.barh(y, values, color="#4c72b0")
    for yi, v in zip(y, values):
        ax.text(v, yi, f" {v:.3f}", va="center", fontsize=8)
    if null_q95:
        q = [null_q95.get(k, np.nan) for k in labels]
        ax.scatter(q, y, marker="|", s=220, color="black", zorder=3,
                   label="95th percentile, shuffled-heads null")
        ax.legend(loc="lower right", fontsize=8)
    ax.set_yticks(y, labels=labels)
    ax.invert_yaxis()
    ax.set_xlim(min(0.0, float(values.min(initial=0.0)) * 1.1), 1.12)
    ax.set_xlabel("R²")
    ax.set_ylabel("basis subset")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_r2_bars(r2: Mapping[str, float], path: str | Path,
                 title: str = "Composition R² by basis subset", *,
                 null_q95: Mapping[str, float] | None = None) -> Path:
    """:func:`r2_bars_figure` written to ``path`` (PNG)."""
    return save_figure(r2_bars_figure(r2, title, null_q95=null_q95), path)


def dynamics_figure(series: Mapping[str, Any],
                    title: str = "Pattern change during fine-tuning") -> Any:
    """Correlation and MSE against step 0 versus training step, one line per task, as a
    laid-out ``Figure``.

    ``series``: task -> object or dict with ``steps``, ``corr`` and ``mse`` sequences
    (e.g. :class:`headprint.analysis.TrackingSeries`). When every task also has
    ``rel_mse`` (MSE / mean of the step-0 pattern squared) and there are several tasks,
    that is plotted instead: raw MSE scales with each task's score magnitude, so one task
    with large scores would flatten every other line.
    """
    from matplotlib.figure import Figure

    def getter(s):
        return (lambda k: s.get(k)) if isinstance(s, Mapping) else (lambda k: getattr(s, k, None))

    relative = len(series) > 1 and all(getter(s)("rel_mse") is not None
                                       for s in series.values())
    fig = Figure(figsize=(11.0, 4.2))
    ax_corr, ax_mse = fig.subplots(1, 2)
    for task, s in series.items():
        get = getter(s)
        ax_corr.plot(get("steps"), get("corr"), marker="o", ms=3, label=str(task))
        ax_mse.plot(get("steps"), get("rel_mse" if relative else "mse"), marker="o", ms=3,
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


def plot_dynamics(series: Mapping[str, Any], path: str | Path,
                  title: str = "Pattern change during fine-tuning") -> Path:
    """:func:`dynamics_figure` written to ``path`` (PNG)."""
    return save_figure(dynamics_figure(series, title), path)
