"""Typed results of the in-memory analyses: ``to_dict()``, ``.plot()`` and notebook HTML.

Each class holds numbers computed by the pure functions of :mod:`headprint.analysis`;
``plot()`` returns a matplotlib ``Figure`` and ``_repr_html_`` an HTML table, both built by
:mod:`headprint.report.notebook` (stages compute, ``report/`` presents).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["StatsResult", "ComparisonResult", "SimilarityResult"]


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
