"""The per-task SFT runs that Table 1, Figures 2, 4 and 5, and Table 2 all build on.

One run per task (every basic task and the complex task): ``n_train`` training rows, and
the patterns of ``n_patterns`` held-out test rows tracked at step 0 (the base model: the
"before" pattern), at the scale's ``track_at`` steps and at the last step (the "after"
pattern). Run into the same ``--out``, the experiments share these runs. Once the patterns
are saved, the fine-tuned weights are not needed by any experiment and are deleted.
"""
from __future__ import annotations

from pathlib import Path

from headprint.experiments import blocks
from headprint.experiments.context import Context

__all__ = ["task_runs", "before_after", "family_of"]


def task_runs(ctx: Context, tasks: tuple[str, ...] | None = None) -> dict[str, str]:
    """``{task: SFT step folder}`` for ``tasks`` (default: basic tasks + complex task)."""
    s = ctx.scale
    tasks = tasks or (*s.basic_tasks, s.complex_task)
    runs = {}
    for task in tasks:
        runs[task] = blocks.sft(ctx, f"task-{task}", task, s.n_train, track=[task],
                                track_limit=s.n_patterns, track_at=s.track_at)
        from headprint.experiments.transfer import heldout_losses

        heldout_losses(ctx, runs[task])  # for the transfer experiment, while weights exist
        ctx.prune_weights(runs[task])
    return runs


def before_after(ctx: Context, runs: dict[str, str]) -> dict[str, tuple[Path, Path]]:
    """``{task: (pattern set at step 0, pattern set at the last step)}``."""
    out = {}
    for task, run in runs.items():
        series = blocks.tracked(ctx, run, task)
        out[task] = (series[0], series[max(series)])
    return out


def family_of(task: str) -> str:
    """The task's family in the registry (``math``, ``code``, ``reasoning``, ``knowledge``)."""
    from headprint.data import TASKS

    name = task.rsplit(":", 1)[0] if task.endswith((":train", ":test")) else task
    return TASKS[name].family if name in TASKS else "other"
