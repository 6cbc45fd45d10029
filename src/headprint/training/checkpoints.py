"""When checkpoints are written, what they keep, and which one a resumed run starts from.

A checkpoint ``RUN_DIR/checkpoint-<k>`` is written by the Trainer after optimizer step k
when k is in ``save_at`` or a multiple of ``save_steps``. It holds the weights
(``model.safetensors``), the config and the tokenizer, so ``headprint patterns --model
RUN_DIR/checkpoint-<k>`` loads it. Under LoRA the Trainer saves adapters only; headprint
adds ``checkpoint-<k>/merged/``, a plain model (a copy of the base weights with the adapters
merged in, the trained model itself untouched) that loads the same way. Optimizer, scheduler and
random states (which for full fine-tuning take twice the model's size) are kept only in the
newest checkpoint, for ``--resume``, and removed from it too once the run is complete.
"""
from __future__ import annotations

import copy
import logging
import math
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from transformers import TrainerCallback

__all__ = ["SaveSchedule", "MergedLoraCopies", "checkpoint_dirs", "latest_resumable", "prune_training_state",
           "planned_steps"]

log = logging.getLogger(__name__)

_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
_STATE_FILES = ("optimizer.pt", "scheduler.pt", "scaler.pt")
_STATE_GLOBS = ("rng_state*.pth", "global_step*")  # DeepSpeed keeps its states in global_step*


def planned_steps(n_samples: int, batch_size: int, grad_accum: int, world_size: int,
                  epochs: float, max_steps: int | None) -> int:
    """Optimizer steps the Trainer will run (its own formula, for validating save steps)."""
    if max_steps is not None:
        return int(max_steps)
    batches = -(-n_samples // (batch_size * world_size))
    per_epoch = max(batches // grad_accum + int(batches % grad_accum > 0), 1)
    return math.ceil(epochs * per_epoch)


@dataclass
class SaveSchedule(TrainerCallback):
    """Ask the Trainer to save at ``save_at`` steps and every ``save_steps``; prune states."""

    save_at: frozenset[int] = frozenset()
    save_steps: int | None = None

    def wants(self, step: int) -> bool:
        """Whether ``step`` (> 0) is a save step."""
        if step <= 0:
            return False
        return step in self.save_at or bool(self.save_steps and step % self.save_steps == 0)

    def on_step_end(self, args, state, control, **kwargs):
        if self.wants(state.global_step):
            control.should_save = True
        return control

    def on_save(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            newest = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            for folder in checkpoint_dirs(args.output_dir):
                if folder != newest:
                    prune_training_state(folder)
        return control


class MergedLoraCopies(TrainerCallback):
    """Under LoRA, write ``checkpoint-<k>/merged`` (model + tokenizer) after each save."""

    def __init__(self, tokenizer) -> None:
        self.tokenizer = tokenizer

    def on_save(self, args, state, control, model=None, **kwargs):
        if state.is_world_process_zero and hasattr(model, "merge_and_unload"):
            folder = Path(args.output_dir) / f"checkpoint-{state.global_step}" / "merged"
            merged = copy.deepcopy(model).merge_and_unload()  # never merge the live model
            merged.save_pretrained(folder)
            self.tokenizer.save_pretrained(folder)
            del merged
        return control


def checkpoint_dirs(run_dir: str | Path) -> list[Path]:
    """``checkpoint-<k>`` folders of a run, by step."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in run_dir.iterdir()
             if p.is_dir() and (m := _CHECKPOINT.match(p.name))]
    return [p for _, p in sorted(found)]


def latest_resumable(run_dir: str | Path) -> Path | None:
    """Newest checkpoint that still holds its trainer and optimizer state, if any."""
    for folder in reversed(checkpoint_dirs(run_dir)):
        has_optimizer = (folder / "optimizer.pt").exists() or any(folder.glob("global_step*"))
        if (folder / "trainer_state.json").exists() and has_optimizer:
            return folder
    return None


def prune_training_state(folder: str | Path) -> None:
    """Remove optimizer, scheduler and random states from a checkpoint (weights stay)."""
    folder = Path(folder)
    for name in _STATE_FILES:
        (folder / name).unlink(missing_ok=True)
    for pattern in _STATE_GLOBS:
        for path in folder.glob(pattern):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
