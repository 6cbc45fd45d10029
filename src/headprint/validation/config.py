"""Settings of ``headprint validate`` (see :mod:`headprint.settings`: one field, one flag, one
YAML key, one help text)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from headprint.settings import (DEVICE_HELP, HfArg, int_list, positional, require_at_least,
                                require_choice)

__all__ = ["ValidateConfig", "Ablation", "parse_ks"]

Ablation = Literal["zero", "mean"]


def parse_ks(text: str) -> tuple[int, ...]:
    """``"1,2,4"`` -> ``(1, 2, 4)`` (the converter of ``--ks``; raises ``TextError``)."""
    return tuple(int_list(text, "--ks"))


@dataclass
class ValidateConfig:
    """Settings of one validation (the ``headprint validate`` arguments).

    ``ks`` also takes the text of ``--ks`` (``"1,2,4,8"``, see :func:`parse_ks`).

    Raises:
        UsageError: on construction, for a value out of range or not among the choices.
    """

    patterns: str = positional(metavar="PATTERN_DIR", help="a pattern set folder")
    model: str | None = HfArg(default=None,
                              help="model to ablate (default: the pattern set's model; must "
                                   "have the same weights)")
    data: str | None = HfArg(default=None,
                             help="rows to validate on (default: rows of the pattern set's "
                                  "own source and split that it did not use)")
    split: str | None = HfArg(default=None, help="split of --data")
    limit: int | None = HfArg(default=64, help="validation rows")
    allow_overlap: bool = HfArg(default=False, help="accept rows the pattern set was "
                                                    "computed on (recorded)")
    ablation: Ablation = HfArg(default="zero",
                               help="zero: head output set to 0; mean: replaced by its mean "
                                    "over the rows' real tokens")
    single_head: bool = HfArg(default=False, help="also ablate every head alone (L×H "
                                                  "settings)")
    single_head_rows: int | None = HfArg(default=None, help="per-head ablation on the first N "
                                                            "rows only (default: all)")
    seeds: int = HfArg(default=5, help="random orders")
    ks: tuple[int, ...] | None = HfArg(
        default=None, metadata={"type": parse_ks},
        help="numbers of heads to ablate, e.g. 1,2,4,8 (default: 0, 1, 2, 4, … up to L×H; "
             "0 and L×H are always included)")
    batch_size: int = HfArg(default=8, help="rows per batch")
    rows_per_forward: int = HfArg(default=32, help="rows in one forward; settings share a "
                                                   "forward up to this")
    max_length: int | None = HfArg(default=None, help="tokens per row (default: the pattern "
                                                      "set's)")
    dtype: str | None = HfArg(default=None, help="auto, float32, bfloat16 or float16 "
                                                 "(default: float32)")
    device: str | None = HfArg(default=None, help=DEVICE_HELP)
    seed: int = HfArg(default=0, help="seed of the random orders")

    def __post_init__(self) -> None:
        if isinstance(self.ks, str):  # the text of --ks 1,2,4,8
            self.ks = parse_ks(self.ks)
        elif self.ks is not None:
            self.ks = tuple(int(k) for k in self.ks)
        require_choice(self.ablation, ("zero", "mean"), "ablation")
        require_at_least(self, ("seeds", "batch_size", "rows_per_forward", "limit",
                                "single_head_rows", "max_length"))
