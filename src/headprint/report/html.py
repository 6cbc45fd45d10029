"""One self-contained HTML page from everything a run folder holds.

The page needs no network and no other file: figures are embedded as base64 PNG, CSS and
the table-sorting script are inline. Sections follow the folder tree; a provenance table
at the top says which model, method, loss scaling, data and sample counts every pattern
set came from, because a figure without that is not citable.
"""
from __future__ import annotations

import base64
import datetime as _dt
import html
import json
import os
from pathlib import Path
from typing import Any, Sequence

from headprint import __version__
from headprint.io import atomic_write_with
from headprint.report.collect import Collection, collect
from headprint.report.markdown import csv_to_html, markdown_to_html

__all__ = ["build_report", "render_html", "REPORT_FILE"]

REPORT_FILE = "report.html"

_CSS = """
:root { --fg:#1d232b; --muted:#5b6573; --line:#d9dee5; --bg:#fff; --accent:#2b5c9e;
        --stripe:#f5f7fa; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
       color:var(--fg); background:var(--bg); }
header { padding:28px 40px 18px; border-bottom:1px solid var(--line); background:#f8fafc; }
header h1 { margin:0 0 6px; font-size:26px; }
header p { margin:2px 0; color:var(--muted); }
nav { padding:12px 40px; border-bottom:1px solid var(--line); font-size:14px; }
nav a { margin-right:16px; color:var(--accent); text-decoration:none; white-space:nowrap; }
main { padding:8px 40px 60px; max-width:1400px; }
section.folder { border-top:1px solid var(--line); margin-top:28px; padding-top:8px; }
h2 { font-size:21px; margin:18px 0 8px; }
h3 { font-size:18px; margin:18px 0 6px; }
h4 { font-size:15px; margin:14px 0 6px; color:var(--muted); }
code, pre { font-family: ui-monospace,SFMono-Regular,Menlo,monospace; font-size:13px; }
pre { background:var(--stripe); padding:10px; overflow:auto; border-radius:4px; }
.table-wrap { overflow-x:auto; margin:6px 0 14px; }
table { border-collapse:collapse; font-size:13.5px; }
th, td { border-bottom:1px solid var(--line); padding:5px 10px; text-align:left;
         vertical-align:top; }
td { font-variant-numeric: tabular-nums; }
thead th { background:#eef2f7; position:sticky; top:0; }
table.sortable th { cursor:pointer; user-select:none; }
table.sortable th[aria-sort=ascending]::after { content:" ▲"; }
table.sortable th[aria-sort=descending]::after { content:" ▼"; }
tbody tr:nth-child(even) { background:var(--stripe); }
.figures { display:grid; grid-template-columns:repeat(auto-fill, minmax(330px, 1fr));
           gap:16px; margin:10px 0 18px; align-items:start; }
figure { margin:0; border:1px solid var(--line); border-radius:6px; padding:8px;
         background:#fff; }
figure.wide { grid-column: span 2; }
figure.zoom { grid-column: 1 / -1; }
figure img { display:block; width:100%; height:auto; cursor:zoom-in; }
figure.zoom img { cursor:zoom-out; }
td.nowrap { white-space:nowrap; }
.summary { margin:6px 0 10px; }
figcaption { font-size:12.5px; color:var(--muted); margin-top:4px; }
details { margin:8px 0; } summary { cursor:pointer; color:var(--accent); }
.empty { color:var(--muted); font-style:italic; }
"""

# Click a figure to widen it to the full page width and back.
# Click a header to sort; numeric when every non-empty cell starts with a number
# ("0.48 [0.45, 0.51]" sorts by 0.48), text otherwise.
_JS = """
document.querySelectorAll("figure img").forEach(function (img) {
  img.addEventListener("click", function () { img.parentNode.classList.toggle("zoom"); });
});
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("thead th").forEach(function (th, col) {
    th.addEventListener("click", function () {
      var body = table.tBodies[0], rows = Array.from(body.rows);
      var asc = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("thead th").forEach(function (o) { o.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      var key = function (r) { return (r.cells[col] || {textContent: ""}).textContent.trim(); };
      var num = rows.every(function (r) { var k = key(r); return k === "" || k === "n/a" ||
        !isNaN(parseFloat(k)); });
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        if (num) { x = parseFloat(x); y = parseFloat(y);
          if (isNaN(x)) x = -Infinity; if (isNaN(y)) y = -Infinity; }
        var c = num ? x - y : x.localeCompare(y, undefined, {numeric: true});
        return asc ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
"""


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _provenance_rows(rows: list[dict[str, Any]]) -> list[list[Any]]:
    out = []
    for r in rows:
        data = r.get("data")
        source = data.get("source") if isinstance(data, dict) else data
        split = r.get("split") or (data.get("split") if isinstance(data, dict) else None)
        shape = (f"{r['num_layers']}×{r['num_heads']}"
                 if r.get("num_layers") is not None else "")
        out.append([r.get("where"), r.get("model"), str(r.get("model_fingerprint") or "")[:16],
                    r.get("method"), r.get("loss"), r.get("dtype") or "float32", source, split,
                    r.get("n_samples"), shape,
                    r.get("task"), r.get("step"),
                    str(r.get("created") or "")[:16].replace("T", " ")])
    return out


