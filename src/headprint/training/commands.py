"""``headprint sft``: one call to :func:`headprint.training.api.run_sft`.

Flags left out keep the value of ``--config FILE`` (YAML with the same names, e.g.
``configs/paper.yaml``), or else :class:`~headprint.training.config.SFTConfig`'s default.
"""
from __future__ import annotations

from headprint.errors import UsageError

import argparse

__all__ = ["register"]


def _steps(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"expected steps like 0,4,8,16; got {text!r}") from err


def register(subparsers: argparse._SubParsersAction) -> None:
    from headprint.patterns.commands import add_model_args

    parser = subparsers.add_parser(
        "sft", help="supervised fine-tuning (trl SFTTrainer) with pattern tracking",
        description="Fine-tune a model on a task or data file with trl's SFTTrainer (loss "
                    "on completions / assistant turns only; full fine-tuning unless --lora). "
                    "Multi-process: torchrun --nproc_per_node N -m headprint sft ... (CPU or "
                    "GPU), or on GPUs accelerate launch --config_file "
                    "configs/accelerate/<deepspeed_zero2|fsdp>.yaml -m headprint sft ...")
    add_model_args(parser)
    parser.set_defaults(model=None, dtype=None)  # None: the config file (or auto) decides
    add = parser.add_argument
    add("--config", default=None, help="YAML file of settings (e.g. configs/paper.yaml); "
                                       "flags given here override it")
    add("--data", default=None, help="task (gsm8k, mmlu:biology, gsm8k:train) or data file "
                                     "with prompt/completion or messages rows")
    add("--split", default=None, help="split of a task (default: train)")
    add("--limit", type=int, default=None, help="train on at most N rows")
    add("--skip-bad", action="store_const", const=True, default=None)
    add("--format", choices=("auto", "chat", "raw"), default=None,
        help="prompt format: chat (loss on the assistant turn of the chat-rendered rows), "
             "raw (the paper's), auto (default: chat when the tokenizer has a chat "
             "template); the checkpoints remember it for eval and patterns")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--epochs", type=float, default=None, help="default 1")
    group.add_argument("--max-steps", type=int, default=None, help="optimizer steps")
    add("--lr", type=float, default=None, help="learning rate (default 2e-5; paper 1e-6)")
    add("--batch-size", type=int, default=None, help="per process (default 4)")
    add("--grad-accum", type=int, default=None, help="gradient accumulation (default 1)")
    add("--max-length", type=int, default=None, help="tokens per sample (default 512)")
    add("--warmup-ratio", type=float, default=None)
    add("--lr-scheduler", default=None, help="linear (default), cosine, constant, ...")
    add("--weight-decay", type=float, default=None)
    add("--seed", type=int, default=None)
    add("--bf16", action="store_const", const=True, default=None,
        help="bfloat16 mixed precision whatever --dtype says (the paper's setting; "
             "--dtype auto already chooses it where the hardware runs bfloat16 fast)")
    add("--gradient-checkpointing", action="store_const", const=True, default=None)
    add("--lora", action="store_const", const=True, default=None,
        help="train LoRA adapters (peft) instead of all weights")
    add("--lora-r", type=int, default=None)
    add("--lora-alpha", type=int, default=None)
    add("--lora-targets", default=None, help="comma-separated module names")
    add("--deepspeed", default=None, help="DeepSpeed JSON config (e.g. configs/deepspeed/"
                                          "zero2.json)")
    saves = parser.add_argument_group("checkpoints and tracking")
    saves.add_argument("--save-steps", type=int, default=None, help="save every K steps")
    saves.add_argument("--save-at", type=_steps, default=None,
                       help="save at these steps, e.g. 0,4,8,16,32 (0: before any update)")
    saves.add_argument("--track", nargs="+", default=None, metavar="TASK",
                       help="tasks whose patterns are computed at step 0 and every save step")
    saves.add_argument("--track-limit", type=int, default=None, help="samples per tracked "
                                                                     "task (default 32)")
    saves.add_argument("--track-split", default=None, help="split of tracked tasks "
                                                           "(default test)")
    saves.add_argument("--track-method", choices=("paper", "abs"), default=None)
    saves.add_argument("--track-batch-size", type=int, default=None)
    add("--resume", action="store_true", help="continue the unfinished run in --out")
    add("--no-progress", action="store_true", help="no progress bars")
    add("--out", required=True, help="run folder")
    parser.set_defaults(func=_run)


_FLAG_FIELDS = ("model", "dtype", "data", "split", "limit", "skip_bad", "epochs", "max_steps",
                "lr", "batch_size", "grad_accum", "max_length", "warmup_ratio",
                "lr_scheduler", "weight_decay", "seed", "bf16", "gradient_checkpointing",
                "lora", "lora_r", "lora_alpha", "lora_targets", "deepspeed", "save_steps",
                "save_at", "track", "track_limit", "track_split", "track_method",
                "track_batch_size", "format")


def _run(args: argparse.Namespace) -> int:
    from headprint.training.api import run_sft
    from headprint.training.config import SFTConfig

    if args.device or args.device_map:
        raise UsageError("headprint sft places the model itself (launch with torchrun or "
                         "accelerate for several processes); drop --device/--device-map")
    given = {name: getattr(args, name) for name in _FLAG_FIELDS
             if getattr(args, name) is not None}
    config = SFTConfig.from_file(args.config, **given) if args.config \
        else SFTConfig.from_dict(given, where="flags")
    result = run_sft(config, args.out, resume=args.resume, progress=not args.no_progress)
    last = result.losses[-1]["loss"] if result.losses else float("nan")
    first = result.losses[0]["loss"] if result.losses else float("nan")
    tracked = ", ".join(f"{task} at steps {steps}" for task, steps in result.tracked.items())
    print(f"{result.run_dir}: {result.steps} steps, loss {first:.4f} -> {last:.4f}, "
          f"{result.seconds:.0f} s; final model in {result.final}"
          + (f"; tracked {tracked}" if tracked else ""))
    return 0
