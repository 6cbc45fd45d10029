"""``headprint reproduce``: one call to :func:`headprint.experiments.api.reproduce`.

The arguments are the fields of :class:`ReproduceConfig` (see :mod:`headprint.cli_parser`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from headprint.cli_parser import add_command
from headprint.errors import UsageError
from headprint.experiments.scales import SCALES
from headprint.models import DEFAULT_MODEL
from headprint.settings import FORMAT_HELP, MODEL_HELP, HfArg, PromptFormat, positional

__all__ = ["register", "ReproduceConfig"]

Experiment = Literal["table1", "fig4", "fig5", "table2", "table3", "transfer", "all"]


@dataclass(kw_only=True)
class ReproduceConfig:
    """Settings of ``headprint reproduce`` (arguments of
    :func:`headprint.experiments.api.reproduce`).

    Raises:
        UsageError: on construction, for an unknown scale.
    """

    name: Experiment = positional(
        metavar="NAME", help="table1 (with Figure 2), fig4, fig5, table2, table3, transfer "
                             "(beyond the paper: transfer between tasks against pattern "
                             "similarity, on Table 1's SFT runs), or all")
    model: str = HfArg(default=DEFAULT_MODEL, help=MODEL_HELP)
    scale: str = HfArg(default="small", metadata={"choices": tuple(SCALES)},
                       help="tiny: a smoke test in minutes; small: results on 2 CPU cores "
                            "(about 1 h for table1+fig4+fig5, 2 h each for table2, table3); "
                            "paper: the paper's sizes")
    out: str = HfArg(default="runs/reproduce",
                     help="output folder; run experiments into the same folder to share "
                          "their steps")
    format: PromptFormat = HfArg(default="auto", help=FORMAT_HELP)
    dtype: str = HfArg(default="auto",
                       help="auto (bfloat16 where the hardware runs it fast and the model "
                            "passed the fidelity gate, else float32), float32, bfloat16")

    def __post_init__(self) -> None:
        if self.scale not in SCALES:
            raise UsageError(f"unknown scale {self.scale!r}; choose one of "
                             f"{', '.join(SCALES)}")


def register(subparsers) -> None:
    add_command(
        subparsers, "reproduce", (ReproduceConfig,), _run,
        help="run one of the paper's experiments end to end (or all five)",
        description="Run an experiment of Zhao et al. (ACL 2025) on any model: every step "
                    "saves its artifact under OUT/steps (a restarted run reuses finished "
                    "steps), and OUT/NAME/report.html puts headprint's numbers beside the "
                    "paper's with one line per finding saying whether it reproduced.")


def _run(config: ReproduceConfig) -> int:
    from headprint.experiments.api import reproduce

    results = reproduce(config.name, model=config.model, scale=config.scale, out=config.out,
                        prompt_format=config.format, dtype=config.dtype)
    for name, result in results.items():
        print(f"{name}: {result['report']}")
        for f in result["findings"]:
            print(f"  [{f.verdict}] {f.claim}: {f.evidence}")
    print(f"index: {config.out}/index.html")
    return 0
