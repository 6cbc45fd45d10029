"""headprint report stage: everything headprint shows a person, built from results.

Stages compute and save typed results (JSON); this package presents them:

- figures (matplotlib Agg, PNG, written atomically): :mod:`.figures`
  (``plot_heatmap``, ``plot_change``, ``plot_similarity``, ``plot_r2_bars``,
  ``plot_dynamics``), :mod:`.analysis_figures`, :mod:`.experiment_figures`,
  :mod:`.validation_figures`;
- Markdown summaries and HTML, rendered with Jinja2 templates (``templates/``, autoescaped
  HTML): :mod:`.summaries` (one template per kind of result), :func:`build_report` (every
  result, table, figure and manifest of a run folder in one page), :mod:`.experiment_pages`
  (``reproduce``'s pages and index), :mod:`.validation_page`, :mod:`.notebook`.

Names are imported lazily: the CLI imports this package on every call and should not pay
for matplotlib or Jinja2 when it draws nothing.
"""
from __future__ import annotations

from headprint.lazy import lazy_exports

__all__ = ["build_report", "plot_heatmap", "plot_change", "plot_similarity", "plot_r2_bars",
           "plot_dynamics"]

_EXPORTS = {"build_report": "headprint.report.html",
            **{name: "headprint.report.figures" for name in __all__[1:]}}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
