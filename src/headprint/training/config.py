"""One typed configuration for a headprint SFT run, filled from a YAML file and/or flags.

Defaults suit a small model on a CPU (full fine-tuning, float32, lr 2e-5, batch 4). The
paper's settings (Zhao et al. 2025, Appendix B: DeepSpeed ZeRO-2, batch 4, max length 1024,
lr 1e-6, gradient accumulation 4, bf16, full fine-tuning) are ``configs/paper.yaml``.

Steps count optimizer updates (one step = ``batch_size × grad_accum × processes`` samples).
``save_at`` lists the steps at which a checkpoint is written and tracked patterns are
computed (step 0 is the model before any update: tracked, not saved as a checkpoint);
``save_steps`` does the same every K steps. The final model is always saved (``final/``)
and tracked.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, get_args

from headprint.errors import UsageError
from headprint.models import DEFAULT_MODEL
from headprint.patterns.scoring import LossScaling, Method
from headprint.settings import (HfArg, PromptFormat, TextError, int_list, read_settings,
                                require_at_least, require_choice, setting_names)

__all__ = ["SFTConfig", "ConfigError", "TRAINING_FIELDS", "LR_SCHEDULERS",
           "parse_steps"]

# Fields that change the trained weights (the run key); the others only change outputs
# (tracking, logging) or where a run is read from.
TRAINING_FIELDS = (
    "model", "data", "split", "limit", "skip_bad", "epochs", "max_steps", "lr", "batch_size",
    "grad_accum", "max_length", "warmup_ratio", "lr_scheduler", "weight_decay",
    "max_grad_norm", "seed", "bf16", "dtype", "gradient_checkpointing", "lora", "lora_r",
    "lora_alpha", "lora_dropout", "lora_targets", "deepspeed",
)


LR_SCHEDULERS = ("linear", "cosine", "constant", "constant_with_warmup",
                 "cosine_with_restarts", "polynomial", "inverse_sqrt")


def parse_steps(text: str) -> list[int]:
    """``"0,4,8"`` -> ``[0, 4, 8]`` (the converter of ``--save-at``; raises ``TextError``)."""
    return int_list(text, "--save-at")


class ConfigError(UsageError):
    """A setting out of range, an unknown setting, or an unreadable config file."""


@dataclass
class SFTConfig:
    """Settings of one SFT run (the ``headprint sft`` flags; YAML keys have the same names).

    Raises:
        ConfigError: on construction, for a value out of range or not among the choices.
    """

    model: str = HfArg(default=DEFAULT_MODEL,
                       help="built-in name, local folder, or hub id of the model to fine-tune")
    data: str = HfArg(default="gsm8k",
                      help="task (gsm8k, mmlu:biology, gsm8k:train) or data file with "
                           "prompt/completion or messages rows")
    split: str | None = HfArg(default=None, help="split of a task (default: the task's "
                                                 "training split)")
    limit: int | None = HfArg(default=None,
                              help="train on at most N rows (load_data's deterministic "
                                   "hash-order choice; default: all)")
    skip_bad: bool = HfArg(default=False, help="skip malformed rows instead of failing")
    epochs: float = HfArg(default=1.0, help="passes over the data (max_steps overrides it)")
    max_steps: int | None = HfArg(default=None,
                                  help="number of optimizer steps; overrides epochs when set")
    lr: float = HfArg(default=2e-5, help="learning rate, in (0, 1] (the paper: 1e-6)")
    batch_size: int = HfArg(default=4, help="samples per process per micro-batch")
    grad_accum: int = HfArg(default=1, help="gradient accumulation steps (global batch = "
                                            "batch size × grad accum × processes)")
    max_length: int = HfArg(default=512,
                            help="tokens per sample; longer samples are cut from the right, "
                                 "samples left without a response token are dropped")
    warmup_ratio: float = HfArg(default=0.0, help="share of the steps spent warming up the "
                                                  "learning rate, in [0, 1)")
    lr_scheduler: str = HfArg(default="linear", metadata={"choices": LR_SCHEDULERS},
                              help="learning-rate schedule")
    weight_decay: float = HfArg(default=0.0, help="AdamW weight decay")
    max_grad_norm: float = HfArg(default=1.0, help="gradient clipping norm (0: no clipping)")
    seed: int = HfArg(default=0, help="seed of data order and initialisation")
    bf16: bool = HfArg(default=False,
                       help="bfloat16 mixed precision whatever --dtype says (the paper's "
                            "setting; --dtype auto already chooses it where the hardware "
                            "runs bfloat16 fast)")
    dtype: str | None = HfArg(
        default="auto",
        help="number format: auto trains in bfloat16 mixed precision (float32 weights and "
             "optimizer state, bfloat16 autocast) where the hardware runs bfloat16 fast and "
             "the model passed the fidelity gate, else in float32; bfloat16 asks for mixed "
             "precision outright; float32 is plain float32; float16 loads float16 weights")
    gradient_checkpointing: bool = HfArg(default=False, help="recompute activations in the "
                                                             "backward pass to save memory")
    lora: bool = HfArg(default=False, help="train LoRA adapters (peft) instead of all "
                                           "weights (the paper: all weights)")
    lora_r: int = HfArg(default=16, help="LoRA rank")
    lora_alpha: int = HfArg(default=32, help="LoRA scaling alpha")
    lora_dropout: float = HfArg(default=0.0, help="LoRA dropout, in [0, 1)")
    lora_targets: list[str] | None = HfArg(
        default=None, metadata={"type": str},
        help="comma-separated module names for LoRA (default: peft's choice for the model "
             "family)")
    deepspeed: str | None = HfArg(default=None,
                                  help="DeepSpeed JSON config (e.g. configs/deepspeed/"
                                       "zero2.json; or launch with an accelerate config)")
    save_steps: int | None = HfArg(default=None, help="save a checkpoint every K steps")
    save_at: list[int] = HfArg(default_factory=list, metadata={"type": parse_steps},
                               help="save at these steps, e.g. 0,4,8,16,32 (0: before any "
                                    "update)")
    track: list[str] = HfArg(default_factory=list, metadata={"metavar": "TASK"},
                             help="tasks whose patterns are computed at step 0 and every "
                                  "save step")
    track_limit: int = HfArg(default=32, help="samples per tracked task")
    track_split: str = HfArg(default="test", help="split of tracked tasks")
    track_method: Method = HfArg(default="paper", help="pattern method of tracked tasks")
    track_loss: LossScaling = HfArg(default="sample", help="loss scaling of tracked tasks")
    track_batch_size: int = HfArg(default=4, help="batch size of tracked tasks' patterns")
    format: PromptFormat = HfArg(
        default="auto",
        help="prompt format: chat (loss on the assistant turn of the chat-rendered rows), "
             "raw (the paper's), auto (chat when the tokenizer has a chat template, else "
             "raw); the checkpoints remember it for eval and patterns")

    def __post_init__(self) -> None:
        if isinstance(self.save_at, str):  # the text of --save-at 0,4,8
            try:
                self.save_at = parse_steps(self.save_at)
            except TextError as err:  # this class's callers catch ConfigError
                raise ConfigError(str(err)) from None
        self.track = [self.track] if isinstance(self.track, str) else list(self.track)
        if isinstance(self.lora_targets, str):
            self.lora_targets = [s.strip() for s in self.lora_targets.split(",") if s.strip()]
        elif self.lora_targets is not None:
            self.lora_targets = list(self.lora_targets)
        self.save_at = sorted({int(s) for s in self.save_at})
        self._validate()

    def _validate(self) -> None:
        def check(ok: bool, message: str) -> None:
            if not ok:
                raise ConfigError(message)

        check(0 < self.lr <= 1, f"learning rate must be in (0, 1], got {self.lr}")
        check(self.epochs > 0, f"epochs must be positive, got {self.epochs}")
        try:  # the shared checks, raised as this class's ConfigError
            require_at_least(self, ("max_steps", "batch_size", "grad_accum", "track_limit",
                                    "track_batch_size", "lora_r", "lora_alpha", "limit",
                                    "save_steps"))
            require_at_least(self, ("max_length",), 8)
            require_choice(self.format, get_args(PromptFormat), "format")
            require_choice(self.track_method, get_args(Method), "track_method")
            require_choice(self.track_loss, get_args(LossScaling), "track_loss")
            require_choice(self.lr_scheduler, LR_SCHEDULERS, "lr_scheduler")
        except UsageError as err:
            raise ConfigError(str(err)) from None
        check(0 <= self.warmup_ratio < 1, f"warmup_ratio must be in [0, 1), got "
                                          f"{self.warmup_ratio}")
        check(self.weight_decay >= 0, "weight_decay must be non-negative")
        check(self.max_grad_norm >= 0, "max_grad_norm must be non-negative (0: no clipping)")
        check(0 <= self.lora_dropout < 1, "lora_dropout must be in [0, 1)")
        check(all(s >= 0 for s in self.save_at), f"save_at steps must be >= 0: {self.save_at}")
        if self.max_steps is not None:
            late = [s for s in self.save_at if s > self.max_steps]
            check(not late, f"save_at steps {late} are beyond max_steps={self.max_steps}")
        if self.deepspeed is not None:
            check(Path(self.deepspeed).is_file(), f"deepspeed config {self.deepspeed} not found")

    # -- construction ----------------------------------------------------------------------
    @classmethod
    def from_file(cls, path: str | Path, **overrides: Any) -> "SFTConfig":
        """Read a YAML (or JSON) file of settings; ``overrides`` (not None) win over it."""
        values = read_settings(path, [cls], error=ConfigError)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.from_dict(values, where=str(path))

    @classmethod
    def from_dict(cls, values: dict[str, Any], where: str = "config") -> "SFTConfig":
        known = setting_names([cls])
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ConfigError(f"{where}: unknown settings {unknown}; known: {sorted(known)}")
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def precision(self, device: str | None = None) -> tuple[str | None, bool, str]:
        """``(load dtype, bf16 mixed precision, reason)`` this run trains with.

        Mixed precision keeps float32 weights (AdamW updates of bfloat16 weights would round
        small steps away) and runs the forward and backward under bfloat16 autocast.
        """
        from headprint.models.precision import choose_dtype

        choice = choose_dtype(self.dtype or "float32", device, self.model)
        if self.bf16 or choice.name == "bfloat16":
            why = "--bf16" if self.bf16 else (choice.reason or "--dtype bfloat16")
            return "float32", True, f"bfloat16 mixed precision ({why})"
        return choice.name, False, choice.reason

    def training_settings(self, device: str | None = None) -> dict[str, Any]:
        """The settings that determine the trained weights (see ``TRAINING_FIELDS``), with
        ``dtype``/``bf16`` as resolved on ``device`` (so ``auto`` keys by what ran; plain
        float32 keys as ``dtype`` None, as before ``auto`` existed)."""
        data = self.to_dict()
        load, mixed, _ = self.precision(device)
        data["dtype"], data["bf16"] = (None if load == "float32" else load), mixed
        return {name: data[name] for name in TRAINING_FIELDS}
