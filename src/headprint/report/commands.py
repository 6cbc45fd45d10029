"""CLI for the report stage: ``headprint report DIR``, one call to :func:`build_report`.

The arguments are the fields of :class:`ReportConfig` (see :mod:`headprint.cli_parser`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from headprint.cli_parser import add_command
from headprint.settings import HfArg, positional

__all__ = ["register", "ReportConfig"]


@dataclass
class ReportConfig:
    """Settings of ``headprint report`` (arguments of :func:`build_report`)."""

    folder: str = positional(metavar="DIR", help="run folder to scan recursively")
    out: str | None = HfArg(default=None, metadata={"metavar": "FILE"},
                            help="page to write (default DIR/report.html)")
    title: str | None = HfArg(default=None,
                              help="page title (default: headprint report: <DIR name>)")


def _report(config: ReportConfig) -> int:
    from headprint.report.html import build_report

    path = build_report(config.folder, config.out, title=config.title)
    print(f"wrote {path}")
    return 0


def register(subparsers: Any) -> None:
    """Add ``report`` to the top-level CLI."""
    add_command(subparsers, "report", (ReportConfig,), _report,
                help="one self-contained HTML page of every table and figure in a folder")
