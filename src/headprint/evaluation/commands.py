"""``headprint eval``: one call to :func:`headprint.evaluation.api.run_eval`.

The flags are the fields of :class:`~headprint.evaluation.config.EvalConfig` and of
:class:`EvalOutput` (see :mod:`headprint.cli_parser`).
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from headprint.cli_parser import add_command
from headprint.errors import UsageError
from headprint.evaluation.config import EvalConfig
from headprint.settings import HfArg

__all__ = ["register", "default_out", "EvalOutput"]


@dataclass
class EvalOutput:
    """Where ``headprint eval`` writes; not part of what is evaluated."""

    out: str | None = HfArg(default=None,
                            help="output folder; results of other tasks already there are "
                                 "kept (default: eval-<folder> beside a local model folder, "
                                 "so runs/R/final gives runs/R/eval-final; required for a "
                                 "built-in or hub model)")


def register(subparsers) -> None:
    add_command(
        subparsers, "eval", (EvalConfig, EvalOutput), _run,
        help="evaluate a model on registered tasks (lm-evaluation-harness, offline)",
        description="Evaluate a model with lm-evaluation-harness on headprint's local task "
                    "rows: log-likelihood multiple choice (MMLU, ARC, HellaSwag, Winogrande), "
                    "greedy generation with answer extraction (gsm8k, math), and execution-"
                    "checked pass@1 in a limited subprocess (gsm8k-py, mbpp, humaneval). "
                    "Writes results.json, results.md and samples/<task>.jsonl.")


def default_out(model: str) -> str:
    """Where ``headprint eval`` writes without ``--out``: beside a local model folder (a
    fine-tuned checkpoint's results stay with its run).

    Raises:
        UsageError: ``model`` is a built-in or hub name: results would otherwise land in
            whatever folder the command happens to run in.
    """
    path = Path(model)
    if path.is_dir():
        resolved = path.resolve()
        return str(resolved.parent / f"eval-{resolved.name}")
    raise UsageError(f"--model {model} is not a local folder: give --out to say where its "
                     "results go")


def _run(config: EvalConfig, output: EvalOutput) -> int:
    from headprint.evaluation.api import results_table, run_eval

    out = output.out or default_out(config.model)
    results = run_eval(config, out)
    print(results_table(results), end="")
    for warning in results.get("warnings", []):
        print(f"warning: {warning}", file=sys.stderr)
    print(f"wrote {out}/results.json, results.md and samples/ ({results['seconds']} s)")
    return 0
