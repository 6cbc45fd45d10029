"""Where a fine-tuning run keeps its tracked pattern sets: the one place that knows the layout.

The training stage writes, and ``headprint track`` and the experiments read::

    RUN_DIR/tracking/<task>/step-<k>/     one pattern-set folder per saved step k
        patterns.safetensors, manifest.json   (manifest keys "task": <task>, "step": k)

``<task>`` is the task name with ``/`` replaced by ``_`` (a task may be a file path);
``k`` counts optimizer updates, ``step-0`` being the base model before any update. A step
folder without ``manifest.json`` is still being written (pattern sets write the manifest
last) and is not complete.

Only :mod:`pathlib` and :mod:`re` here, so that reading a layout never imports torch.
"""
from __future__ import annotations

import re
from pathlib import Path

__all__ = ["TRACKING_DIR", "STEP_DIR", "MANIFEST", "tracking_root", "task_folder",
           "tracking_folder", "step_of", "step_folders"]

#: Folder under a run folder that holds the tracked pattern sets.
TRACKING_DIR = "tracking"
#: Folder name of one saved step: ``step-<k>`` with ``k`` a non-negative integer.
STEP_DIR = re.compile(r"^step-(\d+)$")
#: The file a pattern set writes last; its presence marks a complete step folder.
MANIFEST = "manifest.json"


def tracking_root(run_dir: str | Path) -> Path:
    """``RUN_DIR/tracking``; ``RUN_DIR`` itself when it has no ``tracking`` folder (so a
    caller may pass the tracking folder directly)."""
    run_dir = Path(run_dir)
    root = run_dir / TRACKING_DIR
    return root if root.is_dir() else run_dir


def task_folder(run_dir: str | Path, task: str) -> Path:
    """``RUN_DIR/tracking/<task>`` (``/`` in the task name becomes ``_``)."""
    return Path(run_dir) / TRACKING_DIR / task.replace("/", "_")


def tracking_folder(run_dir: str | Path, task: str, step: int) -> Path:
    """``RUN_DIR/tracking/<task>/step-<k>``: where the pattern set of ``task`` at ``step``
    is (or will be) saved."""
    return task_folder(run_dir, task) / f"step-{int(step)}"


def step_of(folder: str | Path) -> int | None:
    """The step ``k`` of a folder named ``step-<k>``, else None."""
    match = STEP_DIR.match(Path(folder).name)
    return int(match.group(1)) if match else None


def step_folders(task_dir: str | Path, complete: bool = True
                 ) -> tuple[dict[int, Path], list[Path]]:
    """The step folders of one task folder, sorted by step.

    Returns:
        ``({step: folder}, incomplete)``: with ``complete`` (default) only folders holding
        a manifest are in the mapping and the others are listed in ``incomplete``.
    """
    found: dict[int, Path] = {}
    incomplete: list[Path] = []
    task_dir = Path(task_dir)
    if not task_dir.is_dir():
        return found, incomplete
    for folder in sorted(task_dir.iterdir()):
        step = step_of(folder)
        if step is None or not folder.is_dir():
            continue
        if complete and not (folder / MANIFEST).exists():
            incomplete.append(folder)
            continue
        found[step] = folder
    return dict(sorted(found.items())), incomplete
