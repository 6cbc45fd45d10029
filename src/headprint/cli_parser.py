"""Sub-command parsers generated from settings dataclasses, with ``--config FILE.yaml``.

:class:`CommandParser` is transformers' :class:`~transformers.HfArgumentParser`: each field
of the command's dataclasses becomes ``--field-name`` (and ``--field_name``), typed from the
annotation, its help the field's ``metadata["help"]`` (see :mod:`headprint.settings`). On
top of it, what HfArgumentParser does not do:

- a field with ``metadata["positional"]`` is a positional argument;
- a ``bool`` field is ``--flag-name`` / ``--no-flag-name`` taking no value
  (HfArgumentParser's ``--flag_name [BOOL]`` would swallow a positional argument written
  after the flag);
- ``metadata["type"]`` replaces the converter derived from the annotation (a field typed
  ``tuple[int, ...]`` whose flag reads the text ``1,2,4``);
- ``--config FILE.yaml`` fills the same fields; flags given on the command line win.

Use it through ``add_subparsers(parser_class=CommandParser)`` and :func:`add_command`.
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import sys
import types
from typing import (Any, Callable, Literal, Sequence, Union, get_args, get_origin,
                    get_type_hints)

from transformers.hf_argparser import HfArgumentParser

from headprint.errors import UsageError
from headprint.settings import read_settings

__all__ = ["CommandParser", "add_command", "CONFIG_HELP"]

CONFIG_HELP = ("YAML file of settings: keys are the long flag names (e.g. batch_size: 8); "
               "flags given on the command line override it")


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Appends ``(default: X)`` to an option's help, except where it says nothing (None,
    an unset flag, an empty list, a required option): the help text then says what the
    absence means."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        default = action.default
        if default is None or default is False or default == [] or action.required \
                or not action.help:
            return action.help
        return super()._get_help_string(action)


class CommandParser(HfArgumentParser):
    """The parser of one command: flags of ``dataclass_types`` plus ``--config``."""

    def __init__(self, dataclass_types: Sequence[type] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(dataclass_types or [], **kwargs)
        if self.dataclass_types:
            self.add_argument("--config", metavar="FILE.yaml", help=CONFIG_HELP)

    @staticmethod
    def _parse_dataclass_field(parser: argparse.ArgumentParser, field: dataclasses.Field
                               ) -> None:
        # HfArgumentParser calls this once per field, with the annotation resolved.
        meta = dict(field.metadata)
        if meta.pop("positional", False):
            if get_origin(field.type) is Literal:
                meta.setdefault("choices", get_args(field.type))
            elif get_origin(field.type) is list:  # nargs "+": the converter of one item
                meta.setdefault("type", get_args(field.type)[0])
            elif isinstance(field.type, type):
                meta.setdefault("type", field.type)
            if field.default is not dataclasses.MISSING:
                meta["default"] = field.default
                meta["nargs"] = meta.get("nargs") or "?"
            parser.add_argument(field.name, **meta)
            return
        if field.type is bool:
            # hyphens only: BooleanOptionalAction doubles every name with its --no- form
            names = [f"--{field.name.replace('_', '-')}"]
            aliases = meta.pop("aliases", [])
            parser.add_argument(*names, *([aliases] if isinstance(aliases, str) else aliases),
                                action=argparse.BooleanOptionalAction, default=field.default,
                                **meta)
            return
        if "type" in meta:
            field = copy.copy(field)  # HfArgumentParser takes its converter from field.type
            field.type = meta["type"]
        HfArgumentParser._parse_dataclass_field(parser, field)

    def parse_known_args(self, args: Sequence[str] | None = None,
                         namespace: argparse.Namespace | None = None
                         ) -> tuple[argparse.Namespace, list[str]]:
        """argparse's, with the settings of ``--config FILE`` as defaults (so the flags
        given win) and satisfying required arguments.

        Raises:
            UsageError: the file is missing, not YAML, or sets an unknown key or a value
                its option rejects; the message names the file and the key.
        """
        args = list(sys.argv[1:] if args is None else args)
        path = _config_path(args) if self.dataclass_types else None
        if path is None:
            return super().parse_known_args(args, namespace)
        values = read_settings(path, self.dataclass_types)
        saved = [(a, a.default, a.required, a.nargs) for a in self._actions]
        saved_defaults = dict(self._defaults)
        try:
            repeated = self._use_settings(values, path)
            parsed, rest = super().parse_known_args(args, namespace)
        finally:  # a parser is reusable: the file's settings apply to this parse only
            for action, default, required, nargs in saved:
                action.default, action.required, action.nargs = default, required, nargs
            self._defaults = saved_defaults
        for dest, value in repeated.items():
            if getattr(parsed, dest, None) is None:
                setattr(parsed, dest, value)
        return parsed, rest

    def _use_settings(self, values: dict[str, Any], path: str) -> dict[str, Any]:
        """Make the file's ``values`` the defaults; returns those of repeatable flags, which
        the caller sets only when no flag was given (argparse would append to them)."""
        several = {name for t in self.dataclass_types
                   for name, hint in get_type_hints(t).items() if _holds_several(hint)}
        repeated = {}
        for action in self._actions:
            if action.dest not in values:
                continue
            where = f"config file {path}: {action.dest}"
            value = _convert(action, values[action.dest], where, action.dest in several)
            action.required = False
            if isinstance(action, argparse._AppendAction):
                repeated[action.dest] = value
                continue
            action.default = self._defaults[action.dest] = value
            if not action.option_strings:  # a positional the file supplies may be left out
                action.nargs = {None: "?", "+": "*"}.get(action.nargs, action.nargs)
        return repeated

    def settings(self, namespace: argparse.Namespace) -> tuple[Any, ...]:
        """One instance of each of the command's dataclasses, from a parsed namespace."""
        return self.parse_dict(vars(namespace), allow_extra_keys=True)


