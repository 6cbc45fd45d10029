"""``headprint reproduce``: one call to :func:`headprint.experiments.api.reproduce`."""
from __future__ import annotations

import argparse

from headprint.models import DEFAULT_MODEL

__all__ = ["register"]

_NAMES = ("table1", "fig4", "fig5", "table2", "table3", "transfer", "all")


def register(subparsers: argparse._SubParsersAction) -> None:
    from headprint.experiments.scales import SCALES

    parser = subparsers.add_parser(
        "reproduce", help="run one of the paper's experiments end to end (or all five)",
        description="Run an experiment of Zhao et al. (ACL 2025) on any model: every step "
                    "saves its artifact under OUT/steps (a restarted run reuses finished "
                    "steps), and OUT/NAME/report.html puts headprint's numbers beside the "
                    "paper's with one line per finding saying whether it reproduced.")
    parser.add_argument("name", choices=_NAMES,
                        help="table1 (with Figure 2), fig4, fig5, table2, table3, transfer "
                             "(beyond the paper: transfer between tasks against pattern "
                             "similarity, on Table 1's SFT runs), or all")
    parser.add_argument("--model", default=DEFAULT_MODEL,
                        help="built-in name, local model folder, or hub id "
                             "(default: %(default)s)")
    parser.add_argument("--scale", default="small", choices=tuple(SCALES),
                        help="tiny: a smoke test in minutes; small: results on 2 CPU cores "
                             "(about 1 h for table1+fig4+fig5, 2 h each for table2, table3); "
                             "paper: the paper's sizes (default: %(default)s)")
    parser.add_argument("--out", default="runs/reproduce",
                        help="output folder; run experiments into the same folder to share "
                             "their steps (default: %(default)s)")
    from headprint.patterns.commands import add_format_arg

    add_format_arg(parser)
    parser.add_argument("--dtype", default="auto",
                        help="auto (default: bfloat16 where the hardware runs it fast and the "
                             "model passed the fidelity gate, else float32), float32, bfloat16")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from headprint.experiments.api import reproduce

    results = reproduce(args.name, model=args.model, scale=args.scale, out=args.out,
                        prompt_format=args.format, dtype=args.dtype)
    for name, result in results.items():
        print(f"{name}: {result['report']}")
        for f in result["findings"]:
            print(f"  [{f.verdict}] {f.claim}: {f.evidence}")
    print(f"index: {args.out}/index.html")
    return 0
