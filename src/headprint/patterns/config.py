"""Settings of a pattern computation: the fields of ``headprint patterns`` (see
:mod:`headprint.settings`: one field, one flag, one YAML key, one help text)."""
from __future__ import annotations

from dataclasses import dataclass

from headprint.models import DEFAULT_MODEL
from headprint.patterns.scoring import LossScaling, Method
from headprint.settings import (DEVICE_HELP, DEVICE_MAP_HELP, FORMAT_HELP, MODEL_HELP, HfArg,
                                PromptFormat, require_at_least, require_choice)

__all__ = ["PatternConfig"]


@dataclass
class PatternConfig:
    """Settings of one pattern computation (the ``headprint patterns`` flags).

    Raises:
        UsageError: on construction, for a value out of range or not among the choices.
    """

    model: str = HfArg(default=DEFAULT_MODEL, help=MODEL_HELP)
    # The library defaults to gsm8k; the command insists the user names the data.
    data: str = HfArg(default="gsm8k", metadata={"required": True},
                      help="task name (gsm8k, gsm8k:test, mmlu:biology, ...) or a data file "
                           "(.jsonl, .json, .csv, .parquet) with prompt/completion or "
                           "messages rows")
    split: str | None = HfArg(default=None, help="split of a task (default: train)")
    limit: int | None = HfArg(default=None, help="use at most N samples (default: all)")
    method: Method = HfArg(default="paper",
                           help="'paper': the mean over samples of |Σ A·∂ℓ/∂A| per head; "
                                "'abs': the mean of Σ|A·∂ℓ/∂A|")
    loss: LossScaling = HfArg(default="sample",
                              help="'sample': each sample's own token-mean loss; 'batch': the "
                                   "batch's token-mean loss, as in the released script")
    batch_size: int = HfArg(default=4, help="samples per forward and backward pass")
    max_length: int = HfArg(default=1024, help="tokens per sample; longer samples are cut "
                                               "from the right")
    per_sample: bool = HfArg(default=False, help="also store the [N, L, H] per-sample "
                                                 "patterns (needed by select --by pattern)")
    skip_bad: bool = HfArg(default=False, help="skip malformed rows (counted in the "
                                               "manifest) instead of failing")
    dtype: str = HfArg(default="auto",
                       help="auto (bfloat16 on a GPU or CPU with native bfloat16, for models "
                            "that passed the fidelity gate; else float32), float32, bfloat16, "
                            "float16")
    device: str | None = HfArg(default=None, help=DEVICE_HELP)
    device_map: str | None = HfArg(default=None, help=DEVICE_MAP_HELP)
    shard_size: int = HfArg(default=256, help="samples per resumable shard")
    name: str | None = HfArg(default=None, help="label for tables and figures (default: the "
                                                "data's name)")
    format: PromptFormat = HfArg(default="auto", help=FORMAT_HELP)

    def __post_init__(self) -> None:
        from headprint.data.prompt_format import FORMATS

        require_choice(self.format, FORMATS, "format")
        require_choice(self.method, ("paper", "abs"), "method")
        require_choice(self.loss, ("sample", "batch"), "loss scaling")
        require_at_least(self, ("batch_size", "max_length", "shard_size", "limit"))
