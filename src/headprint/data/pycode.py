"""``pycode``: docstring → function pairs mined from the installed Python standard library.

CodeSearchNet's recipe (Husain et al., 2019) applied to ``sysconfig.get_paths()["stdlib"]``:
pair each documented function or method with its docstring, and take the code without the
docstring as the target. Filters, as in CodeSearchNet plus a size cap for CPU budgets:

- folders skipped: ``test``, ``tests``, ``idle_test``, ``idlelib``, ``turtledemo``,
  ``ensurepip``, ``pydoc_data``, ``encodings``, ``site-packages``, ``lib-dynload``,
  ``config-*``, and any folder or module whose name starts with ``_`` or ``.``
  (``__init__.py`` kept); files named ``test*``;
- functions skipped: dunder names (``__init__``, ``__repr__``, ...), names containing
  ``test``, nested functions, docstrings under 3 words or over 1,200 characters, code under
  3 non-blank lines or over 3,000 characters, and exact duplicate code (first kept).

Files are walked in sorted order, so the rows and their order are deterministic for a given
Python installation (the manifest records the version). Row format::

    prompt     "Write the Python function `<name>` documented below.", then the docstring
               between triple double-quotes, each on its own line
    completion the function's source (decorators included) without its docstring, dedented
    meta       {"module", "qualname", "path" (relative to stdlib), "lineno", "python"}
    id         "pycode/<module>:<qualname>" (+ "#2", "#3" for redefinitions)
"""
from __future__ import annotations

import ast
import functools
import os
import platform
import sysconfig
import textwrap
from pathlib import Path

__all__ = ["stdlib_root", "split_function", "mine_stdlib", "pycode", "pycode_codesearchnet"]

SKIP_DIRS = frozenset({"test", "tests", "idle_test", "idlelib", "turtledemo", "ensurepip",
                       "pydoc_data", "encodings", "site-packages", "dist-packages",
                       "lib-dynload"})
MAX_DOC_CHARS, MAX_CODE_CHARS, MIN_CODE_LINES, MIN_DOC_WORDS = 1200, 3000, 3, 3


def stdlib_root() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def _module_files(root: Path) -> list[tuple[str, Path]]:
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith(("_", "."))
                         and not d.startswith("config-"))
        for name in sorted(files):
            if not name.endswith(".py") or name.startswith("test"):
                continue
            if name.startswith(("_", ".")) and name != "__init__.py":
                continue
            rel = (Path(folder) / name).relative_to(root)
            parts = list(rel.with_suffix("").parts)
            module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found.append((module, root / rel))
    return found


def split_function(node: ast.FunctionDef | ast.AsyncFunctionDef,
                   lines: list[str]) -> tuple[str, str] | None:
    """``(docstring, code without docstring)`` of a parsed function, or None if it has no
    docstring or the docstring shares a line with other code."""
    doc = ast.get_docstring(node)
    if not doc or not node.body:
        return None
    first = node.body[0]
    start = node.decorator_list[0].lineno if node.decorator_list else node.lineno
    if first.lineno <= node.lineno or first.end_lineno is None or node.end_lineno is None:
        return None
    if lines[first.lineno - 1][: first.col_offset].strip() or \
            lines[first.end_lineno - 1][first.end_col_offset:].strip():
        return None
    kept = lines[start - 1: first.lineno - 1] + lines[first.end_lineno: node.end_lineno]
    code = textwrap.dedent("\n".join(kept)).strip("\n")
    if not code.startswith(("def ", "async def ", "@")):
        return None
    return doc, code


def _functions(tree: ast.Module, lines: list[str]):
    """Yield ``(qualname, node, doc, code)`` for module-level functions and methods."""
    stack: list[tuple[str, ast.AST]] = [("", tree)]
    while stack:
        prefix, parent = stack.pop(0)
        for node in parent.body:
            if isinstance(node, ast.ClassDef):
                stack.append((f"{prefix}{node.name}.", node))
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                pair = split_function(node, lines)
                if pair:
                    yield prefix + node.name, node, pair[0], pair[1]


def _keep(name: str, doc: str, code: str) -> bool:
    if name.startswith("__") and name.endswith("__") or "test" in name.lower():
        return False
    code_lines = [line for line in code.splitlines() if line.strip()]
    if not (len(doc.split("\n\n")[0].split()) >= MIN_DOC_WORDS and len(doc) <= MAX_DOC_CHARS
            and len(code_lines) >= MIN_CODE_LINES and len(code) <= MAX_CODE_CHARS):
        return False
    try:  # dedenting fails on bodies holding less-indented multi-line strings
        ast.parse(code)
    except SyntaxError:
        return False
    return True


def _prompt(name: str, doc: str) -> str:
    return f'Write the Python function `{name}` documented below.\n"""\n{doc}\n"""\n'


@functools.lru_cache(maxsize=4)
def _mine(root: str) -> tuple[dict, ...]:
    records: list[dict] = []
    seen_code: set[str] = set()
    seen_ids: dict[str, int] = {}
    python = platform.python_version()
    for module, path in _module_files(Path(root)):
        try:
            source = path.read_text(encoding="utf-8")
            tree = ast.parse(source)
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        lines = source.splitlines()
        for qualname, node, doc, code in _functions(tree, lines):
            if not _keep(node.name, doc, code) or code in seen_code:
                continue
            seen_code.add(code)
            base = f"pycode/{module}:{qualname}"
            seen_ids[base] = seen_ids.get(base, 0) + 1
            records.append({
                "id": base if seen_ids[base] == 1 else f"{base}#{seen_ids[base]}",
                "prompt": _prompt(node.name, doc), "completion": code,
                "meta": {"module": module, "qualname": qualname,
                         "path": str(path.relative_to(root)), "lineno": node.lineno,
                         "python": python}})
    return tuple(records)


def mine_stdlib(root: str | Path | None = None) -> list[dict]:
    """All pycode rows of the standard library at ``root`` (default: this Python's).

    Takes a few seconds the first time (parsing ~700 files); cached per process.
    """
    return [{**r, "meta": dict(r["meta"])} for r in _mine(str(root or stdlib_root()))]


def pycode(docs: list[dict], split: str) -> list[dict]:
    """Builder: mined rows are already in row form (``docs`` come from :func:`mine_stdlib`)."""
    return docs


def pycode_codesearchnet(docs: list[dict], split: str) -> list[dict]:
    """Builder for the hub path: CodeSearchNet python rows (``func_name``,
    ``func_code_string``) turned into the same prompt/completion form."""
    rows = []
    for i, doc in enumerate(docs):
        source = textwrap.dedent(doc["func_code_string"])
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        funcs = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        pair = split_function(funcs[0], source.splitlines()) if funcs else None
        if pair and _keep(funcs[0].name, *pair):
            rows.append({"id": f"pycode/{split}/{i}", "prompt": _prompt(funcs[0].name, pair[0]),
                         "completion": pair[1], "meta": {"func_name": doc.get("func_name")}})
    return rows
