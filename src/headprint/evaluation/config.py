"""Settings of an evaluation: the fields of ``headprint eval`` (see :mod:`headprint.settings`:
one field, one flag, one YAML key, one help text)."""
from __future__ import annotations

from dataclasses import dataclass

from headprint.errors import UsageError
from headprint.models import DEFAULT_MODEL
from headprint.settings import (DEVICE_HELP, FORMAT_HELP, MODEL_HELP, HfArg, PromptFormat,
                                require_at_least, require_choice)

__all__ = ["EvalConfig"]


@dataclass
class EvalConfig:
    """Settings of one evaluation (the ``headprint eval`` flags).

    Raises:
        UsageError: on construction, for a value out of range or not among the choices.
    """

    model: str = HfArg(default=DEFAULT_MODEL, help=MODEL_HELP)
    # The library defaults to gsm8k; the command insists the user names the tasks.
    tasks: list[str] = HfArg(default_factory=lambda: ["gsm8k"], aliases=["--task"],
                             metadata={"required": True, "metavar": "TASK"},
                             help="task names, e.g. gsm8k arc-easy mmlu:biology (split "
                                  "'test' unless given: gsm8k:train)")
    limit: int | None = HfArg(default=None, help="evaluate at most N rows per task "
                                                 "(default: all)")
    batch_size: int = HfArg(default=8, help="rows per forward pass")
    max_gen_toks: int | None = HfArg(default=None, help="generation budget (default per "
                                                        "kind: gsm8k 256, math 512, code 384)")
    dtype: str | None = HfArg(default="auto",
                              help="auto (bfloat16 where the hardware runs it fast and the "
                                   "model passed the fidelity gate, else float32), float32, "
                                   "bfloat16 (see headprint.models.precision)")
    device: str | None = HfArg(default=None, help=DEVICE_HELP)
    code_timeout: float = HfArg(default=10.0, help="seconds per program for code tasks")
    code_memory_mb: int = HfArg(default=1024, help="address-space limit per program (MB)")
    format: PromptFormat = HfArg(default="auto", help=FORMAT_HELP)

    def __post_init__(self) -> None:
        from headprint.data.prompt_format import FORMATS

        require_choice(self.format, FORMATS, "format")
        if isinstance(self.tasks, str):
            self.tasks = [self.tasks]
        if not self.tasks:
            raise UsageError("give at least one task")
        require_at_least(self, ("limit", "batch_size", "max_gen_toks"))
        if self.code_timeout <= 0 or self.code_memory_mb < 64:
            raise UsageError("code_timeout must be positive and code_memory_mb at least 64")
