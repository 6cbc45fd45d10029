"""Find what a run folder holds: results, tables, figures, provenance.

Collected recursively (hidden folders and temporary files skipped):

- results: every JSON a headprint command wrote (:func:`headprint.report.summaries.kind_of`
  knows them), with its Markdown twin (the same template rendered as Markdown) if present;
  the page renders each from its numbers, and shows the twin only if that fails;
- tables: every small ``*.csv`` file; texts: any other ``*.md`` file, shown as written;
- figures: every ``*.png``;
- provenance: every pattern set's ``manifest.json``, plus the ``inputs`` recorded in
  headprint result JSONs (so pattern sets stored outside the folder still appear);
- other small JSON files (metrics of other stages) without a Markdown twin, shown raw.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from headprint.report.summaries import kind_of, summary_name

__all__ = ["Section", "Collection", "Result", "collect", "natural_key"]

MAX_JSON_BYTES = 64_000   # larger JSON files are data, not results a reader skims
MAX_RESULT_BYTES = 32_000_000  # a result JSON (every subset of a compose) may be larger
MAX_PNG_BYTES = 20_000_000
MAX_CSV_BYTES = 256_000
SKIP_DIRS = {"__pycache__", "node_modules", ".git"}
# JSON files of model checkpoints and tokenizers: configuration, not results.
SKIP_JSON = {"config.json", "generation_config.json", "tokenizer.json",
             "tokenizer_config.json", "special_tokens_map.json", "trainer_state.json",
             "adapter_config.json", "vocab.json", "added_tokens.json", "chat_template.json",
             "model.safetensors.index.json", "preprocessor_config.json"}


@dataclass
class Result:
    """A result JSON written by a headprint command: its path, kind and parsed numbers, and
    its Markdown twin (``summary``) when the folder holds one."""

    path: Path
    kind: str
    data: dict[str, Any]
    summary: Path | None = None


@dataclass
class Section:
    """Everything found in one folder (``rel``: path relative to the root, ``.`` for it)."""

    rel: str
    results: list[Result] = field(default_factory=list)
    tables: list[Path] = field(default_factory=list)
    texts: list[Path] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)
    json: list[Path] = field(default_factory=list)


@dataclass
class Collection:
    """What :func:`collect` found: sections in folder order, provenance rows, skipped files."""

    root: Path
    sections: list[Section]
    provenance: list[dict[str, Any]]
    skipped: list[str]


def natural_key(text: str) -> list[Any]:
    """Sort key under which ``step-5`` comes before ``step-10``."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text)]


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _read_small_or_result(path: Path) -> Any:
    """Parse a JSON file when it is small, or when it is larger but starts like a
    headprint result (its header comes first), so big data files are never parsed."""
    size = path.stat().st_size
    if size <= MAX_JSON_BYTES:
        return _read_json(path)
    if size > MAX_RESULT_BYTES:
        return None
    with path.open("rb") as handle:
        head = handle.read(256)
    return _read_json(path) if b'"headprint"' in head else None


def _manifest_row(path: Path, m: dict[str, Any], root: Path) -> dict[str, Any]:
    row = {k: m.get(k) for k in ("model", "model_fingerprint", "method", "loss", "dtype",
                                 "data",
                                 "split", "n_samples", "num_layers", "num_heads", "task",
                                 "step", "created")}
    row["path"] = str(path)
    try:
        row["where"] = str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        row["where"] = str(path)
    return row


def collect(folder: str | Path, exclude: set[Path] | None = None) -> Collection:
    """Scan ``folder`` recursively; ``exclude`` lists files to ignore (e.g. the report)."""
    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(f"report folder {root} does not exist")
    exclude = {p.resolve() for p in exclude or set()}
    sections: list[Section] = []
    provenance: dict[str, dict[str, Any]] = {}
    skipped: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted((d for d in dirnames if not d.startswith(".") and d not in SKIP_DIRS),
                             key=natural_key)
        here = Path(dirpath)
        section = Section(str(here.relative_to(root)))
        names = sorted((f for f in filenames if not f.startswith(".") and not f.endswith(".tmp")),
                       key=natural_key)
        order: list[str] = []  # figure order chosen by the command that wrote them
        rendered: set[str] = set()  # Markdown twins of results the page renders itself
        jsons: list[tuple[Path, Any]] = []
        for name in names:
            path = here / name
            if path.resolve() in exclude:
                continue
            if name.endswith(".csv") and path.stat().st_size <= MAX_CSV_BYTES:
                section.tables.append(path)
            elif name.endswith(".md"):
                section.texts.append(path)
            elif name.endswith(".png"):
                if path.stat().st_size > MAX_PNG_BYTES:
                    skipped.append(f"{path}: image larger than {MAX_PNG_BYTES} bytes")
                else:
                    section.figures.append(path)
            elif name == "manifest.json" and (here / "patterns.safetensors").exists():
                m = _read_json(path)
                if isinstance(m, dict):
                    provenance[str(here.resolve())] = _manifest_row(here, m, root)
            elif name.endswith(".json") and name not in SKIP_JSON:
                data = _read_small_or_result(path)
                kind = kind_of(data) if isinstance(data, dict) else None
                if kind is not None:
                    section.results.append(Result(path, kind, data))
                    rendered.add(summary_name(kind, name))
                    order += [str(f) for f in data.get("files") or []]
                    for item in data.get("inputs") or []:  # provenance of analysis inputs
                        if isinstance(item, dict) and item.get("path"):
                            key = str(Path(item["path"]).resolve())
                            provenance.setdefault(key, _manifest_row(Path(item["path"]),
                                                                     item, root))
                elif data is not None and path.stat().st_size <= MAX_JSON_BYTES:
                    jsons.append((path, data))
        twins = {p.name: p for p in section.texts if p.name in rendered}
        for result in section.results:
            result.summary = twins.get(summary_name(result.kind, result.path.name))
        section.texts = [p for p in section.texts if p.name not in twins]
        stems_md = {p.stem for p in section.texts} | {p.stem for p in twins.values()}
        section.json = [p for p, _ in jsons if p.stem not in stems_md]
        rank = {name: i for i, name in enumerate(order)}
        section.figures.sort(key=lambda p: (rank.get(p.name, len(rank)), natural_key(p.name)))
        if section.results or section.tables or section.texts or section.figures \
                or section.json:
            sections.append(section)
    sections.sort(key=lambda s: (s.rel != ".", natural_key(s.rel)))
    rows = sorted(provenance.values(), key=lambda r: natural_key(r["where"]))
    return Collection(root, sections, rows, skipped)
