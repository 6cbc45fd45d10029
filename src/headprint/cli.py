"""Thin command-line interface: every command is one importable library call.

Each pipeline stage owns a ``commands`` module with ``register(subparsers)``, which adds
its sub-commands and sets ``func`` to a function taking the parsed arguments. This file
only collects them, so adding a command never touches another stage's code.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

__all__ = ["main", "build_parser"]

COMMAND_MODULES = (
    "headprint.patterns.commands",
    "headprint.analysis.commands",
    "headprint.report.commands",
    "headprint.training.commands",
    "headprint.evaluation.commands",
    "headprint.selection.commands",
    "headprint.experiments.commands",
    "headprint.validation.commands",
    "headprint.demo",
)


class UserError(Exception):
    """An error caused by the user's input; printed without a traceback."""


def build_parser() -> argparse.ArgumentParser:
    from headprint import __version__

    parser = argparse.ArgumentParser(
        prog="headprint",
        description="Attention-head activation patterns of causal LMs, through fine-tuning, "
                    "to data decisions.")
    parser.add_argument("--version", action="version", version=f"headprint {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name == name:  # stage not built yet: its commands are simply absent
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        result = args.func(args)
    except (UserError, ValueError, FileNotFoundError, FileExistsError, KeyError) as err:
        if os.environ.get("HEADPRINT_DEBUG"):
            raise
        message = err.args[0] if isinstance(err, KeyError) and err.args else err
        print(f"headprint {args.command}: error: {message}", file=sys.stderr)
        return 1
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
