"""Seeded draws of rows: random baselines and the tagging of rows with their origin.

Every draw uses ``numpy.random.default_rng`` seeded from the caller's ``seed`` (and, for a
per-task draw, the task's name), so the same arguments always give the same rows, and
changing how many rows one task contributes does not change which rows another task gives.
"""
from __future__ import annotations

import zlib
from typing import Any, Mapping, Sequence

import numpy as np

from headprint.selection.provenance import SelectionError

__all__ = ["random_baseline", "random_mixture", "uniform_mixture", "draw_rows", "tag_row",
           "task_rng", "equal_counts"]


def task_rng(seed: int, task: str = "") -> np.random.Generator:
    """Generator seeded by ``(seed, crc32(task))``: independent streams per task."""
    return np.random.default_rng([int(seed), zlib.crc32(task.encode("utf-8"))])


def random_baseline(pool_ids: Sequence[str], n: int, seed: int = 0) -> list[str]:
    """``n`` ids drawn uniformly without replacement from ``pool_ids``.

    Pass exactly the ids the method could choose from (``Selection.candidates``). The draw
    is the first ``n`` of one seeded permutation, so baselines of growing ``n`` are nested
    (R100 ⊂ R300 ⊂ R500), like the top-n selections they are compared with.

    Raises:
        SelectionError: ``n`` outside ``1 … len(pool_ids)`` or duplicate ids.
    """
    ids = [str(i) for i in pool_ids]
    if len(set(ids)) != len(ids):
        raise SelectionError("random_baseline needs unique ids")
    if not 1 <= int(n) <= len(ids):
        raise SelectionError(f"cannot draw n={n} random rows from {len(ids)} candidate rows")
    perm = task_rng(seed, "random-baseline").permutation(len(ids))
    return [ids[i] for i in perm[: int(n)]]


def tag_row(row: Mapping[str, Any], task: str, **extra: Any) -> dict[str, Any]:
    """A training row that says where it came from.

    The text fields (``prompt``/``completion`` or ``messages``) and ``meta`` are kept; the
    id becomes ``<task>/<id>`` (unique across tasks) and ``source_task``, ``source_id`` and
    any ``extra`` fields (``score``, ``rank``) are added. headprint's data loader folds the
    extra fields into ``meta`` when the file is read back.
    """
    out = {k: v for k, v in row.items() if k not in ("id", "meta")}
    out = {"id": f"{task}/{row['id']}", **out, "source_task": task,
           "source_id": str(row["id"]), **extra}
    if row.get("meta"):
        out["meta"] = dict(row["meta"])
    return out


def draw_rows(rows: Sequence[Mapping[str, Any]], k: int, seed: int, task: str
              ) -> list[Mapping[str, Any]]:
    """``k`` rows of one task, uniformly without replacement, in draw order.

    Raises:
        SelectionError: the task has fewer than ``k`` rows.
    """
    if k > len(rows):
        raise SelectionError(f"task {task!r} must contribute {k} rows but has only "
                             f"{len(rows)}; lower the size or give the task more rows")
    if k <= 0:
        return []
    picked = task_rng(seed, task).choice(len(rows), size=k, replace=False)
    return [rows[int(i)] for i in picked]


def random_mixture(rows_by_task: Mapping[str, Sequence[Mapping[str, Any]]], n: int,
                   seed: int = 0, tasks: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The random-mixture baseline: ``n`` rows drawn uniformly from the union of ``tasks``.

    Every row of every listed task (default: all of ``rows_by_task``) is equally likely, so
    a task's expected share is proportional to its number of rows. Rows are tagged with
    :func:`tag_row` and returned in draw order.

    Raises:
        SelectionError: no tasks, or ``n`` larger than the union.
    """
    names = list(rows_by_task) if tasks is None else list(tasks)
    if not names:
        raise SelectionError("a random mixture needs at least one basic task")
    missing = [t for t in names if t not in rows_by_task]
    if missing:
        raise SelectionError(f"no rows given for task(s) {', '.join(missing)}")
    union = [(t, r) for t in names for r in rows_by_task[t]]
    if not 1 <= n <= len(union):
        raise SelectionError(f"cannot draw a random mixture of {n} rows from "
                             f"{len(union)} rows of {', '.join(names)}")
    picked = task_rng(seed, "random-mixture").choice(len(union), size=n, replace=False)
    return [tag_row(union[int(i)][1], union[int(i)][0]) for i in picked]


def equal_counts(names: Sequence[str], n: int) -> dict[str, int]:
    """``n`` rows split as evenly as possible over ``names``: ``n // K`` each, and the
    remainder one each to the first tasks in order (so counts differ by at most one)."""
    if not names:
        raise SelectionError("a uniform mixture needs at least one basic task")
    base, extra = divmod(int(n), len(names))
    return {name: base + (1 if i < extra else 0) for i, name in enumerate(names)}


def uniform_mixture(rows_by_task: Mapping[str, Sequence[Mapping[str, Any]]], n: int,
                    seed: int = 0, tasks: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The uniform-mixture baseline: ``n`` rows, an equal share from every listed task
    (:func:`equal_counts`), each task's rows drawn uniformly (:func:`draw_rows`), tagged
    and shuffled (seeded). Unlike :func:`random_mixture`, a task's share does not grow
    with its number of rows.

    Raises:
        SelectionError: no tasks, a task without rows given, or fewer rows than its share.
    """
    names = list(rows_by_task) if tasks is None else list(tasks)
    missing = [t for t in names if t not in rows_by_task]
    if missing:
        raise SelectionError(f"no rows given for task(s) {', '.join(missing)}")
    counts = equal_counts(names, n)
    mixed = [tag_row(row, task) for task, count in counts.items()
             for row in draw_rows(rows_by_task[task], count, seed, task)]
    order = task_rng(seed, "uniform-order").permutation(len(mixed))
    return [mixed[int(i)] for i in order]
