"""Stages compute, ``report/`` presents: no module outside ``headprint/report`` draws,
renders HTML or builds Markdown.

Checked on the source of every module of the installed package: its imports (matplotlib,
Jinja2, markupsafe and the ``html`` module belong to ``report/``) and its string literals
other than docstrings (HTML tags, Markdown headings and pipe tables). Placeholders such as
``<task>`` in messages are not tags and pass.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import headprint

PACKAGE = Path(headprint.__file__).resolve().parent
REPORT = PACKAGE / "report"
PRESENTATION_IMPORTS = ("matplotlib", "jinja2", "markupsafe", "html")
HTML_TAG = re.compile(r"</?(html|head|body|div|span|table|thead|tbody|tr|td|th|p|ul|ol|li|"
                      r"h[1-6]|img|a|code|pre|strong|em|figure|figcaption|section|style|"
                      r"script|details|summary|nav|header|main|br)(\s[^<>]*)?/?>", re.I)
MARKDOWN = [re.compile(r"(^|\n)#{1,6} \S"),          # a heading
            re.compile(r"\|\s*:?-{3,}:?\s*\|"),      # a table's separator row
            re.compile(r"(^|\n)\|.*\|\s*($|\n)"),    # a table row
            re.compile(r"\*\*[^*\s][^*]*\*\*")]      # bold


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if REPORT not in p.parents)


def docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings (module, class, function)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    # attribute docstrings (a string right after an assignment) document, they do not render
    for node in ast.walk(tree):
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if isinstance(block, list):
                for prev, stmt in zip(block, block[1:]):
                    if isinstance(prev, (ast.Assign, ast.AnnAssign)) and isinstance(
                            stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                        found.add(id(stmt.value))
    return found


def test_the_boundary_check_sees_the_package():
    names = {p.relative_to(PACKAGE).as_posix() for p in modules()}
    assert {"analysis/api.py", "experiments/table1.py", "results.py"} <= names
    assert not any(n.startswith("report/") for n in names)


def test_no_module_outside_report_imports_presentation_libraries():
    offenders = []
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level
                     else [])
            offenders += [f"{path.relative_to(PACKAGE)}:{node.lineno} imports {n}"
                          for n in names if n.split(".")[0] in PRESENTATION_IMPORTS]
    assert offenders == []


def test_no_module_outside_report_builds_html_or_markdown():
    offenders = []
    for path in modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = docstrings(tree)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)) \
                    or id(node) in skip:
                continue
            where = f"{path.relative_to(PACKAGE)}:{node.lineno}"
            if HTML_TAG.search(node.value):
                offenders.append(f"{where} HTML {node.value[:60]!r}")
            offenders += [f"{where} Markdown {node.value[:60]!r}" for pattern in MARKDOWN
                          if pattern.search(node.value)]
    assert offenders == []


def test_the_checks_catch_what_they_look_for():
    samples = ['"<td>x</td>"', '"## Notes\\n"', '"|---|---|"', '"| a | b |"', '"**bold**"']
    for text in samples:
        value = ast.literal_eval(text)
        assert HTML_TAG.search(value) or any(p.search(value) for p in MARKDOWN), text
    for text in ("folder <task>/step-<k>", "a | b", "2 * 3 * 4", "compile(p, '<generation>')"):
        assert not HTML_TAG.search(text) and not any(p.search(text) for p in MARKDOWN), text
