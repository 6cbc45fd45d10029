"""Thin command-line interface: every command is one importable library call.

Each pipeline stage owns a ``commands`` module with ``register(subparsers)``, which adds
its sub-commands with :func:`headprint.cli_parser.add_command`: a command's flags, and the
keys of its ``--config FILE.yaml``, are the fields of its settings dataclasses, and ``func``
runs it from the parsed arguments. This file only collects the commands, so adding one
never touches another stage's code.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from headprint.cli_parser import CommandParser
from headprint.errors import EXIT_INTERRUPTED, EXIT_USER_ERROR, HeadprintError

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


# Problems of the user's environment (a path that is missing, taken, read-only or of the
# wrong kind): reported like HeadprintError, since the message names the path.
ENVIRONMENT_ERRORS = (FileNotFoundError, FileExistsError, PermissionError, IsADirectoryError,
                      NotADirectoryError)

INTERRUPTED = ("interrupted. Finished work is kept (pattern shards, training checkpoints, "
               "experiment steps): run the same command again to resume.")


def build_parser(modules: tuple[str, ...] = COMMAND_MODULES) -> argparse.ArgumentParser:
    """The ``headprint`` parser with the commands of ``modules`` (default: all stages)."""
    from headprint import __version__

    parser = argparse.ArgumentParser(
        prog="headprint",
        description="Attention-head activation patterns of causal LMs, through fine-tuning, "
                    "to data decisions.")
    parser.add_argument("--version", action="version", version=f"headprint {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND",
                                       parser_class=CommandParser)
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name == name:  # stage not built yet: its commands are simply absent
                continue
            raise
        module.register(subparsers)
    return parser


def error_message(err: BaseException) -> str:
    """One line for a user-facing error: an OSError as ``path: reason``, else its text."""
    if isinstance(err, OSError) and err.strerror:
        where = f"{err.filename}: " if err.filename else ""
        also = f" -> {err.filename2}" if err.filename2 else ""
        return f"{where}{err.strerror}{also}"
    return " ".join(str(err).split("\n")).strip() or type(err).__name__


def main(argv: list[str] | None = None) -> int:
    """Run one command. Exit codes: 0 done, 2 a user-facing error (one line on stderr, no
    traceback), 130 interrupted (Ctrl-C). Any other exception is a bug and propagates with
    its traceback; ``HEADPRINT_DEBUG=1`` shows the traceback of user-facing errors too."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = parser.parse_args(argv)
    except HeadprintError as err:  # a --config file the command cannot use
        if os.environ.get("HEADPRINT_DEBUG"):
            raise
        command = next((a for a in argv if not a.startswith("-")), "")
        print(f"headprint {command}: error: {error_message(err)}", file=sys.stderr)
        return EXIT_USER_ERROR
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USER_ERROR
    try:
        result = args.func(args)
    except (HeadprintError, *ENVIRONMENT_ERRORS) as err:
        if os.environ.get("HEADPRINT_DEBUG"):
            raise
        print(f"headprint {args.command}: error: {error_message(err)}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        if os.environ.get("HEADPRINT_DEBUG"):
            raise
        print(f"\nheadprint {args.command}: {INTERRUPTED}", file=sys.stderr)
        return EXIT_INTERRUPTED
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
