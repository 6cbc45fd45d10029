"""Resumable steps: every artifact an experiment needs is made once, in its own folder.

A step is a name, a JSON-ready ``settings`` dict (everything that determines its output)
and a function that writes into a folder. The folder is ``<root>/<kind>/<label>-<key>``
where ``key`` hashes the settings, so

- a run killed mid-way and started again with the same arguments finds every finished
  step's folder (marked by ``step.json``, written last) and skips it; an unfinished step
  runs again in the same folder, where the stage it calls resumes its own partial work
  (pattern shards, SFT checkpoints);
- changed settings (another scale, another model) give other folders, never a mix;
- experiments that need the same artifact (the per-task SFT runs of Table 1, Figure 4 and
  Figure 5) share it when they are run into the same output folder.

Settings refer to other steps' outputs by folder name relative to the root, so a whole
output folder can be moved without invalidating it.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import gc
import json
import logging
import re
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from headprint.hashing import stable_hash
from headprint.io import atomic_write_json
from headprint.locking import OutputBusyError, output_lock

__all__ = ["Steps", "StepBusyError", "STEP_FILE", "STEP_LOCK"]

STEP_FILE = "step.json"
STEP_LOCK = "step"
"""Name of the steps' lock (:func:`headprint.locking.output_lock`): ``.headprint-step.lock``."""
log = logging.getLogger("headprint.experiments")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:60] or "step"


def release_memory() -> None:
    """Free what a finished step left behind before the next one starts.

    A trainer, its callbacks and the model reference each other, so their memory waits for
    Python's cyclic collector, which seldom runs a full pass; and glibc keeps freed heap for
    reuse rather than returning it. One process running dozens of fine-tuning steps grew
    to 12 GB without this (SmolLM2-135M, 2026-11).
    """
    gc.collect()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to trim
        pass


class StepBusyError(OutputBusyError):
    """Another live process is running the same step (the same output folder twice)."""


@contextlib.contextmanager
def _lock(folder: Path) -> Iterator[None]:
    """Hold the step lock of ``folder`` while a step runs.

    An operating-system lock (:func:`headprint.locking.output_lock`): the kernel releases
    it when its process dies, so a killed run leaves nothing to clean up, and a step held
    by a live process is refused at once, since two processes writing one step would
    corrupt it.

    Raises:
        StepBusyError: naming the process that holds the step.
    """
    held = contextlib.ExitStack()
    try:
        held.enter_context(output_lock(folder, name=STEP_LOCK))
    except OutputBusyError as err:
        raise StepBusyError(f"{folder} is being made by {err.holder}; wait for it or run "
                            "into another --out", folder, err.holder) from None
    with held:
        yield


class Steps:
    """Runs steps under ``root``; records which ran and which were reused.

    Attributes:
        root: folder holding every step folder.
        ran, reused: step folders (relative to ``root``) in the order they were requested.
    """

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.ran: list[str] = []
        self.reused: list[str] = []

    def folder(self, kind: str, label: str, settings: dict[str, Any]) -> Path:
        """Folder of a step (it may not exist yet)."""
        key = stable_hash(settings, compact=True)  # compact JSON: see headprint.hashing
        return self.root / _slug(kind) / f"{_slug(label)}-{key[:10]}"

    def rel(self, folder: str | Path) -> str:
        """``folder`` relative to the root, for use inside other steps' settings."""
        folder = Path(folder)
        try:
            return folder.relative_to(self.root).as_posix()
        except ValueError:
            return folder.resolve().relative_to(self.root.resolve()).as_posix()

    def path(self, rel: str) -> Path:
        return self.root / rel

    def is_done(self, folder: Path) -> bool:
        return (folder / STEP_FILE).exists()

    def run(self, kind: str, label: str, settings: dict[str, Any],
            make: Callable[[Path], Any]) -> Path:
        """Run ``make(folder)`` unless the step is finished; return the folder.

        ``make`` may return a JSON-ready dict, kept in ``step.json`` under ``result``.
        """
        folder = self.folder(kind, label, settings)
        rel = self.rel(folder)
        if self.is_done(folder):
            log.info("[reuse] %s", rel)
            self.reused.append(rel)
            return folder
        folder.mkdir(parents=True, exist_ok=True)
        with _lock(folder):
            if self.is_done(folder):  # finished by another process since the check above
                self.reused.append(rel)
                return folder
            log.info("[run]   %s", rel)
            started = (time.perf_counter(), time.process_time())
            try:
                result = make(folder)
            finally:
                release_memory()
            self._finish(folder, kind, label, settings, result, started)
        self.ran.append(rel)
        return folder

    def _finish(self, folder: Path, kind: str, label: str, settings: dict[str, Any],
                result: Any, started: tuple[float, float]) -> None:
        record = {"kind": kind, "label": label, "settings": settings,
                  "key": stable_hash(settings, compact=True),
                  "seconds": round(time.perf_counter() - started[0], 2),
                  # CPU time of this process (all threads): on a busy machine wall time
                  # grows, this does not, so it tells what the step costs on idle cores
                  "cpu_seconds": round(time.process_time() - started[1], 2),
                  "finished": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                  "result": result if isinstance(result, dict) else None}
        atomic_write_json(folder / STEP_FILE, record)

    def result(self, folder: Path) -> dict[str, Any]:
        """The ``result`` a finished step recorded (empty dict if none)."""
        record = json.loads((folder / STEP_FILE).read_text(encoding="utf-8"))
        return record.get("result") or {}

    def cost(self, rels: Iterable[str]) -> dict[str, float]:
        """Summed ``{"seconds", "cpu_seconds"}`` the finished steps ``rels`` took when they
        ran (each counted once): what the experiment costs from scratch, however many
        restarts or other experiments' runs it was spread over."""
        total = {"seconds": 0.0, "cpu_seconds": 0.0}
        for rel in dict.fromkeys(rels):
            record = json.loads((self.path(rel) / STEP_FILE).read_text(encoding="utf-8"))
            for key in total:
                total[key] += float(record.get(key) or 0.0)
        return total
