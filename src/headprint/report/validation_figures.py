"""Figures of ``headprint validate`` and ``headprint reproduce transfer``, in the style of
:mod:`headprint.report.figures` (``matplotlib.figure.Figure`` without pyplot, PNG, atomic)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from headprint.io import atomic_write_with
from headprint.report.figures import DPI, save_figure

__all__ = ["plot_ablation_curves", "ablation_curves_figure", "plot_single_head",
           "plot_transfer"]


def ablation_curves_figure(ks: Sequence[int], curves: Mapping[str, Sequence[float]],
                           title: str) -> Any:
    """Mean response loss against heads ablated: top-first, bottom-first, and random orders
    (mean ± 1 sd over seeds as a band, each seed as a thin line), as a laid-out ``Figure``.
    Two panels: linear k and symlog k (small k, where a ranking matters, is unreadable on
    a linear axis)."""
    from matplotlib.figure import Figure

    k = np.asarray(ks, dtype=float)
    mean, sd = np.asarray(curves["random_mean"]), np.asarray(curves["random_sd"])
    fig = Figure(figsize=(11.0, 4.2))
    for ax, scale in zip(fig.subplots(1, 2), ("linear", "symlog")):
        for one in curves.get("random") or []:
            ax.plot(k, one, color="#999999", lw=0.6, alpha=0.6)
        ax.fill_between(k, mean - sd, mean + sd, color="#999999", alpha=0.3,
                        label="random orders, mean ± sd")
        ax.plot(k, mean, color="#555555", marker="o", ms=3)
        ax.plot(k, curves["top"], color="#c44e52", marker="o", ms=3, label="highest score first")
        ax.plot(k, curves["bottom"], color="#4c72b0", marker="o", ms=3,
                label="lowest score first")
        ax.set_xscale(scale, **({"linthresh": 1.0} if scale == "symlog" else {}))
        ax.set_xlabel(f"heads ablated (k, {scale} axis)")
        ax.set_ylabel("mean response loss")
        ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_ablation_curves(ks: Sequence[int], curves: Mapping[str, Sequence[float]],
                         path: str | Path, title: str) -> Path:
    """:func:`ablation_curves_figure` written to ``path`` (PNG)."""
    return save_figure(ablation_curves_figure(ks, curves, title), path)


def plot_single_head(single: Mapping[str, Any], path: str | Path, title: str) -> Path:
    """Per head: actual loss change against the first-order estimate (with the identity
    line) and against the pattern score."""
    from matplotlib.figure import Figure

    actual = np.asarray(single["actual"], float).ravel()
    estimate = np.asarray(single["estimate"], float).ravel()
    score = np.asarray(single["score"], float).ravel()
    layers = np.repeat(np.arange(np.asarray(single["actual"]).shape[0]),
                       np.asarray(single["actual"]).shape[1])
    fig = Figure(figsize=(11.0, 4.4))
    ax_e, ax_s = fig.subplots(1, 2)
    sc = ax_e.scatter(estimate, actual, c=layers, cmap="viridis", s=12)
    lo, hi = float(min(actual.min(), estimate.min())), float(max(actual.max(), estimate.max()))
    ax_e.plot([lo, hi], [lo, hi], color="black", lw=0.8, ls="--", label="actual = estimate")
    ve, vs = single.get("vs_estimate") or {}, single.get("vs_score") or {}
    ax_e.set_title(f"vs first-order estimate (Spearman {_f(ve.get('spearman'))}, "
                   f"Pearson {_f(ve.get('pearson'))})", fontsize=10)
    ax_e.set_xlabel("first-order estimate of Δ loss")
    ax_e.set_ylabel("actual Δ loss (head ablated alone)")
    ax_e.legend(fontsize=8, loc="upper left")
    ax_s.scatter(score, actual, c=layers, cmap="viridis", s=12)
    ax_s.set_title(f"vs pattern score (Spearman {_f(vs.get('spearman'))}, "
                   f"Pearson {_f(vs.get('pearson'))})", fontsize=10)
    ax_s.set_xlabel("pattern score (mean |Σ⟨O, ∂ℓ/∂O⟩|)")
    ax_s.set_ylabel("actual Δ loss")
    for ax in (ax_e, ax_s):
        ax.axhline(0, color="#bbbbbb", lw=0.6)
        ax.grid(alpha=0.3)
    fig.colorbar(sc, ax=[ax_e, ax_s], label="layer", fraction=0.03, pad=0.02)
    fig.suptitle(title)
    # A colour bar shared by two panels does not go with tight_layout: place them by hand.
    fig.subplots_adjust(left=0.07, right=0.86, bottom=0.13, top=0.84, wspace=0.25)
    return atomic_write_with(path, lambda tmp: fig.savefig(tmp, format="png", dpi=DPI))


def _f(v: Any) -> str:
    return "n/a" if v is None else f"{v:.2f}"


def plot_transfer(transfer: Any, similarity: Mapping[str, Any], names: Sequence[str],
                  path: str | Path, title: str) -> Path:
    """Transfer matrix (rows: task fine-tuned on, columns: task evaluated; relative change
    of the held-out loss against the base model, diverging colours) beside each
    pattern-similarity matrix in ``similarity`` (label -> [K, K] Pearson r)."""
    from matplotlib.colors import TwoSlopeNorm
    from matplotlib.figure import Figure

    t = np.asarray(transfer, float)
    k = len(names)
    panels = 1 + len(similarity)
    size = min(max(3.0 + 0.5 * k, 4.2), 9.0)
    fig = Figure(figsize=(panels * (size + 1.0), size + 0.6))
    axes = fig.subplots(1, panels)
    bound = float(np.nanmax(np.abs(t))) or 1.0
    items = [("transfer: relative change of loss\n(row: fine-tuned on, column: evaluated)", t,
              "RdBu_r", TwoSlopeNorm(0.0, -bound, bound), "{:+.2f}")]
    for label, m in similarity.items():
        items.append((label, np.asarray(m, float), "RdBu_r", TwoSlopeNorm(0.0, -1.0, 1.0),
                      "{:.2f}"))
    for ax, (label, m, cmap, norm, fmt) in zip(np.atleast_1d(axes), items):
        im = ax.imshow(np.ma.masked_invalid(m), cmap=cmap, norm=norm, interpolation="nearest")
        ax.set_xticks(range(k), labels=list(names), rotation=45, ha="right", fontsize=8)
        ax.set_yticks(range(k), labels=list(names), fontsize=8)
        ax.set_title(label, fontsize=9)
        if k <= 12:
            for i in range(k):
                for j in range(k):
                    if np.isfinite(m[i, j]):
                        ax.text(j, i, fmt.format(m[i, j]), ha="center", va="center",
                                fontsize=7)
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    fig.suptitle(title)
    return save_figure(fig, path)
