"""A small Markdown-to-HTML converter for the tables headprint writes.

Covers what result files use: ATX headings, pipe tables, bullet lists, fenced code,
paragraphs, and inline ``code``, ``**bold**``, ``*italic*`` and ``[links](href)``.
Everything is HTML-escaped first, so a label containing ``<script>`` shows as text. A
dependency-free subset rather than a Markdown package, because the report must build in
the bare runtime environment.
"""
from __future__ import annotations

import csv
import html
import io
import re

__all__ = ["markdown_to_html", "csv_to_html", "split_row"]

_INLINE_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*([^*]+)\*\*")
# single stars that open and close at word boundaries, so 2*3*4 or a lone * stay as text;
# never across a tag, so globs in two code spans (`a-*/x`, `*.json`) are left alone
_ITALIC = re.compile(r"(?<![*\w])\*([^*\s<>](?:[^*<>]*[^*\s<>])?)\*(?![*\w])")
_BULLET = re.compile(r"^[-*]\s+")
_LINK = re.compile(r"(?<!!)\[([^\]]+)\]\(([^)\s]+)\)")


def _inline(text: str) -> str:
    out = html.escape(text, quote=False)
    out = _INLINE_CODE.sub(r"<code>\1</code>", out)
    out = _LINK.sub(_link, out)
    out = _BOLD.sub(r"<strong>\1</strong>", out)
    return _ITALIC.sub(r"<em>\1</em>", out)


def _link(match: re.Match) -> str:
    text, href = match.group(1), match.group(2).replace('"', "%22")
    scheme = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*):", href)
    if scheme and scheme.group(1).lower() not in ("http", "https", "mailto"):
        return text  # no javascript: or data: links in a page people open locally
    return f'<a href="{href}">{text}</a>'


def split_row(line: str) -> list[str]:
    """Cells of a pipe-table row; ``\\|`` is a literal bar inside a cell."""
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
    cells = re.split(r"(?<!\\)\|", body)
    return [c.strip().replace("\\|", "|") for c in cells]


def _is_separator(line: str) -> bool:
    cells = split_row(line)
    return bool(cells) and all(re.fullmatch(r":?-{3,}:?", c) for c in cells)


def _table(lines: list[str]) -> str:
    head = split_row(lines[0])
    body = [split_row(r) for r in lines[2:]]
    ths = "".join(f'<th scope="col">{_inline(c)}</th>' for c in head)
    trs = "".join("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in row) + "</tr>\n"
                  for row in body)
    return (f'<div class="table-wrap"><table class="sortable">\n<thead><tr>{ths}</tr></thead>'
            f"\n<tbody>\n{trs}</tbody></table></div>\n")


def csv_to_html(text: str) -> str:
    """A CSV file (first row: header) as a sortable table."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return ""
    ths = "".join(f'<th scope="col">{html.escape(c)}</th>' for c in rows[0])
    trs = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>\n"
                  for row in rows[1:])
    return (f'<div class="table-wrap"><table class="sortable">\n<thead><tr>{ths}</tr></thead>'
            f"\n<tbody>\n{trs}</tbody></table></div>\n")


def markdown_to_html(text: str, heading_offset: int = 0) -> str:
    """Convert ``text``; headings are demoted by ``heading_offset`` levels (max ``h6``)."""
    lines = text.splitlines()
    out: list[str] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            out.append(f"<p>{_inline(' '.join(para))}</p>\n")
            para.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        heading = re.match(r"^(#{1,6})\s+(.*)$", stripped)
        if not stripped:
            flush()
        elif stripped.startswith("```"):
            flush()
            j = i + 1
            while j < len(lines) and not lines[j].strip().startswith("```"):
                j += 1
            out.append(f"<pre>{html.escape(chr(10).join(lines[i + 1:j]))}</pre>\n")
            i = j
        elif heading:
            flush()
            level = min(len(heading.group(1)) + heading_offset, 6)
            out.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>\n")
        elif stripped.startswith("|") and i + 1 < len(lines) and _is_separator(lines[i + 1]):
            flush()
            j = i + 2
            while j < len(lines) and lines[j].strip().startswith("|"):
                j += 1
            out.append(_table(lines[i:j]))
            i = j - 1
        elif _BULLET.match(stripped):
            flush()
            items = []
            while i < len(lines) and _BULLET.match(lines[i].strip()):
                items.append(f"<li>{_inline(_BULLET.sub('', lines[i].strip()))}</li>")
                i += 1
            out.append("<ul>" + "".join(items) + "</ul>\n")
            continue
        else:
            para.append(stripped)
        i += 1
    flush()
    return "".join(out)
