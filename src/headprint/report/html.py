"""One self-contained HTML page from everything a run folder holds.

The page needs no network and no other file: figures are embedded as base64 PNG, CSS and
the table-sorting script are inline (``templates/page.html.j2``, the one layout of every
headprint page). Sections follow the folder tree; each result JSON is rendered from its
numbers with the template of its kind (:mod:`headprint.report.summaries`). A provenance
table at the top says which model, method, loss scaling, data and sample counts every
pattern set came from, because a figure without that is not citable.
"""
from __future__ import annotations

import base64
import csv
import datetime as _dt
import io
import json
import logging
import os
from pathlib import Path
from typing import Any, Sequence

from markupsafe import Markup

from headprint import __version__
from headprint.io import atomic_write_with
from headprint.report.collect import Collection, Result, collect
from headprint.report.summaries import render_result_html
from headprint.report.templating import environment

__all__ = ["build_report", "render_page", "page_context", "REPORT_FILE"]

REPORT_FILE = "report.html"
log = logging.getLogger(__name__)

_PROVENANCE_COLUMNS = ["pattern set", "model", "fingerprint", "method", "loss", "dtype",
                       "data", "split", "N", "L×H", "task", "step", "created"]


def now_utc() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _provenance(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Table rows, a one-line summary always visible, and whether the table starts open
    (folded when it is long)."""
    table = []
    for r in rows:
        data = r.get("data")
        source = data.get("source") if isinstance(data, dict) else data
        split = r.get("split") or (data.get("split") if isinstance(data, dict) else None)
        shape = (f"{r['num_layers']}×{r['num_heads']}"
                 if r.get("num_layers") is not None else "")
        table.append([r.get("where"), r.get("model"), str(r.get("model_fingerprint") or "")[:16],
                      r.get("method"), r.get("loss"), r.get("dtype") or "float32", source,
                      split, r.get("n_samples"), shape, r.get("task"), r.get("step"),
                      str(r.get("created") or "")[:16].replace("T", " ")])

    def distinct(col: int) -> str:
        values = sorted({str(row[col]) for row in table if row[col] not in (None, "")})
        return ", ".join(values[:8]) + (f" and {len(values) - 8} more" if len(values) > 8
                                        else "") or "?"

    summary = (f"{len(table)} pattern sets. Models: {distinct(1)}. Methods: {distinct(3)}. "
               f"Loss scaling: {distinct(4)}. Data: {distinct(6)}.") if table else ""
    return {"columns": _PROVENANCE_COLUMNS, "rows": table, "summary": summary,
            "open": len(table) <= 12}


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG header (IHDR is always the first chunk)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return 0, 0
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _figure(path: Path, root: Path) -> dict[str, Any]:
    raw = path.read_bytes()
    width, height = _png_size(raw)
    return {"name": path.name, "rel": str(path.relative_to(root)),
            "wide": bool(height and width / height > 1.6),  # span two grid columns
            "data": base64.b64encode(raw).decode("ascii")}


def _result(result: Result) -> Markup:
    """The rendered result. A result the template cannot read (written by an older
    headprint, or edited) degrades to its Markdown twin as written, or to its raw JSON,
    with the reason, rather than failing the page."""
    try:
        return render_result_html(result.kind, result.data)
    except Exception as err:  # noqa: BLE001 - any template error degrades to the files
        log.warning("%s: cannot render as %s (%s); shown as written", result.path,
                    result.kind, err)
        shown = result.summary or result.path
        body = (shown.read_text(encoding="utf-8", errors="replace") if result.summary
                else json.dumps(result.data, indent=2))
        return Markup(environment("html").get_template("unrendered.html.j2").render(
            name=shown.name, error=f"{type(err).__name__}: {err}", body=body))


def _csv(path: Path) -> dict[str, Any]:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8", errors="replace"))))
    return {"name": path.name, "columns": rows[0] if rows else [], "rows": rows[1:]}


def page_context(found: Collection, title: str,
                 links: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
    """What ``report.html.j2`` shows for a :class:`Collection` (files are read here)."""
    sections = []
    for i, sec in enumerate(found.sections):
        sections.append({
            "anchor": f"s{i}", "label": "(run folder)" if sec.rel == "." else sec.rel,
            "results": [_result(r) for r in sec.results],
            "csv": [_csv(p) for p in sec.tables],
            "texts": [{"name": p.name, "body": p.read_text(encoding="utf-8", errors="replace")}
                      for p in sec.texts],
            "figures": [_figure(p, found.root) for p in sec.figures],
            "json": [{"name": p.name, "body": json.dumps(
                json.loads(p.read_text(encoding="utf-8")), indent=2)} for p in sec.json]})
    return {"title": title, "root": str(found.root), "created": now_utc(),
            "version": __version__, "links": list(links),
            "provenance": _provenance(found.provenance), "sections": sections,
            "skipped": found.skipped}


def render_page(found: Collection, title: str, links: Sequence[tuple[str, str]] = ()) -> str:
    """The page for a :class:`Collection`, as a string; ``links`` ((label, href) pairs,
    hrefs relative to the page) open the page as a table of contents."""
    template = environment("html").get_template("report.html.j2")
    return template.render(**page_context(found, title, links))


def build_report(folder: str | Path, out: str | Path | None = None,
                 title: str | None = None, links: Sequence[tuple[str, str]] = ()) -> Path:
    """Collect every result, table, figure and manifest under ``folder`` into one page.

    Args:
        folder: run folder to scan recursively.
        out: page to write (default ``folder/report.html``); written atomically.
        title: page title (default ``headprint report: <folder name>``).
        links: (label, href) pairs listed first, e.g. other pages of the same run.

    Returns:
        The path of the written page.
    """
    folder = Path(folder)
    out = Path(out) if out else folder / REPORT_FILE
    found = collect(folder, exclude={out})
    page = render_page(found, title or f"headprint report: {folder.resolve().name}", links)

    def write(tmp: str) -> None:
        Path(tmp).write_text(page, encoding="utf-8")
        # mkstemp creates 0600 files; a report is meant to be opened and shared.
        os.chmod(tmp, 0o644)

    return atomic_write_with(out, write)
