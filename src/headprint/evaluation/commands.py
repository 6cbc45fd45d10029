"""``headprint eval``: one call to :func:`headprint.evaluation.api.run_eval`."""
from __future__ import annotations

import argparse

__all__ = ["register", "default_out"]


def register(subparsers: argparse._SubParsersAction) -> None:
    from headprint.patterns.commands import add_format_arg, add_model_args

    parser = subparsers.add_parser(
        "eval", help="evaluate a model on registered tasks (lm-evaluation-harness, offline)",
        description="Evaluate a model with lm-evaluation-harness on headprint's local task "
                    "rows: log-likelihood multiple choice (MMLU, ARC, HellaSwag, Winogrande), "
                    "greedy generation with answer extraction (gsm8k, math), and execution-"
                    "checked pass@1 in a limited subprocess (gsm8k-py, mbpp, humaneval). "
                    "Writes results.json, results.md and samples/<task>.jsonl.")
    add_model_args(parser)
    parser.add_argument("--task", nargs="+", required=True, metavar="TASK",
                        help="task names, e.g. gsm8k arc-easy mmlu:biology (split 'test' "
                             "unless given: gsm8k:train)")
    parser.add_argument("--limit", type=int, default=None, help="at most N rows per task")
    add_format_arg(parser)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-gen-toks", type=int, default=None,
                        help="generation budget (default: gsm8k 256, math 512, code 384)")
    parser.add_argument("--code-timeout", type=float, default=10.0,
                        help="seconds per program for code tasks (default: %(default)s)")
    parser.add_argument("--code-memory-mb", type=int, default=1024,
                        help="address-space limit per program (default: %(default)s)")
    parser.add_argument("--out", default=None,
                        help="output folder; results of other tasks already there are kept "
                             "(default: eval-<folder> beside a local model folder, so "
                             "runs/R/final gives runs/R/eval-final; required for a built-in "
                             "or hub model)")
    parser.set_defaults(func=_run)


def default_out(model: str) -> str:
    """Where ``headprint eval`` writes without ``--out``: beside a local model folder (a
    fine-tuned checkpoint's results stay with its run).

    Raises:
        UsageError: ``model`` is a built-in or hub name: results would otherwise land in
            whatever folder the command happens to run in.
    """
    from pathlib import Path

    from headprint.errors import UsageError

    path = Path(model)
    if path.is_dir():
        resolved = path.resolve()
        return str(resolved.parent / f"eval-{resolved.name}")
    raise UsageError(f"--model {model} is not a local folder: give --out to say where its "
                     "results go")


def _run(args: argparse.Namespace) -> int:
    from headprint.errors import UsageError
    import sys

    from headprint.evaluation.api import EvalConfig, results_table, run_eval

    if args.device_map:
        raise UsageError("--device-map is not supported by headprint eval")
    config = EvalConfig(model=args.model, tasks=args.task, limit=args.limit,
                        batch_size=args.batch_size, max_gen_toks=args.max_gen_toks,
                        dtype=args.dtype, device=args.device, code_timeout=args.code_timeout,
                        code_memory_mb=args.code_memory_mb, format=args.format)
    out = args.out or default_out(args.model)
    results = run_eval(config, out)
    print(results_table(results), end="")
    for warning in results.get("warnings", []):
        print(f"warning: {warning}", file=sys.stderr)
    print(f"wrote {out}/results.json, results.md and samples/ ({results['seconds']} s)")
    return 0
