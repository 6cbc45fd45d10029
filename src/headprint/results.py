"""Typed results of the in-memory analyses: ``to_dict()``, ``.plot()`` and notebook HTML.

Each class holds numbers computed by the pure functions of :mod:`headprint.analysis` (or,
for composition and tracking, by the same cores the CLI commands call); ``plot()`` returns a
matplotlib ``Figure`` and ``_repr_html_`` an HTML table, both built by
:mod:`headprint.report` (:mod:`~headprint.report.notebook`,
:mod:`~headprint.report.notebook_extra`, :mod:`~headprint.report.figures`): stages compute,
``report/`` presents.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["StatsResult", "ComparisonResult", "SimilarityResult", "CompositionResult",
           "TrackingResult"]


def _plain(value: Any) -> Any:
    """JSON-ready copy: dataclasses and tensors become dicts and lists."""
    if hasattr(value, "as_dict"):
        return _plain(value.as_dict())
    if hasattr(value, "__dataclass_fields__"):
        return {k: _plain(getattr(value, k)) for k in value.__dataclass_fields__}
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


@dataclass
class StatsResult:
    """Table 1 for several pattern sets.

    Attributes:
        rows: one dict per set: ``label``, ``gini``, ``cv``, ``kurtosis``, ``n_samples`` and
            ``ci`` (``{statistic: BootstrapCI}`` or None without per-sample patterns).
        patterns: ``{label: [L, H] mean pattern}``, kept for ``plot()``.
    """

    rows: list[dict[str, Any]]
    patterns: dict[str, Any] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"rows": _plain(self.rows)}

    def plot(self):
        from headprint.report.notebook import heatmaps_figure

        return heatmaps_figure(list(self.patterns.items()))

    def _repr_html_(self) -> str:
        from headprint.report.notebook import html_table

        def shown(row: dict, key: str) -> str:
            ci = (row.get("ci") or {}).get(key)
            value = row[key]
            if ci is None:
                return f"{value:.4g}"
            return f"{value:.4g} [{ci.low:.4g}, {ci.high:.4g}]"

        return html_table(["pattern set", "N", "Gini", "CV", "kurtosis"],
                          [[r["label"], r["n_samples"], shown(r, "gini"), shown(r, "cv"),
                            shown(r, "kurtosis")] for r in self.rows],
                          caption="Distribution of head scores (Table 1)")


@dataclass
class ComparisonResult:
    """Two patterns of one model compared (e.g. before and after SFT).

    Attributes:
        labels: ``(a, b)``.
        corr, mse: Pearson r and MSE over the L·H heads of the means.
        ci: bootstrap intervals of ``corr`` and ``mse`` or None.
        top_changes: the heads that changed most (dicts with layer, head, before, after,
            delta, rate).
        delta: ``[L, H]`` change ``b − a``.
    """

    labels: tuple[str, str]
    corr: float
    mse: float
    ci: dict[str, Any] | None
    top_changes: list[dict[str, Any]]
    delta: Any = field(repr=False, default=None)
    patterns: tuple[Any, Any] | None = field(repr=False, default=None)

    def to_dict(self) -> dict[str, Any]:
        return _plain({"labels": list(self.labels), "corr": self.corr, "mse": self.mse,
                       "ci": self.ci, "top_changes": self.top_changes})

    def plot(self):
        from headprint.report.notebook import heatmaps_figure

        a, b = self.labels
        pa, pb = self.patterns
        fig = heatmaps_figure([(a, pa), (b, pb)])
        return fig

    def plot_change(self):
        from headprint.report.notebook import heatmaps_figure

        a, b = self.labels
        return heatmaps_figure([(f"{b} − {a}", self.delta)], label="change", diverging=True)

    def _repr_html_(self) -> str:
        from headprint.report.notebook import html_table

        summary = html_table(["metric", "value"], [["Pearson r", self.corr], ["MSE", self.mse]],
                             caption=f"{self.labels[0]} → {self.labels[1]}")
        heads = html_table(["layer", "head", "A", "B", "Δ"],
                           [[h["layer"], h["head"], h["before"], h["after"], h["delta"]]
                            for h in self.top_changes], caption="heads that changed most")
        return summary + heads


@dataclass
class SimilarityResult:
    """Task × task Pearson r and MSE of patterns (Figure 2), in clustering order."""

    names: list[str]
    corr: Any
    mse: Any
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return _plain({"names": self.names, "corr": self.corr, "mse": self.mse,
                       "notes": self.notes})

    def plot(self):
        from headprint.report.notebook import matrix_figure

        return matrix_figure(self.corr, self.names, "Similarity of patterns", "Pearson r")

    def _repr_html_(self) -> str:
        from headprint.report.notebook import html_table

        return html_table(["", *self.names],
                          [[n, *row] for n, row in zip(self.names, _plain(self.corr))],
                          caption="Pearson r between patterns")


@dataclass
class CompositionResult:
    """The target task's change fitted on basic tasks' changes (Eq. 3, Figure 4); the
    numbers of ``headprint compose`` (its ``compose.json`` less provenance and files).

    Attributes:
        target: the target task's name.
        full: the fit on every basic task: ``r2``, ``coefficients``, ``intercept``,
            ``shuffled_heads`` and ``random_tasks`` nulls, ``ci`` (or None), ``r2_by_fit``.
        best: the best subsets' fits, each with the same entries and ``basis``.
        subsets: every fitted subset (``basis``, ``r2``, ``coefficients``, ``intercept``),
            best first.
        n_possible_subsets: subsets of the searched sizes.
        notes: dropped sizes, skipped baselines, missing intervals.
        params: the settings used.
        changes: ``{"target": [L, H], <basic task>: [L, H]}`` (after − before), for plots.
    """

    target: str
    full: dict[str, Any]
    best: list[dict[str, Any]]
    subsets: list[dict[str, Any]]
    n_possible_subsets: int
    notes: list[str]
    params: dict[str, Any]
    changes: dict[str, Any] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return _plain({"target": self.target, "full": self.full, "best": self.best,
                       "subsets": self.subsets, "n_possible_subsets": self.n_possible_subsets,
                       "notes": self.notes, "params": self.params})

    def plot(self):
        """R² of the best subsets (at most 25), each with its shuffled-heads null."""
        from headprint.report.analysis_figures import R2_BARS
        from headprint.report.figures import r2_bars_figure

        shown = self.subsets[:R2_BARS]
        return r2_bars_figure({" + ".join(s["basis"]): s["r2"] for s in shown},
                              f"Composition R² of the change of {self.target}",
                              null_q95={" + ".join(r["basis"]): r["shuffled_heads"]["null_q95"]
                                        for r in self.best
                                        if "null_q95" in r["shuffled_heads"]})

    def _repr_html_(self) -> str:
        from headprint.report.notebook_extra import composition_html

        return composition_html(self)


@dataclass
class TrackingResult:
    """Each saved step's pattern against step 0, per task (Figure 5); the numbers of
    ``headprint track`` (its ``track.json``'s ``series`` and ``notes``).

    Attributes:
        series: task -> ``steps``, ``corr``, ``mse``, ``rel_mse``, ``ci`` (per step, or
            None), ``n_samples``, ``notes``.
        notes: remarks (skipped folders, undefined correlations).
        model: the model of the step-0 sets.
    """

    series: dict[str, dict[str, Any]]
    notes: list[str]
    model: str

    def to_dict(self) -> dict[str, Any]:
        return _plain({"series": self.series, "notes": self.notes, "model": self.model})

    def plot(self):
        """Pearson r and (relative) MSE against step 0 versus step, one line per task."""
        from headprint.report.figures import dynamics_figure

        return dynamics_figure(self.series, "Activation pattern vs. the base model")

    def _repr_html_(self) -> str:
        from headprint.report.notebook_extra import tracking_html

        return tracking_html(self)
