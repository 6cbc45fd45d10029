"""Synthetic pattern sets for the analysis tests: no model, only tensors and manifests.

A plain module with a distinctive name (not ``conftest``) so that test files can import it
without colliding with other folders' helpers.
"""
from __future__ import annotations

import numpy as np
import torch

from headprint.patterns.artifact import PatternSet


def build_set(mean: torch.Tensor, per_sample: torch.Tensor | None = None, *, name: str = "task",
              model: str = "tiny-llama", step: int | None = None, task: str | None = None,
              sample_ids: list[str] | None = None) -> PatternSet:
    """A PatternSet with a complete manifest around synthetic tensors."""
    n = 0 if per_sample is None else int(per_sample.shape[0])
    manifest = {
        "model": model, "model_fingerprint": f"sha256:{model}", "method": "paper",
        "loss": "sample", "data": {"source": name, "split": "test", "fingerprint": "abc"},
        "split": "test", "n_samples": n or 8,
        "sample_ids": sample_ids if sample_ids is not None else [f"{name}-{i}" for i in range(n)],
        "num_layers": int(mean.shape[0]), "num_heads": int(mean.shape[1]),
        "max_length": 256, "n_truncated": 0, "n_skipped": 0, "name": name,
    }
    if step is not None:
        manifest["step"] = step
    if task is not None:
        manifest["task"] = task
    return PatternSet(mean=mean, manifest=manifest, per_sample=per_sample)


def noisy_stack(mean: torch.Tensor, n: int, seed: int) -> torch.Tensor:
    """``[n, L, H]`` positive per-sample patterns whose average is close to ``mean``."""
    rng = np.random.default_rng(seed)
    noise = torch.from_numpy(rng.gamma(8.0, 1 / 8.0, size=(n, *mean.shape))).float()
    return mean * noise  # multiplicative noise with mean 1 keeps scores positive


def run_cli(argv: list[str]) -> int:
    """Run headprint's analysis and report commands as ``headprint.cli.main`` would, without
    importing the other stages (whose imports take seconds)."""
    import sys

    from headprint.cli import build_parser

    parser = build_parser(("headprint.analysis.commands", "headprint.report.commands"))
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError) as err:  # what cli.main prints without traceback
        print(f"headprint {args.command}: error: {err}", file=sys.stderr)
        return 1
