"""``headprint patterns``: one call to :func:`headprint.patterns.api.run_patterns_detailed`.

The flags are the fields of :class:`~headprint.patterns.config.PatternConfig` and of
:class:`PatternsOutput` (see :mod:`headprint.cli_parser`).
"""
from __future__ import annotations

from dataclasses import dataclass

from headprint.cli_parser import add_command
from headprint.patterns.config import PatternConfig
from headprint.settings import HfArg

__all__ = ["register", "PatternsOutput"]


@dataclass
class PatternsOutput:
    """Where ``headprint patterns`` writes; not part of what is computed."""

    out: str = HfArg(help="output folder")
    overwrite: bool = HfArg(default=False,
                            help="replace a different artifact already in --out")


def register(subparsers) -> None:
    add_command(
        subparsers, "patterns", (PatternConfig, PatternsOutput), _run,
        help="compute a dataset's activation pattern (one score per layer and head)",
        description="Compute the activation pattern of a dataset under a model: the mean "
                    "over samples of |Σ A·∂ℓ/∂A| per head (method 'paper') or Σ|A·∂ℓ/∂A| "
                    "('abs').")


def _run(config: PatternConfig, output: PatternsOutput) -> int:
    from headprint.patterns.api import run_patterns_detailed

    run = run_patterns_detailed(config, output.out, overwrite=output.overwrite)
    if run.result is None:  # a non-zero rank of a torchrun launch: rank 0 reports
        return 0
    m = run.result.manifest
    what = (f"{m['n_samples']} samples, {m['num_layers']} layers x {m['num_heads']} heads, "
            f"method {m['method']}, format {m.get('format')}")
    if run.status == "unchanged":
        print(f"nothing to do: {output.out} already holds this pattern set ({what}); pass "
              "--overwrite to compute it again")
    else:
        print(f"wrote {output.out}/patterns.safetensors and manifest.json: {what}")
    return 0
