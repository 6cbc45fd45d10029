"""``headprint validate``: one call to :func:`headprint.validation.api.run_validate`.

The arguments are the fields of :class:`~headprint.validation.config.ValidateConfig` and of
:class:`ValidateOutput` (see :mod:`headprint.cli_parser`).
"""
from __future__ import annotations

from dataclasses import dataclass

from headprint.cli_parser import add_command
from headprint.settings import HfArg
from headprint.validation.config import ValidateConfig

__all__ = ["register", "ValidateOutput"]


@dataclass
class ValidateOutput:
    """Where ``headprint validate`` writes; not part of what is measured."""

    out: str = HfArg(help="output folder")


def register(subparsers) -> None:
    add_command(
        subparsers, "validate", (ValidateConfig, ValidateOutput), _run,
        help="ablate heads to test whether a pattern set's scores predict their effect "
             "(curves top/bottom/random; --single-head per head)",
        description="Ablate attention heads at the point the scores read (the input of each "
                    "output projection) and measure the response loss on rows the pattern "
                    "set did not use: loss against heads ablated, highest score first, "
                    "lowest first and random orders; with --single-head every head alone "
                    "against its score and its first-order estimate. Writes "
                    "OUT/validate.json and OUT/report.html.")


def _run(config: ValidateConfig, output: ValidateOutput) -> int:
    from headprint.validation.api import run_validate

    result = run_validate(config, output.out)
    s = result.summary
    print(f"wrote {output.out}/validate.json and report.html: {len(result.sample_ids)} rows, "
          f"loss {s['loss_0']:.4f} -> {s['loss_all']:.4f} with every head ablated; area "
          f"top vs random {_fmt(s.get('area_top_vs_random'))}, k50 top {s.get('k50_top')} "
          f"vs random {s.get('k50_random')}")
    if result.single_head:
        c = result.single_head
        print(f"single heads: Spearman actual vs estimate "
              f"{_fmt(c['vs_estimate']['spearman'])}, vs score {_fmt(c['vs_score']['spearman'])}")
    return 0


def _fmt(v) -> str:
    return "n/a" if v is None else f"{v:+.3f}"
