"""headprint report stage: figures and the self-contained HTML report.

- :mod:`headprint.report.figures`: ``plot_heatmap``, ``plot_change``, ``plot_similarity``,
  ``plot_r2_bars``, ``plot_dynamics`` (matplotlib Agg, PNG, written atomically).
- :func:`build_report`: every table, figure and manifest of a run folder in one HTML page.
"""
from headprint.report.figures import (plot_change, plot_dynamics, plot_heatmap, plot_r2_bars,
                                      plot_similarity)
from headprint.report.html import build_report

__all__ = ["build_report", "plot_heatmap", "plot_change", "plot_similarity", "plot_r2_bars",
           "plot_dynamics"]
