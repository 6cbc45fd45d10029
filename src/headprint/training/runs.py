"""The run folder and its manifest ``RUN_DIR/run.json``.

``run.json`` records the settings, the data description, the base model and its
fingerprint, the headprint and library versions, the world size, the planned steps, the
losses per step, the checkpoints and tracked steps, and ``status`` (``"running"`` or
``"complete"``). Its ``run_key`` hashes everything that determines the trained weights
(:data:`~headprint.training.config.TRAINING_FIELDS`, the model and data fingerprints, the
number of processes). A folder holding a run with another key is refused; a folder holding
an unfinished run with the same key is continued only with ``resume``.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Literal

from headprint.errors import HeadprintError
from headprint.io import atomic_write_json
from headprint.hashing import stable_hash

__all__ = ["RUN_FILE", "RunConflictError", "compute_run_key", "read_run", "check_run_dir",
           "write_run", "library_versions"]

log = logging.getLogger(__name__)
RUN_FILE = "run.json"
RunState = Literal["new", "resume", "complete"]


class RunConflictError(HeadprintError, ValueError):
    """The output folder holds a different run, or an unfinished one without ``resume``."""


def compute_run_key(identity: dict[str, Any]) -> str:
    """Hash of a run's identity: ``{"settings", "model_fingerprint", "data_fingerprint",
    "world_size"}`` (see the module docstring)."""
    return stable_hash(identity)


def read_run(run_dir: str | Path) -> dict[str, Any] | None:
    path = Path(run_dir) / RUN_FILE
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise RunConflictError(f"{path} is not valid JSON ({err}); move the folder away") from err


def _differences(old: dict, new: dict) -> list[str]:
    out = []
    for name in sorted(set(old) | set(new)):
        if name == "settings":
            out += _differences(old.get(name) or {}, new.get(name) or {})
        elif old.get(name) != new.get(name):
            out.append(f"{name}: {old.get(name)!r} -> {new.get(name)!r}")
    return out


def check_run_dir(run_dir: str | Path, identity: dict[str, Any], resume: bool) -> RunState:
    """Decide what to do with ``run_dir``: start a new run, resume, or nothing (complete).

    Raises:
        RunConflictError: the folder holds another run (the differences are named), an
            unfinished run of this identity without ``resume``, or unrelated files.
    """
    run_dir = Path(run_dir)
    previous = read_run(run_dir)
    if previous is None:
        if run_dir.exists() and any(run_dir.iterdir()):
            raise RunConflictError(
                f"{run_dir} is not empty and holds no {RUN_FILE}: not a headprint run; "
                f"choose another --out")
        if resume:
            log.info("nothing to resume in %s: starting a new run", run_dir)
        return "new"
    if previous.get("run_key") != compute_run_key(identity):
        changed = _differences(previous.get("identity") or {}, identity)
        raise RunConflictError(
            f"{run_dir} holds a different run ({'; '.join(changed) or 'unknown differences'})"
            f"; choose another --out or move that folder away")
    if previous.get("status") == "complete":
        return "complete"
    if not resume:
        raise RunConflictError(
            f"{run_dir} holds an unfinished run with these settings; pass --resume to "
            f"continue it, or choose another --out")
    return "resume"


def write_run(run_dir: str | Path, manifest: dict[str, Any]) -> None:
    atomic_write_json(Path(run_dir) / RUN_FILE, manifest)


def library_versions() -> dict[str, str]:
    import importlib.metadata as metadata

    from headprint import __version__

    versions = {"headprint": __version__}
    for name in ("torch", "transformers", "trl", "peft", "accelerate", "datasets"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions
