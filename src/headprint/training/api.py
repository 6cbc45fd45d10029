"""``run_sft``: supervised fine-tuning through trl's ``SFTTrainer``, with pattern tracking.

Outputs in the run folder ``RUN_DIR``:

- ``run.json``: settings, data description, base model and fingerprint, versions, losses
  per step, checkpoints, tracked steps, status (:mod:`.runs`);
- ``checkpoint-<k>/``: weights and tokenizer at each save step (LoRA: adapters, and the
  merged model in ``checkpoint-<k>/merged/``; :mod:`.checkpoints`);
- ``final/``: the trained model and tokenizer (LoRA: merged into the base weights), which
  ``headprint.models.load_model`` and ``headprint patterns --model RUN_DIR/final`` load;
  it and every checkpoint hold ``headprint-format.json``, the prompt format trained in;
- ``tracking/<task>/step-<k>/``: pattern sets with ``--track`` (:mod:`.tracking`).

Data parallelism comes from the launcher: under ``torchrun`` or ``accelerate launch`` the
Trainer (through accelerate) joins the process group (gloo on CPU, nccl on GPUs; DeepSpeed
or FSDP from an accelerate config or ``deepspeed=``). ``batch_size`` is per process, so the
global batch is ``batch_size × grad_accum × processes``.
"""
from __future__ import annotations

import datetime as _dt
import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import torch

from headprint.models import load_model
from headprint.training import checkpoints as ckpt
from headprint.training.config import ConfigError, SFTConfig
from headprint.training.dataset import FormatMarker, build_training_set, check_enough
from headprint.training.runs import (check_run_dir, compute_run_key, library_versions,
                                     read_run, write_run)
from headprint.training.tracking import PatternTracker, TrackTarget

__all__ = ["SFTResult", "run_sft"]

log = logging.getLogger(__name__)


@dataclass
class SFTResult:
    """What a finished run produced (read back from ``run.json`` for a complete run)."""

    run_dir: Path
    final: Path
    steps: int
    losses: list[dict] = field(default_factory=list)
    tracked: dict[str, list[int]] = field(default_factory=dict)
    checkpoints: list[str] = field(default_factory=list)
    seconds: float = 0.0
    manifest: dict[str, Any] = field(default_factory=dict)


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _trainer_args(config: SFTConfig, out: Path, world: int, progress: bool,
                  use_cache: bool = True, bf16: bool | None = None):
    """trl's ``SFTConfig`` for a run. ``use_cache``: the base model's own setting, which the
    Trainer writes into the model config (its default, False, would make every saved
    checkpoint generate without a KV cache); trl turns the cache off for training calls."""
    from trl import SFTConfig as TrlSFTConfig

    cuda = torch.cuda.is_available()
    return TrlSFTConfig(
        output_dir=str(out), per_device_train_batch_size=config.batch_size,
        gradient_accumulation_steps=config.grad_accum, learning_rate=config.lr,
        num_train_epochs=config.epochs, max_steps=config.max_steps or -1,
        lr_scheduler_type=config.lr_scheduler, warmup_steps=config.warmup_ratio,
        weight_decay=config.weight_decay, max_grad_norm=config.max_grad_norm,
        seed=config.seed, data_seed=config.seed,
        bf16=config.bf16 if bf16 is None else bf16, fp16=False,
        gradient_checkpointing=config.gradient_checkpointing, deepspeed=config.deepspeed,
        logging_steps=1, save_strategy="no", report_to="none", use_cpu=not cuda,
        disable_tqdm=not progress, max_length=config.max_length, packing=False,
        padding_free=False, shuffle_dataset=False, dataloader_num_workers=0,
        ddp_backend=None if cuda or world == 1 else "gloo",
        ddp_find_unused_parameters=False, use_cache=use_cache)


def _track_targets(config: SFTConfig, tokenizer: Any,
                   prompt_format: str = "raw") -> list[TrackTarget]:
    """Load the tracked tasks' fixed rows; refuse a task none of whose samples fits."""
    from headprint.data import encode_rows, load_data
    from headprint.data.source import is_file_source

    targets = []
    for task in config.track:
        named = task.rpartition(":")[2] in ("train", "test")
        split = None if named or is_file_source(task) else config.track_split
        bundle = load_data(task, split=split, limit=config.track_limit)
        if not any(s.n_target for s in encode_rows(bundle.rows, tokenizer, config.max_length,
                                                   prompt_format)):
            raise ConfigError(f"tracked task {task}: no sample keeps a response token within "
                              f"max_length={config.max_length}; raise --max-length")
        targets.append(TrackTarget(task, bundle))
    return targets


def _losses(log_history: list[dict]) -> list[dict]:
    return [{"step": int(e["step"]), "loss": float(e["loss"]),
             "learning_rate": e.get("learning_rate"), "grad_norm": e.get("grad_norm")}
            for e in log_history if "loss" in e and "step" in e]


def _tracked_steps(out: Path, tasks: list[str]) -> dict[str, list[int]]:
    from headprint.layout import step_folders, task_folder

    return {task: list(step_folders(task_folder(out, task))[0]) for task in tasks}


def _result(run_dir: Path, manifest: dict) -> SFTResult:
    return SFTResult(run_dir, run_dir / "final", int(manifest.get("steps_done", 0)),
                     manifest.get("losses", []), manifest.get("tracking", {}).get("steps", {}),
                     manifest.get("checkpoints", []), float(manifest.get("seconds", 0.0)),
                     manifest)


def _save_final(trainer, tokenizer, out: Path, lora: bool, is_main: bool) -> None:
    """Write ``out/final`` (merged weights under LoRA) under a temporary name, then rename."""
    tmp, final = out / ".final.tmp", out / "final"
    if lora:
        if is_main:
            merged = trainer.model.merge_and_unload()
            merged.save_pretrained(tmp)
            tokenizer.save_pretrained(tmp)
    else:
        trainer.save_model(str(tmp))  # every process: DeepSpeed/FSDP gather the weights
    if is_main:
        if final.exists():
            shutil.rmtree(final)
        tmp.rename(final)


def run_sft(config: SFTConfig, out: str | Path, *, resume: bool = False,
            progress: bool = True, callbacks: Sequence[Any] = ()) -> SFTResult:
    """Fine-tune ``config.model`` on ``config.data`` into the run folder ``out``.

    ``callbacks``: extra ``transformers.TrainerCallback`` objects (logging, early stops).

    Raises:
        ConfigError: settings out of range, save steps beyond the run, tracking under a
            sharded strategy (FSDP, ZeRO-3).
        DatasetTooSmallError: fewer usable samples than one optimizer step.
        RunConflictError: ``out`` holds a different run, or an unfinished one without
            ``resume``.
        DataError / UnknownModelError: bad data or model names.
    """
    from accelerate import PartialState
    from trl import SFTTrainer

    from headprint.data import load_data
    from headprint.data.prompt_format import resolve_format, write_model_format

    started = time.perf_counter()
    out = Path(out)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    load_dtype, mixed_bf16, precision_reason = config.precision()
    loaded = load_model(config.model, dtype=load_dtype, freeze=False)
    bundle = load_data(config.data, split=config.split, limit=config.limit,
                       skip_bad=config.skip_bad)
    prompt_format = resolve_format(config.format, loaded.tokenizer, loaded.path)
    train_set = build_training_set(bundle.rows, loaded.tokenizer, config.max_length,
                                   prompt_format)
    check_enough(train_set, config.batch_size * config.grad_accum * world)
    total = ckpt.planned_steps(len(train_set), config.batch_size, config.grad_accum, world,
                               config.epochs, config.max_steps)
    late = [s for s in config.save_at if s > total]
    if late:
        raise ConfigError(f"save steps {late} are beyond the run's {total} optimizer steps")
    targets = _track_targets(config, loaded.tokenizer, prompt_format)
    identity = {"settings": config.training_settings(), "model_fingerprint": loaded.fingerprint,
                "data_fingerprint": bundle.describe()["fingerprint"], "world_size": world}
    if prompt_format != "raw":  # raw runs keep the keys they had before formats
        identity["format"] = prompt_format
    key = compute_run_key(identity)
    args = _trainer_args(config, out, world, progress,
                         use_cache=bool(getattr(loaded.model.config, "use_cache", True)),
                         bf16=mixed_bf16)
    _ = args.device  # transformers joins the process group (torchrun / accelerate launch)
    state = PartialState()
    decision = check_run_dir(out, identity, resume)  # every process reads before any writes
    state.wait_for_everyone()
    if decision == "complete":
        log.info("%s already holds this complete run; nothing to do", out)
        return _result(out, read_run(out))
    manifest = read_run(out) if decision == "resume" else {
        "format": "headprint-sft-run", "run_key": key, "identity": identity,
        "status": "running", "started": _now(), "config": config.to_dict(),
        "model": loaded.name, "model_fingerprint": loaded.fingerprint,
        "model_path": loaded.path, "format": prompt_format, "data": bundle.describe(),
        "training_set": train_set.describe(), "world_size": world,
        "global_batch": config.batch_size * config.grad_accum * world,
        "planned_steps": total, "versions": library_versions(),
        "precision": {"weights": load_dtype, "bf16_mixed": mixed_bf16,
                      "reason": precision_reason}}
    manifest["config"] = config.to_dict()  # tracking settings may change on resume

    schedule = ckpt.SaveSchedule(frozenset(config.save_at), config.save_steps)
    callbacks = [schedule, *callbacks]
    tracker = None
    if targets:
        tracker = PatternTracker(out, targets, loaded.tokenizer, loaded, key, schedule.wants,
                                 method=config.track_method, loss=config.track_loss,
                                 batch_size=config.track_batch_size,
                                 max_length=config.max_length, prompt_format=prompt_format)
        callbacks.append(tracker)
    peft_config = None
    if config.lora:
        from peft import LoraConfig

        peft_config = LoraConfig(r=config.lora_r, lora_alpha=config.lora_alpha,
                                 lora_dropout=config.lora_dropout,
                                 target_modules=config.lora_targets, task_type="CAUSAL_LM")
        callbacks.append(ckpt.MergedLoraCopies(loaded.tokenizer))
    callbacks.append(FormatMarker(prompt_format))  # after MergedLoraCopies: marks merged/ too
    trainer = SFTTrainer(model=loaded.model, args=args, train_dataset=train_set.dataset,
                         processing_class=loaded.tokenizer, peft_config=peft_config,
                         callbacks=callbacks)
    deepspeed = getattr(trainer.accelerator.state, "deepspeed_plugin", None)
    if tracker and (trainer.is_fsdp_enabled or getattr(deepspeed, "zero_stage", 0) == 3):
        raise ConfigError("--track needs full parameters in every process (DDP, ZeRO-1/2); "
                          "FSDP and ZeRO-3 shard them")
    if state.is_main_process:
        out.mkdir(parents=True, exist_ok=True)
        write_run(out, manifest)
    resume_from = ckpt.latest_resumable(out) if decision == "resume" else None
    trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    _save_final(trainer, loaded.tokenizer, out, config.lora, state.is_main_process)
    if state.is_main_process:
        write_model_format(out / "final", prompt_format)
    state.wait_for_everyone()
    if state.is_main_process:
        for folder in ckpt.checkpoint_dirs(out):
            ckpt.prune_training_state(folder)
        manifest.update(
            status="complete", finished=_now(), steps_done=int(trainer.state.global_step),
            losses=_losses(trainer.state.log_history),
            checkpoints=[p.name for p in ckpt.checkpoint_dirs(out)], final="final",
            tracking={"tasks": config.track, "steps": _tracked_steps(out, config.track),
                      "seconds": round(tracker.seconds, 1) if tracker else 0.0},
            seconds=round(float(manifest.get("seconds", 0.0)) +
                          time.perf_counter() - started, 1))
        write_run(out, manifest)
    state.wait_for_everyone()
    return _result(out, manifest)
