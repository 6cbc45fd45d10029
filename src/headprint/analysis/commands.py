"""CLI for the analysis stage: ``stats``, ``compare``, ``similarity``, ``compose``, ``track``.

Each command's arguments are the fields of its dataclasses in
:mod:`headprint.analysis.config` (see :mod:`headprint.cli_parser`), and it makes one call
into :mod:`headprint.analysis.api`; all logic lives there so that scripts and notebooks get
the same behaviour.
"""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

from headprint.analysis.config import (AnalysisOutput, BootstrapOptions, CompareConfig,
                                       ComposeConfig, SimilarityConfig, StatsConfig,
                                       TrackConfig)
from headprint.cli_parser import add_command
from headprint.errors import UsageError

__all__ = ["register"]


def _report(result: dict[str, Any]) -> int:
    print(f"wrote {', '.join(result['files'])} to {result['out']}")
    return 0


def _stats(inputs: StatsConfig, output: AnalysisOutput, boot: BootstrapOptions) -> int:
    from headprint.analysis.api import run_stats

    return _report(run_stats(inputs.patterns, output.out, figures=output.figures,
                             **asdict(boot)))


def _compare(inputs: CompareConfig, output: AnalysisOutput, boot: BootstrapOptions) -> int:
    from headprint.analysis.api import run_compare

    return _report(run_compare(inputs.a, inputs.b, output.out, top=inputs.top,
                               figures=output.figures, **asdict(boot)))


def _similarity(inputs: SimilarityConfig, output: AnalysisOutput) -> int:
    from headprint.analysis.api import run_similarity
    from headprint.analysis.inputs import split_named

    items, names = [], []
    for spec in inputs.patterns:
        name, rest = split_named(spec)
        if "," in rest:
            parts = [s for s in rest.split(",") if s]
            if len(parts) != 2:
                raise UsageError(f"item {spec!r}: expected [NAME=]BEFORE,AFTER")
            items.append(parts)
        else:
            items.append(rest)
        names.append(name)
    return _report(run_similarity(items, output.out, names=names, of=inputs.of,
                                  figures=output.figures))


def _compose(inputs: ComposeConfig, output: AnalysisOutput, boot: BootstrapOptions) -> int:
    from headprint.analysis.api import run_compose

    return _report(run_compose(
        inputs.target, inputs.basis, output.out, k=inputs.k, max_subsets=inputs.max_subsets,
        intercept=inputs.intercept, nonnegative=inputs.nonnegative, top=inputs.top,
        n_permutations=inputs.permutations, n_draws=inputs.draws, pool=inputs.pool,
        figures=output.figures, **asdict(boot)))


def _track(inputs: TrackConfig, output: AnalysisOutput, boot: BootstrapOptions) -> int:
    from headprint.analysis.api import run_track

    return _report(run_track(inputs.run_dir, output.out, figures=output.figures,
                             **asdict(boot)))


def register(subparsers: Any) -> None:
    """Add the analysis commands to the top-level CLI."""
    boot = (AnalysisOutput, BootstrapOptions)
    add_command(subparsers, "stats", (StatsConfig, *boot), _stats,
                help="Gini, CV, kurtosis of pattern sets, with bootstrap intervals (Table 1)")
    add_command(subparsers, "compare", (CompareConfig, *boot), _compare,
                help="correlation, MSE and most-changed heads between two pattern sets")
    add_command(subparsers, "similarity", (SimilarityConfig, AnalysisOutput), _similarity,
                help="task x task correlation and MSE matrices (Figure 2)")
    add_command(subparsers, "compose", (ComposeConfig, *boot), _compose,
                help="fit a complex task's change from basic tasks' changes (Figure 4)")
    add_command(subparsers, "track", (TrackConfig, *boot), _track,
                help="pattern change against step 0 during fine-tuning (Figure 5)")