def _config_path(args: list[str]) -> str | None:
    """The ``--config`` value in ``args`` (the last one wins), read before the real parse so
    that its settings can become defaults."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--config")
    try:
        known, _ = pre.parse_known_args(args)
    except SystemExit:  # `--config` without a value: the real parse reports it
        return None
    return known.config


def _convert(action: argparse.Action, value: Any, where: str, container: bool) -> Any:
    """A YAML value converted as the same text on the command line would be; a list or
    mapping for a field that holds several values (``container``) and whose flag reads them
    as one text (``--ks 1,2,4``) goes to the dataclass as it is."""
    if value is None:
        return None
    if isinstance(action, argparse.BooleanOptionalAction):
        if not isinstance(value, bool):
            raise UsageError(f"{where}: expected true or false, got {value!r}")
        return value
    # argparse's append action is how a repeatable flag (mix --basis) collects its values
    many = action.nargs in ("+", "*") or isinstance(action.nargs, int) \
        or isinstance(action, argparse._AppendAction)
    if isinstance(value, (list, dict)) and (isinstance(value, dict) or not many):
        if not container:
            raise UsageError(f"{where}: expected one value, got {value!r}")
        return value
    items = value if isinstance(value, list) else [value]
    try:
        items = [_one(action, item) for item in items]
    except (TypeError, ValueError, argparse.ArgumentTypeError) as err:
        raise UsageError(f"{where}: {err}") from None
    for item in items:
        if action.choices is not None and item not in action.choices:
            raise UsageError(f"{where}: {item!r} is not one of "
                             f"{', '.join(map(str, action.choices))}")
    return items if many else items[0]


def _holds_several(annotation: Any) -> bool:
    """Whether a field typed ``annotation`` holds a list, tuple or mapping (maybe None)."""
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_holds_several(arg) for arg in get_args(annotation))
    return (get_origin(annotation) or annotation) in (list, tuple, dict)


def _one(action: argparse.Action, value: Any) -> Any:
    # A YAML scalar goes through the flag's converter as text, so that `limit: 2.5` is the
    # same error as `--limit 2.5`, and `lr: 1e-6` (a string to YAML 1.1) is a float.
    if action.type is None or isinstance(value, (dict, list)):
        return value
    return action.type(value if isinstance(value, str) else str(value))


def add_command(subparsers: Any, name: str, settings: Sequence[type],
                run: Callable[..., int | None], **kwargs: Any) -> CommandParser:
    """Add command ``name`` whose options are the fields of ``settings``; running it calls
    ``run(*instances)`` with one instance per dataclass, in order. ``kwargs`` go to
    ``add_parser`` (``help``, ``description``). ``subparsers`` must come from
    ``add_subparsers(parser_class=CommandParser)``."""
    parser = subparsers.add_parser(name, dataclass_types=list(settings), **kwargs)
    if not isinstance(parser, CommandParser):
        raise TypeError("add_subparsers(parser_class=CommandParser) is required")
    parser.set_defaults(func=lambda args: run(*parser.settings(args)))
    return parser
