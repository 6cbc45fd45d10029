"""One template per kind of result, rendered as Markdown beside its JSON or as HTML in a page.

A *result* is the JSON a headprint command writes: ``stats``, ``compare``, ``similarity``,
``compose``, ``track`` (analysis, ``headprint.kind == "analysis"``), ``experiment``
(``reproduce``'s ``results.json``), ``validate`` and ``eval`` (``headprint eval``'s
``results.json``, recognised by its lm-eval version). :func:`kind_of` tells them apart;
``results/<kind>.j2`` renders each from the parsed JSON alone, so a page can be rebuilt
from the files at any time and the Markdown summary always says what the JSON says.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from markupsafe import Markup

from headprint.io import atomic_write_text
from headprint.report.templating import render_html, render_markdown

__all__ = ["ANALYSIS_COMMANDS", "KINDS", "kind_of", "summary_name", "template_of",
           "render_summary", "render_result_html", "write_summary"]

#: Analysis commands whose results have a template (``results/<command>.j2``).
ANALYSIS_COMMANDS = ("stats", "compare", "similarity", "compose", "track")
KINDS = (*ANALYSIS_COMMANDS, "experiment", "validate", "eval")


def kind_of(data: Mapping[str, Any]) -> str | None:
    """The kind of a parsed result JSON, or None for any other JSON."""
    header = data.get("headprint")
    if isinstance(header, dict):
        kind = header.get("kind")
        if kind == "analysis":
            command = header.get("command")
            return command if command in ANALYSIS_COMMANDS else None
        return kind if kind in ("experiment", "validate") else None
    versions = data.get("versions")
    if isinstance(versions, dict) and "lm_eval" in versions and isinstance(
            data.get("tasks"), dict):
        return "eval"
    return None


def summary_name(kind: str, json_name: str) -> str:
    """File name of the Markdown twin of result ``json_name``: ``report.md`` beside an
    experiment's ``results.json``, else the JSON's stem with ``.md``."""
    return "report.md" if kind == "experiment" else f"{Path(json_name).stem}.md"


def template_of(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"no template for results of kind {kind!r}; known: {KINDS}")
    return f"results/{kind}.j2"


def render_summary(kind: str, data: Mapping[str, Any]) -> str:
    """The Markdown summary of a result."""
    return render_markdown(template_of(kind), data=data)


def render_result_html(kind: str, data: Mapping[str, Any], heading_offset: int = 2) -> Markup:
    """The HTML of a result for a page; its ``#`` headings become ``h{1 + offset}``."""
    return render_html(template_of(kind), data=data, heading_offset=heading_offset)


def write_summary(kind: str, data: Mapping[str, Any], path: str | Path) -> Path:
    """Write the Markdown summary of a result to ``path`` (atomically)."""
    return atomic_write_text(path, render_summary(kind, data))
