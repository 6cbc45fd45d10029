"""``reproduce``'s pages: per experiment ``report.md``, figures and ``report.html``, and the
index of every experiment run into one folder.

Everything here is made from an experiment's ``results.json`` (parsed), plus the figure
arrays its numbers carry for the two figures JSON does not hold (Table 1's mean patterns):

- ``DIR/<name>/report.md``: ``templates/results/experiment.j2`` (the run, the findings,
  then ``templates/experiments/<name>.j2``: headprint's numbers beside the paper's);
- the experiment's figures (:mod:`headprint.report.experiment_figures`);
- ``DIR/<name>/report.html``: :func:`headprint.report.build_report` over the folder, which
  renders ``results.json`` with the same template;
- ``DIR/index.html``: ``templates/index.html.j2``, one section per experiment with its
  findings, in the page layout every headprint page shares.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

from headprint import __version__
from headprint.io import atomic_write_text
from headprint.report.experiment_figures import draw_experiment
from headprint.report.html import REPORT_FILE, build_report, now_utc
from headprint.report.summaries import write_summary
from headprint.report.templating import environment

__all__ = ["write_experiment_pages", "write_index", "INDEX_FILE", "SUMMARY_FILE"]

INDEX_FILE = "index.html"
SUMMARY_FILE = "report.md"


def write_experiment_pages(folder: str | Path, data: Mapping[str, Any],
                           numbers: Any = None) -> Path:
    """Write an experiment's figures, ``report.md`` and ``report.html`` into ``folder``
    (``DIR/<name>``) and refresh ``DIR/index.html``; return the HTML page's path.

    Args:
        data: the experiment's parsed ``results.json``.
        numbers: its numbers object, for figure arrays the JSON does not hold (None: only
            the figures the JSON can draw).
    """
    folder = Path(folder)
    draw_experiment(data, numbers, folder)
    write_summary("experiment", data, folder / SUMMARY_FILE)
    page = build_report(folder, title=f"headprint reproduce {data['experiment']}: "
                                      f"{data['title']}")
    write_index(folder.parent)
    return page


def _experiments(out: Path) -> list[dict[str, Any]]:
    found = []
    for results_file in sorted(out.glob("*/results.json")):
        try:
            r = json.loads(results_file.read_text(encoding="utf-8"))
        except ValueError:
            continue
        if isinstance(r, dict) and r.get("headprint", {}).get("kind") == "experiment":
            found.append(r)
    return found


def write_index(out: str | Path) -> Path:
    """``DIR/index.html``: one section per experiment found in ``DIR`` with its findings
    (and the one figure an experiment names as ``index_figure``), linking its page."""
    from headprint.experiments.paper import CITATION

    out = Path(out)
    page = environment("html").get_template("index.html.j2").render(
        title=f"headprint: the paper's experiments ({out.resolve().name})", citation=CITATION,
        experiments=_experiments(out), created=now_utc(), version=__version__,
        report_file=REPORT_FILE)
    return atomic_write_text(out / INDEX_FILE, page)
