"""``headprint select`` and ``headprint mix``: each one call into :mod:`headprint.selection.api`."""
from __future__ import annotations

from headprint.errors import UsageError

import argparse

__all__ = ["register", "parse_sizes", "parse_basis"]


def parse_sizes(text: str) -> list[int]:
    """``"100,300,500"`` -> ``[100, 300, 500]``."""
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"--n takes integers separated by commas, got "
                                         f"{text!r}") from err
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"--n needs positive sizes, got {text!r}")
    return sizes


def parse_basis(text: str) -> tuple[str, tuple[str, str, str]]:
    """``"NAME=BEFORE,AFTER,DATA"`` -> ``(NAME, (BEFORE, AFTER, DATA))``."""
    name, sep, rest = text.partition("=")
    parts = rest.split(",")
    if not sep or not name or len(parts) != 3 or not all(parts):
        raise argparse.ArgumentTypeError(
            f"--basis takes NAME=BEFORE,AFTER,DATA (two pattern folders and a task or data "
            f"file), got {text!r}")
    return name, (parts[0], parts[1], parts[2])


def register(subparsers: argparse._SubParsersAction) -> None:
    sel = subparsers.add_parser(
        "select", help="choose pool rows that resemble a target set (Eq. 5 or a baseline)",
        description="Rank every pool row and write the top-n rows of each size as .jsonl "
                    "training files. --by pattern (Eq. 5): Pearson r of the row's "
                    "per-sample pattern with the target set's pattern; --by embedding: "
                    "cosine of the row's mean-pooled final hidden state with the target "
                    "rows' mean, same model and rows; --by random: a seeded draw. Every "
                    "method writes the same files; selection.json records the method and "
                    "its cost in seconds.")
    sel.add_argument("--by", default="pattern", choices=("pattern", "embedding", "random"),
                     help="ranking method (default: %(default)s)")
    sel.add_argument("--target", default=None,
                     help="pattern-set folder of the target set (pattern: required; "
                          "embedding/random: supplies the model, rows and ids to exclude)")
    sel.add_argument("--pool", default=None,
                     help="pattern-set folder of the pool (computed with --per-sample); "
                          "required for --by pattern")
    sel.add_argument("--n", required=True, type=parse_sizes, metavar="N[,N...]",
                     help="sizes to select, e.g. 100,300,500")
    sel.add_argument("--data", default=None,
                     help="the pool's rows (task or data file); default: the data recorded "
                          "in the pool's manifest")
    sel.add_argument("--target-data", default=None,
                     help="the target set's rows (embedding; default: the data recorded in "
                          "--target's manifest)")
    sel.add_argument("--model", default=None,
                     help="model for --by embedding (default: the one --target was measured "
                          "with)")
    sel.add_argument("--max-length", type=int, default=None,
                     help="tokens per row for --by embedding (default: the pattern sets')")
    sel.add_argument("--seed", type=int, default=0, help="seed of --by random")
    sel.add_argument("--out", required=True, help="output folder")
    sel.set_defaults(func=_select)

    mix = subparsers.add_parser(
        "mix", help="build a mixture of basic tasks from pattern composition (Eq. 4)",
        description="Fit the complex task's pattern change on the basic tasks' changes, "
                    "keep the top-k positive coefficients and draw N·β_k/Σβ rows of each.")
    mix.add_argument("--target", required=True, nargs=2, metavar=("BEFORE", "AFTER"),
                     help="pattern-set folders of the complex task before and after SFT")
    mix.add_argument("--basis", required=True, action="append", type=parse_basis,
                     metavar="NAME=BEFORE,AFTER,DATA",
                     help="a basic task: its pattern sets before/after SFT and its rows "
                          "(repeat for each task)")
    mix.add_argument("--size", required=True, type=int, help="number of rows N")
    mix.add_argument("--top-k", type=int, default=2,
                     help="keep the k largest positive coefficients (default: %(default)s)")
    mix.add_argument("--by", default=None, choices=("composition", "random", "uniform"),
                     help="composition (Eq. 4, default); random: N rows uniformly from the "
                          "union of the basic tasks; uniform: N/K rows from each of the K")
    mix.add_argument("--random", action="store_true", help="the same as --by random")
    mix.add_argument("--nonneg", action="store_true",
                     help="take β from the non-negative fit (scipy NNLS) instead of least "
                          "squares; both R² are reported either way")
    mix.add_argument("--pool-per-task", type=int, default=None, metavar="M",
                     help="candidate rows per basic task (seeded); both the mixture and "
                          "--random draw from these (default: all rows)")
    mix.add_argument("--seed", type=int, default=0)
    mix.add_argument("--out", required=True, help="output .jsonl file (fit: <stem>.fit.json)")
    mix.set_defaults(func=_mix)


def _select(args: argparse.Namespace) -> int:
    from headprint.selection.api import select

    result = select(args.out, args.n, by=args.by, target=args.target, pool=args.pool,
                    data=args.data, target_data=args.target_data, model=args.model,
                    seed=args.seed, max_length=args.max_length)
    summary = result.summary
    print(f"ranked {summary['n_candidates']} candidates by {args.by} in "
          f"{result.seconds:.2f} s ({len(summary['excluded_overlap'])} excluded as "
          "overlapping the target)")
    for n, info in summary["sizes"].items():
        score = "" if info["mean_score"] is None else f"mean score {info['mean_score']:.3f} "
        print(f"  n={n}: {score}-> {args.out}/{info['file']}")
    return 0


def _mix(args: argparse.Namespace) -> int:
    from headprint.selection.api import mix_data

    names = [name for name, _ in args.basis]
    if len(set(names)) != len(names):
        raise UsageError(f"--basis names must be unique, got {', '.join(names)}")
    summary = mix_data(tuple(args.target), dict(args.basis), args.size, args.out,
                       top_k=args.top_k, random=args.random, seed=args.seed,
                       pool_per_task=args.pool_per_task, by=args.by,
                       nonnegative=args.nonneg)
    coef = ", ".join(f"{k} {v:.3g}" for k, v in summary["fit"]["coefficients"].items())
    print(f"fit R² {summary['r2']['least_squares']:.3f} (least squares), "
          f"{summary['r2']['nonnegative']:.3f} (non-negative); "
          f"β ({'NNLS' if args.nonneg else 'least squares'}): {coef}")
    print(f"wrote {summary['size']} rows ({summary['kind']}) to {args.out}: "
          + ", ".join(f"{k} {v}" for k, v in summary["counts"].items()))
    return 0
