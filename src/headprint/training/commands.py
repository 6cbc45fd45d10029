"""``headprint sft``: one call to :func:`headprint.training.api.run_sft`.

The flags are the fields of :class:`~headprint.training.config.SFTConfig` and of
:class:`SFTOutput`; ``--config FILE`` (YAML with the same names, e.g. ``configs/paper.yaml``)
fills them too, and flags given on the command line win (see :mod:`headprint.cli_parser`).
"""
from __future__ import annotations

from dataclasses import dataclass

from headprint.cli_parser import add_command
from headprint.settings import HfArg
from headprint.training.config import SFTConfig

__all__ = ["register", "SFTOutput"]


@dataclass
class SFTOutput:
    """Where and how ``headprint sft`` runs; not part of the run's settings (its key)."""

    out: str = HfArg(help="run folder")
    resume: bool = HfArg(default=False, help="continue the unfinished run in --out")
    progress: bool = HfArg(default=True, help="show progress bars")


def register(subparsers) -> None:
    add_command(
        subparsers, "sft", (SFTConfig, SFTOutput), _run,
        help="supervised fine-tuning (trl SFTTrainer) with pattern tracking",
        description="Fine-tune a model on a task or data file with trl's SFTTrainer (loss "
                    "on completions / assistant turns only; full fine-tuning unless --lora). "
                    "Multi-process: torchrun --nproc_per_node N -m headprint sft ... (CPU or "
                    "GPU), or on GPUs accelerate launch --config_file "
                    "configs/accelerate/<deepspeed_zero2|fsdp>.yaml -m headprint sft ... "
                    "(headprint sft places the model itself: there is no --device).")


def _run(config: SFTConfig, output: SFTOutput) -> int:
    from headprint.training.api import run_sft

    result = run_sft(config, output.out, resume=output.resume, progress=output.progress)
    last = result.losses[-1]["loss"] if result.losses else float("nan")
    first = result.losses[0]["loss"] if result.losses else float("nan")
    tracked = ", ".join(f"{task} at steps {steps}" for task, steps in result.tracked.items())
    print(f"{result.run_dir}: {result.steps} steps, loss {first:.4f} -> {last:.4f}, "
          f"{result.seconds:.0f} s; final model in {result.final}"
          + (f"; tracked {tracked}" if tracked else ""))
    return 0
