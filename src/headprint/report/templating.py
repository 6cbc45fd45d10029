"""The Jinja2 environments every page and summary file is rendered with.

Templates live in ``headprint/report/templates`` (package data):

- ``page.html.j2``: the one page layout (header, navigation, CSS, table-sorting script)
  that the run-folder report and the ``reproduce`` index extend;
- ``results/<kind>.j2``: the content of one result (an analysis, an experiment, a
  validation, an evaluation), written once and rendered twice, as HTML inside a page and
  as the Markdown summary beside the result's JSON. They draw headings, paragraphs,
  tables and lists only through the macros in ``{html,md}/macros.j2``, imported under the
  name the environment sets (``{% import macros as m with context %}``), so the HTML and
  the Markdown carry the same tables;
- ``experiments/<name>.j2``: the body of each experiment's results, included by
  ``results/experiment.j2``.

The HTML environment autoescapes every value: a task called ``<script>`` prints as text.
The Markdown environment cannot HTML-escape (its output is a text file people read as
is); its macros escape what would break Markdown structure instead (``|`` in table cells,
line breaks).
"""
from __future__ import annotations

import functools
import math
import re
from typing import Any, Literal

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from headprint.report import formatting

__all__ = ["environment", "render_html", "render_markdown", "Flavour"]

Flavour = Literal["html", "markdown"]


def _md_cell(value: Any) -> str:
    text = formatting.fmt(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _html_cell(value: Any) -> Any:
    return value if isinstance(value, Markup) else formatting.fmt(value)


def _notebook_cell(value: Any) -> str:
    """Notebook tables show floats to 4 significant digits and NaN as ``nan`` (a notebook
    user reads it as the value it is), anything else as text."""
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.4g}"
    return str(value)


@functools.cache
def environment(flavour: Flavour) -> Environment:
    """The environment for ``"html"`` (autoescape on) or ``"markdown"`` output.

    ``StrictUndefined``: a template reading a key a result lacks raises rather than
    printing an empty cell, so a stale template cannot silently drop numbers.
    """
    html = flavour == "html"
    env = Environment(loader=PackageLoader("headprint.report", "templates"),
                      autoescape=html, undefined=StrictUndefined, trim_blocks=True,
                      lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(fmt=formatting.fmt, fmt_ci=formatting.fmt_ci,
                       mean_sd=formatting.mean_sd, num=formatting.num,
                       p_value=formatting.p_value, percent=formatting.percent,
                       data_label=formatting.data_label, notebook_cell=_notebook_cell,
                       cell=_html_cell if html else _md_cell)
    env.globals.update(macros="html/macros.j2" if html else "md/macros.j2",
                       ci_legend=formatting.ci_legend, heading_offset=0, flavour=flavour)
    return env


def render_html(template: str, **context: Any) -> Markup:
    """Render ``template`` as HTML; the result is safe to insert into another page."""
    return Markup(environment("html").get_template(template).render(**context))


_BLANK_RUNS = re.compile(r"\n{3,}")
_TRAILING = re.compile(r"[ \t]+\n")


def render_markdown(template: str, **context: Any) -> str:
    """Render ``template`` as Markdown: trailing spaces removed, at most one blank line in
    a row (template control lines leave gaps that Markdown would read as nothing anyway),
    one final newline."""
    text = environment("markdown").get_template(template).render(**context)
    text = _BLANK_RUNS.sub("\n\n", _TRAILING.sub("\n", text))
    return text.strip("\n") + "\n"
