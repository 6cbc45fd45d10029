"""Pattern tracking during SFT: patterns of fixed samples at step 0 and at every save step.

Layout (read by ``headprint track RUN_DIR``; :mod:`headprint.layout` owns it)::

    RUN_DIR/tracking/<task>/step-<k>/      a pattern set (patterns.safetensors, manifest.json)

Each pattern set keeps its per-sample patterns (``[N, L, H]``, small for the default 32
samples), so ``headprint track`` can put bootstrap intervals on its numbers.

Each manifest carries the usual provenance keys of :func:`headprint.patterns.api.
compute_patterns` plus ``step`` (optimizer updates done), ``task``, ``name`` (= task),
``run`` (the run folder), ``base_model`` and ``base_model_fingerprint``. ``model`` names the
weights the pattern was measured on: the base model at step 0, ``RUN_DIR/checkpoint-<k>``
at a save step, ``RUN_DIR/final`` at the last step; ``model_fingerprint`` is the base
model's at step 0 and ``run:<run key>@step-<k>`` after it.

Patterns are computed in-process on the model being trained (no reload from disk), on the
main process only (the others wait at a barrier). Training is left bit-identical: the
scorer switches the model to eval mode and back, freezes parameters and restores their
``requires_grad`` without touching ``.grad``, and the Python, NumPy and torch random states
are saved and restored around it. Requires every process to hold full parameters (DDP,
DeepSpeed ZeRO-1/2); FSDP and ZeRO-3 shard them and are refused.
"""
from __future__ import annotations

import contextlib
import logging
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import torch
from transformers import TrainerCallback

from headprint.io import atomic_replace_dir
from headprint.layout import tracking_folder
from headprint.models import LoadedModel

__all__ = ["TrackTarget", "PatternTracker", "preserved_rng", "tracking_folder"]

log = logging.getLogger(__name__)


@dataclass
class TrackTarget:
    """One tracked task: its name and the fixed rows (a ``DataBundle``) scored every time."""

    task: str
    bundle: Any


@contextlib.contextmanager
def preserved_rng() -> Iterator[None]:
    """Restore Python's, NumPy's and torch's (CPU and CUDA) random states on exit."""
    python_state, numpy_state = random.getstate(), np.random.get_state()
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    try:
        with torch.random.fork_rng(devices=devices):
            yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)


def _barrier() -> None:
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.barrier()


def _scorable(model: torch.nn.Module) -> torch.nn.Module:
    """The Hugging Face model under a peft wrapper (LoRA layers stay injected in it)."""
    return model.get_base_model() if hasattr(model, "get_base_model") else model


class PatternTracker(TrainerCallback):
    """Trainer callback computing and saving tracked patterns.

    Args:
        run_dir: the run folder. targets: tasks and their fixed rows.
        tokenizer: the tokenizer the model trains with.
        base: the base model's ``name`` and ``fingerprint`` (a ``LoadedModel``).
        run_key: identifies the run (used in fingerprints after step 0).
        wants: predicate on a step; True at the save steps.
        method, loss, batch_size, max_length: as for ``headprint patterns``.
        prompt_format: the (resolved) format the run trains in; patterns are measured in it.
    """

    def __init__(self, run_dir: str | Path, targets: list[TrackTarget], tokenizer: Any,
                 base: LoadedModel, run_key: str, wants: Callable[[int], bool], *,
                 method: str = "paper", loss: str = "sample", batch_size: int = 4,
                 max_length: int = 1024, prompt_format: str = "raw") -> None:
        self.run_dir, self.targets, self.tokenizer = Path(run_dir), targets, tokenizer
        self.base, self.run_key, self.wants = base, run_key, wants
        self.method, self.loss, self.batch_size, self.max_length = \
            method, loss, batch_size, max_length
        self.prompt_format = prompt_format
        self.tracked_steps: list[int] = []
        self.seconds = 0.0

    # -- what one step's measurement is -----------------------------------------------------
    def _model_name(self, step: int, final: bool) -> tuple[str, str]:
        if step == 0:
            return self.base.name, self.base.fingerprint
        where = "final" if final else f"checkpoint-{step}"
        return str(self.run_dir / where), f"run:{self.run_key[:16]}@step-{step}"

    def track(self, model: torch.nn.Module, step: int, *, is_main: bool = True,
              final: bool = False) -> None:
        """Compute and save every target's pattern at ``step`` (skipping finished ones)."""
        from headprint.patterns.api import compute_patterns

        if is_main:
            started = time.perf_counter()
            name, fingerprint = self._model_name(step, final)
            loaded = LoadedModel(_scorable(model), self.tokenizer, name, fingerprint,
                                 "training", str(self.run_dir))
            for target in self.targets:
                folder = tracking_folder(self.run_dir, target.task, step)
                if (folder / "manifest.json").exists():
                    continue  # computed before an interruption
                with preserved_rng():
                    patterns = compute_patterns(
                        loaded, target.bundle, method=self.method, loss=self.loss,
                        batch_size=self.batch_size, max_length=self.max_length,
                        per_sample=True, progress=False, name=target.task,
                        prompt_format=self.prompt_format)
                patterns.manifest.update(
                    step=int(step), task=target.task, name=target.task,
                    run=str(self.run_dir), base_model=self.base.name,
                    base_model_fingerprint=self.base.fingerprint)
                atomic_replace_dir(patterns.save, folder)
            self.seconds += time.perf_counter() - started
            log.info("tracked %s at step %d", ", ".join(t.task for t in self.targets), step)
        if step not in self.tracked_steps:
            self.tracked_steps.append(int(step))
        _barrier()

    # -- Trainer hooks ---------------------------------------------------------------------
    def on_train_begin(self, args, state, control, model=None, **kwargs):
        if state.global_step == 0:
            self.track(model, 0, is_main=state.is_world_process_zero)
        return control

    def on_step_end(self, args, state, control, model=None, **kwargs):
        step = state.global_step
        if self.wants(step) and step < state.max_steps:
            self.track(model, step, is_main=state.is_world_process_zero)
        return control

    def on_train_end(self, args, state, control, model=None, **kwargs):
        self.track(model, state.global_step, is_main=state.is_world_process_zero, final=True)
        return control