def _provenance_html(rows: list[dict[str, Any]]) -> str:
    """A one-line summary always visible, the full table folded when it is long."""
    if not rows:
        return '<p class="empty">No pattern-set manifests found.</p>\n'
    cols = ["pattern set", "model", "fingerprint", "method", "loss", "dtype", "data", "split",
            "N", "L×H", "task", "step", "created"]
    table = _provenance_rows(rows)
    body = "".join("<tr>" + "".join(
        f'<td class="nowrap">{_esc(v)}</td>' if c in (0, 12) else f"<td>{_esc(v)}</td>"
        for c, v in enumerate(row)) + "</tr>" for row in table)
    head = "".join(f'<th scope="col">{_esc(c)}</th>' for c in cols)

    def distinct(col: int) -> str:
        values = sorted({str(row[col]) for row in table if row[col] not in (None, "")})
        return ", ".join(values[:8]) + (f" and {len(values) - 8} more" if len(values) > 8
                                        else "") or "?"

    summary = (f"{len(table)} pattern sets. Models: {distinct(1)}. Methods: {distinct(3)}. "
               f"Loss scaling: {distinct(4)}. Data: {distinct(5)}.")
    grid = (f'<div class="table-wrap"><table class="sortable"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")
    is_open = " open" if len(table) <= 12 else ""
    return (f'<p class="summary">{_esc(summary)}</p>\n<details{is_open}>'
            f"<summary>Manifest of every pattern set</summary>{grid}</details>\n")


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG header (IHDR is always the first chunk)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return 0, 0
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _figure(path: Path, rel: str) -> str:
    raw = path.read_bytes()
    width, height = _png_size(raw)
    wide = ' class="wide"' if height and width / height > 1.6 else ""  # span two columns
    data = base64.b64encode(raw).decode("ascii")
    return (f'<figure{wide}><img alt="{_esc(path.name)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{_esc(rel)}</figcaption></figure>")


def _links_html(links: Sequence[tuple[str, str]]) -> str:
    if not links:
        return ""
    items = "".join(f'<li><a href="{_esc(href)}">{_esc(label)}</a></li>' for label, href in links)
    return f'<section id="contents"><h2>Contents</h2><ul>{items}</ul></section>\n'


def render_html(found: Collection, title: str,
                links: Sequence[tuple[str, str]] = ()) -> str:
    """The page for a :class:`Collection`, as a string; ``links`` ((label, href) pairs,
    hrefs relative to the page) open the page as a table of contents."""
    created = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    nav = ['<a href="#provenance">Provenance</a>']
    parts = [_links_html(links) + '<section id="provenance"><h2>Provenance</h2>\n'
             "<p>Every pattern set found in the folder or used by an analysis in it.</p>\n"
             + _provenance_html(found.provenance) + "</section>\n"]
    for i, sec in enumerate(found.sections):
        anchor = f"s{i}"
        label = "(run folder)" if sec.rel == "." else sec.rel
        nav.append(f'<a href="#{anchor}">{_esc(label)}</a>')
        body = [f'<section class="folder" id="{anchor}"><h2>{_esc(label)}</h2>\n']
        for table in sec.tables:
            text = table.read_text(encoding="utf-8", errors="replace")
            body.append(markdown_to_html(text, heading_offset=2) if table.suffix == ".md" else
                        f"<h3>{_esc(table.name)}</h3>\n" + csv_to_html(text))
        if sec.figures:
            body.append('<div class="figures">' + "".join(
                _figure(f, str(f.relative_to(found.root))) for f in sec.figures) + "</div>\n")
        for path in sec.json:
            text = json.dumps(json.loads(path.read_text(encoding="utf-8")), indent=2)
            body.append(f"<details><summary>{_esc(path.name)}</summary>"
                        f"<pre>{_esc(text)}</pre></details>\n")
        parts.append("".join(body) + "</section>\n")
    if not found.sections:
        parts.append('<p class="empty">No tables or figures found in this folder.</p>\n')
    if found.skipped:
        parts.append("<h2>Skipped</h2><ul>" + "".join(f"<li>{_esc(s)}</li>"
                                                     for s in found.skipped) + "</ul>\n")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_esc(title)}</title>\n<style>{_CSS}</style></head>\n<body>\n"
            f"<header><h1>{_esc(title)}</h1>\n<p>Folder: <code>{_esc(found.root)}</code></p>\n"
            f"<p>Generated {created} by headprint {__version__}</p></header>\n"
            f"<nav>{''.join(nav)}</nav>\n<main>\n{''.join(parts)}</main>\n"
            f"<script>{_JS}</script>\n</body></html>\n")


def build_report(folder: str | Path, out: str | Path | None = None,
                 title: str | None = None, links: Sequence[tuple[str, str]] = ()) -> Path:
    """Collect every table, figure and manifest under ``folder`` into one HTML page.

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
    page = render_html(found, title or f"headprint report: {folder.resolve().name}", links)

    def write(tmp: str) -> None:
        Path(tmp).write_text(page, encoding="utf-8")
        # mkstemp creates 0600 files; a report is meant to be opened and shared.
        os.chmod(tmp, 0o644)

    return atomic_write_with(out, write)
