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

import dataclasses
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from headprint.errors import HeadprintError
from headprint.models import DEFAULT_MODEL

__all__ = ["SFTConfig", "ConfigError", "TRAINING_FIELDS"]

# Fields that change the trained weights (the run key); the others only change outputs
# (tracking, logging) or where a run is read from.
TRAINING_FIELDS = (
    "model", "data", "split", "limit", "skip_bad", "epochs", "max_steps", "lr", "batch_size",
    "grad_accum", "max_length", "warmup_ratio", "lr_scheduler", "weight_decay",
    "max_grad_norm", "seed", "bf16", "dtype", "gradient_checkpointing", "lora", "lora_r",
    "lora_alpha", "lora_dropout", "lora_targets", "deepspeed",
)


class ConfigError(HeadprintError, ValueError):
    """A setting out of range, an unknown setting, or an unreadable config file."""


@dataclass
class SFTConfig:
    """Settings of one SFT run (the ``headprint sft`` flags; YAML keys have the same names)."""

    model: str = DEFAULT_MODEL
    """Built-in name, local folder, or hub id of the model to fine-tune."""
    data: str = "gsm8k"
    """Task name (``gsm8k``, ``mmlu:biology``, ``gsm8k:train``) or a data file."""
    split: str | None = None
    """Split of a task (default: the task's training split)."""
    limit: int | None = None
    """Train on at most this many rows (``load_data``'s deterministic hash-order choice)."""
    skip_bad: bool = False
    epochs: float = 1.0
    max_steps: int | None = None
    """Number of optimizer steps; overrides ``epochs`` when set."""
    lr: float = 2e-5
    batch_size: int = 4
    """Samples per process per micro-batch."""
    grad_accum: int = 1
    max_length: int = 512
    """Tokens per sample; longer samples are cut from the right, all-prompt ones dropped."""
    warmup_ratio: float = 0.0
    lr_scheduler: str = "linear"
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    seed: int = 0
    bf16: bool = False
    """Force bfloat16 mixed precision (the paper's setting) whatever ``dtype`` says."""
    dtype: str | None = "auto"
    """Number format: ``auto`` (default) trains in bfloat16 mixed precision (float32
    weights and optimizer state, bfloat16 autocast) where the hardware runs bfloat16 fast
    and the model passed the fidelity gate, else in float32; ``bfloat16`` asks for mixed
    precision outright; ``float32`` (or None) is plain float32; ``float16`` loads float16
    weights."""
    gradient_checkpointing: bool = False
    lora: bool = False
    """Train LoRA adapters through peft instead of all weights (the paper: full)."""
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.0
    lora_targets: list[str] | None = None
    """Module names for LoRA (default: peft's choice for the model family)."""
    deepspeed: str | None = None
    """DeepSpeed JSON config (alternatively launch with an accelerate config)."""
    save_steps: int | None = None
    save_at: list[int] = field(default_factory=list)
    track: list[str] = field(default_factory=list)
    """Tasks whose patterns are computed at step 0 and at every save step."""
    track_limit: int = 32
    track_split: str = "test"
    track_method: str = "paper"
    track_loss: str = "sample"
    track_batch_size: int = 4
    format: str = "auto"
    """Prompt format (auto, chat, raw; :mod:`headprint.data.prompt_format`): chat trains on
    the assistant turn of the chat-rendered rows; the checkpoints remember it."""

    def __post_init__(self) -> None:
        if isinstance(self.save_at, str):
            self.save_at = [int(s) for s in self.save_at.split(",") if s.strip()]
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
        check(self.max_steps is None or self.max_steps >= 1,
              f"max_steps must be at least 1, got {self.max_steps}")
        for name in ("batch_size", "grad_accum", "max_length", "track_limit",
                     "track_batch_size", "lora_r", "lora_alpha"):
            check(getattr(self, name) >= 1, f"{name} must be at least 1, got "
                                            f"{getattr(self, name)}")
        check(self.max_length >= 8, f"max_length must be at least 8, got {self.max_length}")
        check(self.limit is None or self.limit >= 1, f"limit must be at least 1, got {self.limit}")
        check(0 <= self.warmup_ratio < 1, f"warmup_ratio must be in [0, 1), got "
                                          f"{self.warmup_ratio}")
        check(self.weight_decay >= 0, "weight_decay must be non-negative")
        check(self.max_grad_norm >= 0, "max_grad_norm must be non-negative (0: no clipping)")
        check(0 <= self.lora_dropout < 1, "lora_dropout must be in [0, 1)")
        check(self.save_steps is None or self.save_steps >= 1,
              f"save_steps must be at least 1, got {self.save_steps}")
        check(all(s >= 0 for s in self.save_at), f"save_at steps must be >= 0: {self.save_at}")
        if self.max_steps is not None:
            late = [s for s in self.save_at if s > self.max_steps]
            check(not late, f"save_at steps {late} are beyond max_steps={self.max_steps}")
        check(self.format in ("auto", "chat", "raw"),
              f"format must be 'auto', 'chat' or 'raw', got {self.format!r}")
        check(self.track_method in ("paper", "abs"), "track_method must be 'paper' or 'abs'")
        check(self.track_loss in ("sample", "batch"), "track_loss must be 'sample' or 'batch'")
        check(self.lr_scheduler in ("linear", "cosine", "constant", "constant_with_warmup",
                                    "cosine_with_restarts", "polynomial", "inverse_sqrt"),
              f"unknown lr_scheduler {self.lr_scheduler!r}")
        if self.deepspeed is not None:
            check(Path(self.deepspeed).is_file(), f"deepspeed config {self.deepspeed} not found")

    # -- construction ----------------------------------------------------------------------
    @classmethod
    def from_file(cls, path: str | Path, **overrides: Any) -> "SFTConfig":
        """Read a YAML (or JSON) file of settings; ``overrides`` (not None) win over it."""
        import yaml

        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"config file not found: {path}")
        try:
            values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as err:
            raise ConfigError(f"{path}: not valid YAML ({err})") from err
        if not isinstance(values, dict):
            raise ConfigError(f"{path}: expected a mapping of settings")
        values = {key.replace("-", "_"): value for key, value in values.items()}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.from_dict(values, where=str(path))

    @classmethod
    def from_dict(cls, values: dict[str, Any], where: str = "config") -> "SFTConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
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
