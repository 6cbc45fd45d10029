"""``headprint select`` and ``headprint mix``: each one call into :mod:`headprint.selection.api`.

The flags are the fields of :class:`~headprint.selection.config.SelectConfig` and
:class:`~headprint.selection.config.MixConfig` (see :mod:`headprint.cli_parser`).
"""
from __future__ import annotations

from dataclasses import asdict

from headprint.cli_parser import add_command
from headprint.selection.config import MixConfig, SelectConfig, parse_basis, parse_sizes

__all__ = ["register", "parse_sizes", "parse_basis"]


def register(subparsers) -> None:
    add_command(
        subparsers, "select", (SelectConfig,), _select,
        help="choose pool rows that resemble a target set (Eq. 5 or a baseline)",
        description="Rank every pool row and write the top-n rows of each size as .jsonl "
                    "training files. --by pattern (Eq. 5): Pearson r of the row's "
                    "per-sample pattern with the target set's pattern; --by embedding: "
                    "cosine of the row's mean-pooled final hidden state with the target "
                    "rows' mean, same model and rows; --by random: a seeded draw. Every "
                    "method writes the same files; selection.json records the method and "
                    "its cost in seconds.")
    add_command(
        subparsers, "mix", (MixConfig,), _mix,
        help="build a mixture of basic tasks from pattern composition (Eq. 4)",
        description="Fit the complex task's pattern change on the basic tasks' changes, "
                    "keep the top-k positive coefficients and draw N·β_k/Σβ rows of each.")


def _select(config: SelectConfig) -> int:
    from headprint.selection.api import select

    settings = asdict(config)
    out, sizes = settings.pop("out"), settings.pop("n")
    result = select(out, sizes, **settings)
    summary = result.summary
    print(f"ranked {summary['n_candidates']} candidates by {config.by} in "
          f"{result.seconds:.2f} s ({len(summary['excluded_overlap'])} excluded as "
          "overlapping the target)")
    for n, info in summary["sizes"].items():
        score = "" if info["mean_score"] is None else f"mean score {info['mean_score']:.3f} "
        print(f"  n={n}: {score}-> {out}/{info['file']}")
    return 0


def _mix(config: MixConfig) -> int:
    from headprint.selection.api import mix_data

    summary = mix_data(config.target, config.basis, config.size, config.out,
                       top_k=config.top_k, random=config.random, seed=config.seed,
                       pool_per_task=config.pool_per_task, by=config.by,
                       nonnegative=config.nonnegative)
    coef = ", ".join(f"{k} {v:.3g}" for k, v in summary["fit"]["coefficients"].items())
    print(f"fit R² {summary['r2']['least_squares']:.3f} (least squares), "
          f"{summary['r2']['nonnegative']:.3f} (non-negative); "
          f"β ({'NNLS' if config.nonnegative else 'least squares'}): {coef}")
    print(f"wrote {summary['size']} rows ({summary['kind']}) to {config.out}: "
          + ", ".join(f"{k} {v}" for k, v in summary["counts"].items()))
    return 0
