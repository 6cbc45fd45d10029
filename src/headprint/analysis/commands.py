"""CLI for the analysis stage: ``stats``, ``compare``, ``similarity``, ``compose``, ``track``.

Each command parses its flags and makes one call into :mod:`headprint.analysis.api`;
all logic lives there so that scripts and notebooks get the same behaviour.
"""
from __future__ import annotations

from headprint.errors import UsageError

import argparse
from typing import Any

from headprint.analysis.inputs import split_named

__all__ = ["register"]


def _stat_flags(p: argparse.ArgumentParser, bootstrap: bool = True) -> None:
    p.add_argument("--out", metavar="DIR",
                   help="output folder (default: <inputs' parent>/analysis/<command>)")
    if bootstrap:
        p.add_argument("--n-boot", type=int, default=1000,
                       help="bootstrap replicates over samples (default 1000; 0: none)")
        p.add_argument("--confidence", type=float, default=0.95,
                       help="interval coverage (default 0.95)")
        p.add_argument("--seed", type=int, default=0, help="seed of every random draw")
        p.add_argument("--ci-method", choices=["basic", "percentile"], default="basic",
                       help="bootstrap interval: basic (default; corrects the bias sampling "
                            "noise adds to these statistics) or percentile")
    p.add_argument("--no-figures", dest="figures", action="store_false",
                   help="write tables only")


def _report(result: dict[str, Any]) -> int:
    print(f"wrote {', '.join(result['files'])} to {result['out']}")
    return 0


def _pair(spec: str, what: str) -> tuple[str, list[str]]:
    name, rest = split_named(spec)
    parts = [s for s in rest.split(",") if s]
    if len(parts) != 2:
        raise UsageError(f"{what} {spec!r}: expected [NAME=]BEFORE,AFTER")
    return name, parts


def _stats(args: argparse.Namespace) -> int:
    from headprint.analysis.api import run_stats

    return _report(run_stats(args.patterns, args.out, n_boot=args.n_boot,
                             confidence=args.confidence, seed=args.seed,
                             ci_method=args.ci_method, figures=args.figures))


def _compare(args: argparse.Namespace) -> int:
    from headprint.analysis.api import run_compare

    return _report(run_compare(args.a, args.b, args.out, top=args.top, n_boot=args.n_boot,
                               confidence=args.confidence, seed=args.seed,
                               ci_method=args.ci_method, figures=args.figures))


def _similarity(args: argparse.Namespace) -> int:
    from headprint.analysis.api import run_similarity

    items, names = [], []
    for spec in args.patterns:
        name, rest = split_named(spec)
        items.append(_pair(spec, "item")[1] if "," in rest else rest)
        names.append(name)
    return _report(run_similarity(items, args.out, names=names, of=args.of,
                                  figures=args.figures))


def _compose(args: argparse.Namespace) -> int:
    from headprint.analysis.api import run_compose

    basis, pool = {}, {}
    for target, specs in ((basis, args.basis), (pool, args.pool or [])):
        for spec in specs:
            name, paths = _pair(spec, "--basis/--pool")
            if not name:
                raise UsageError(f"--basis/--pool {spec!r}: a NAME= is required")
            target[name] = paths
    return _report(run_compose(
        args.target, basis, args.out, k=args.k, max_subsets=args.max_subsets,
        intercept=args.intercept, nonnegative=args.nonnegative, top=args.top,
        n_permutations=args.permutations, n_draws=args.draws, n_boot=args.n_boot,
        confidence=args.confidence, seed=args.seed, ci_method=args.ci_method,
        pool=pool or None, figures=args.figures))


def _track(args: argparse.Namespace) -> int:
    from headprint.analysis.api import run_track

    return _report(run_track(args.run_dir, args.out, n_boot=args.n_boot,
                             confidence=args.confidence, seed=args.seed,
                             ci_method=args.ci_method, figures=args.figures))


def register(subparsers: Any) -> None:
    """Add the analysis commands to the top-level CLI."""
    p = subparsers.add_parser(
        "stats", help="Gini, CV, kurtosis of pattern sets, with bootstrap intervals (Table 1)")
    p.add_argument("patterns", nargs="+", metavar="PATTERN", help="pattern-set folders")
    _stat_flags(p)
    p.set_defaults(func=_stats)

    p = subparsers.add_parser(
        "compare", help="correlation, MSE and most-changed heads between two pattern sets")
    p.add_argument("a", metavar="A", help="pattern-set folder (e.g. before SFT)")
    p.add_argument("b", metavar="B", help="pattern-set folder (e.g. after SFT)")
    p.add_argument("--top", type=int, default=10, help="changed heads to list (default 10)")
    _stat_flags(p)
    p.set_defaults(func=_compare)

    p = subparsers.add_parser(
        "similarity", help="task x task correlation and MSE matrices (Figure 2)")
    p.add_argument("patterns", nargs="+", metavar="P",
                   help="[NAME=]FOLDER, or [NAME=]BEFORE,AFTER to compare changes")
    p.add_argument("--of", choices=["pattern", "change", "change-rate"],
                   help="what to correlate (default: pattern for folders, change-rate "
                        "for BEFORE,AFTER pairs)")
    _stat_flags(p, bootstrap=False)
    p.set_defaults(func=_similarity)

    p = subparsers.add_parser(
        "compose", help="fit a complex task's change from basic tasks' changes (Figure 4)")
    p.add_argument("--target", nargs=2, required=True, metavar=("BEFORE", "AFTER"),
                   help="pattern-set folders of the complex task before and after SFT")
    p.add_argument("--basis", nargs="+", required=True, metavar="NAME=BEFORE,AFTER",
                   help="basic tasks")
    p.add_argument("--pool", nargs="+", metavar="NAME=BEFORE,AFTER",
                   help="extra tasks used only as random replacements in the baseline")
    p.add_argument("--k", type=int, nargs="+", default=[2],
                   help="subset size(s) to search (default 2: every pair)")
    p.add_argument("--max-subsets", type=int, default=1000,
                   help="cap per size; a seeded random sample beyond it (default 1000)")
    p.add_argument("--intercept", action="store_true", help="fit an intercept")
    p.add_argument("--nonnegative", action="store_true", help="constrain coefficients >= 0")
    p.add_argument("--top", type=int, default=5,
                   help="best subsets that get baselines and intervals (default 5)")
    p.add_argument("--permutations", type=int, default=200,
                   help="shuffled-heads permutations (default 200)")
    p.add_argument("--draws", type=int, default=200,
                   help="random-task draws (default 200)")
    _stat_flags(p)
    p.set_defaults(func=_compose)

    p = subparsers.add_parser(
        "track", help="pattern change against step 0 during fine-tuning (Figure 5)")
    p.add_argument("run_dir", metavar="RUN_DIR",
                   help="run folder holding tracking/<task>/step-<k>/ pattern sets")
    _stat_flags(p)
    p.set_defaults(func=_track)
