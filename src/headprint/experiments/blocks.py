"""The three kinds of steps experiments are built from: fine-tune, measure, evaluate.

Each function states its settings (everything that determines its output), runs through
:class:`~headprint.experiments.steps.Steps` (so it is skipped when finished) and returns the
step's folder (relative to the step root, usable in other steps' settings) or its result.
Each is one call into a headprint stage: ``run_sft``, ``run_patterns``, ``evaluate_detailed``.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Sequence

from headprint.experiments.context import Context
from headprint.io import atomic_write_json
from headprint.layout import step_folders, task_folder

__all__ = ["sft", "patterns", "evaluation", "gold_choice_probability", "data_source",
           "tracked"]


def data_source(ctx: Context, data: str) -> str:
    """A task name as is; a step-relative file (``steps/...`` output) as an absolute path."""
    candidate = ctx.steps.path(data)
    return str(candidate) if "/" in data and candidate.exists() else data


def sft(ctx: Context, label: str, data: str, limit: int | None, *, init: str | None = None,
        epochs: float | None = None, track: Sequence[str] = (), track_limit: int = 0,
        track_at: Sequence[int] = (), keep_checkpoints: bool = False,
        seed: int | None = None) -> str:
    """Fine-tune the base model (or ``init``'s final model) on ``limit`` rows of ``data``.

    ``seed`` (default: the scale's) seeds the trainer: data order, dropout, any sampling.

    With ``track``, patterns of each tracked task's test rows (``track_limit`` of them) are
    computed at step 0, at ``track_at`` steps and at the last step, in
    ``<step>/run/tracking/<task>/step-<k>/``. Intermediate checkpoints are deleted once
    tracked (unless ``keep_checkpoints``); ``run/final`` keeps the trained weights.
    """
    from headprint.training.api import run_sft
    from headprint.training.config import SFTConfig

    s = ctx.scale
    epochs = epochs or s.epochs
    seed = s.seed if seed is None else int(seed)
    # Tracked steps at or past the run's end are covered by the final step's tracking.
    total = s.steps_per_run(limit, epochs) if limit is not None else None
    save_at = sorted({k for k in track_at if total is None or 0 < k < total})
    settings = {"kind": "sft", "base": ctx.base() if init is None else {"init": init},
                "data": data, "limit": limit, "epochs": epochs, "lr": s.lr,
                "batch_size": s.batch_size, "max_length": s.max_length, "seed": seed,
                "track": list(track), "track_limit": track_limit, "save_at": save_at}
    settings = ctx.with_format(settings)

    def make(folder: Path) -> dict[str, Any]:
        config = SFTConfig(format=ctx.format,
            model=ctx.model_path(init), data=data_source(ctx, data), limit=limit,
            epochs=epochs, lr=s.lr, batch_size=s.batch_size, max_length=s.max_length,
            seed=seed, save_at=save_at, track=list(track), dtype=ctx.dtype,
            track_limit=max(track_limit, 1), track_split="test")
        result = run_sft(config, folder / "run", resume=True, progress=False)
        if not keep_checkpoints:
            for checkpoint in (folder / "run").glob("checkpoint-*"):
                shutil.rmtree(checkpoint, ignore_errors=True)
        losses = [e["loss"] for e in result.losses]
        return {"steps": result.steps, "seconds": result.seconds,
                "first_loss": losses[0] if losses else None,
                "last_loss": losses[-1] if losses else None}

    return ctx.steps.rel(ctx.steps.run("sft", label, settings, make))


def tracked(ctx: Context, run: str, task: str) -> dict[int, Path]:
    """``{step: pattern-set folder}`` tracked for ``task`` in the SFT step ``run``."""
    root = task_folder(ctx.steps.path(run) / "run", task)
    found, _ = step_folders(root)
    if 0 not in found or len(found) < 2:
        raise FileNotFoundError(f"{root}: expected tracked pattern sets at step 0 and after "
                                f"training, found steps {sorted(found)}")
    return found


def patterns(ctx: Context, label: str, data: str, *, model: str | None = None,
             split: str | None = None, limit: int | None = None,
             per_sample: bool = False) -> str:
    """Pattern set of ``data`` under the base model (or SFT step ``model``'s final model)."""
    from headprint.patterns.api import PatternConfig, run_patterns

    s = ctx.scale
    settings = {"kind": "patterns", "model": ctx.base() if model is None else {"sft": model},
                "data": data, "split": split, "limit": limit, "per_sample": per_sample,
                "max_length": s.max_length, "method": "paper", "loss": "sample"}
    settings = ctx.with_format(settings)

    def make(folder: Path) -> dict[str, Any]:
        config = PatternConfig(model=ctx.model_path(model), data=data_source(ctx, data),
                               split=split, limit=limit, per_sample=per_sample,
                               max_length=s.max_length, batch_size=s.batch_size, name=label,
                               format=ctx.format, dtype=ctx.dtype)
        result = run_patterns(config, folder, progress=False)
        return {"n_samples": result.manifest["n_samples"],
                "seconds": result.manifest.get("seconds")}

    return ctx.steps.rel(ctx.steps.run("patterns", label, settings, make))


def evaluation(ctx: Context, label: str, task: str, *, model: str | None = None,
               limit: int | None = None, max_gen_toks: int | None = None,
               loss: bool = False, gold_prob: bool = False) -> dict[str, Any]:
    """Accuracy (and, with ``loss``, held-out response loss) of a model on a task's test rows.

    Returns the step's result: ``{"accuracy", "n", "correct": {id: bool}, "loss"?}``; with
    ``gold_prob`` (multiple-choice tasks) also ``"gold_prob": {id: probability}``, read from
    the step's samples, so steps made before it existed have it too.
    """
    from headprint.evaluation.api import evaluate_detailed
    from headprint.models import load_model

    settings = {"kind": "eval", "model": ctx.base() if model is None else {"sft": model},
                "task": task, "limit": limit, "max_gen_toks": max_gen_toks, "loss": loss,
                "max_length": ctx.scale.max_length}
    settings = ctx.with_format(settings)

    def make(folder: Path) -> dict[str, Any]:
        loaded = load_model(ctx.model_path(model), dtype=ctx.dtype)
        detailed = evaluate_detailed(loaded, [task], limit, batch_size=8,
                                     max_gen_toks=max_gen_toks, work_dir=folder / "lm-eval",
                                     prompt_format=ctx.format)
        shutil.rmtree(folder / "lm-eval", ignore_errors=True)
        entry = detailed["tasks"][task]
        result = {"accuracy": float(entry["accuracy"]), "n": int(entry["n"]),
                  "format": detailed["format"], "n_empty": entry.get("n_empty"),
                  "correct": {r["id"]: bool(r["correct"]) for r in detailed["samples"][task]}}
        if loss:
            from headprint.data import load_data
            from headprint.experiments.heldout import heldout_loss

            rows = load_data(task, split=entry["split"], limit=limit).rows
            scored = heldout_loss(loaded.model, loaded.tokenizer, rows, ctx.scale.max_length,
                                  prompt_format=ctx.format)
            result["loss"] = scored["loss"]
            result["loss_per_row"] = scored["per_row"]
        atomic_write_json(folder / "samples.json", detailed["samples"])
        return result

    folder = ctx.steps.run("eval", label, settings, make)
    result = ctx.steps.result(folder)
    if gold_prob:
        rows = json.loads((folder / "samples.json").read_text(encoding="utf-8")).get(task, [])
        if rows and all("loglikelihoods" in r and "gold" in r for r in rows):
            result["gold_prob"] = {r["id"]: gold_choice_probability(r["loglikelihoods"],
                                                                    r["gold"]) for r in rows}
    return result


def gold_choice_probability(loglikelihoods: Sequence[float], gold: int) -> float:
    """Probability of choice ``gold`` when the choices' log-likelihoods are normalised over
    the choices (a softmax): a continuous score of a multiple-choice answer, informative
    where accuracy sits at chance."""
    from scipy.special import softmax

    return float(softmax(loglikelihoods)[gold])
