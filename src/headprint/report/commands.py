"""CLI for the report stage: ``headprint report DIR``, one call to :func:`build_report`."""
from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register"]


def _report(args: argparse.Namespace) -> int:
    from headprint.report.html import build_report

    path = build_report(args.folder, args.out, title=args.title)
    print(f"wrote {path}")
    return 0


def register(subparsers: Any) -> None:
    """Add ``report`` to the top-level CLI."""
    p = subparsers.add_parser(
        "report", help="one self-contained HTML page of every table and figure in a folder")
    p.add_argument("folder", metavar="DIR", help="run folder to scan recursively")
    p.add_argument("--out", metavar="FILE", help="page to write (default DIR/report.html)")
    p.add_argument("--title", help="page title (default: headprint report: <DIR name>)")
    p.set_defaults(func=_report)
