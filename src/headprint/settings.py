"""Settings dataclasses: the one place where every option of headprint is declared.

Each command's options are the fields of one or more dataclasses (``PatternConfig``,
``SFTConfig``, ...). A field is declared with :func:`transformers.hf_argparser.HfArg`, whose
``help`` is that option's documentation everywhere: the ``--help`` of the command-line flag
generated from it (:mod:`headprint.cli_parser`), and the key of the same name in a
``--config`` YAML file read by :func:`read_settings`. Nothing else lists the options, so
the library, the flags and the config files cannot drift apart.

Contract of a settings dataclass:

- its ``__post_init__`` validates the values and raises :class:`~headprint.errors.UsageError`
  (or a subclass) with a message naming the setting, so a bad value from the library, a flag
  or a YAML file fails the same way;
- a value that has a text form on the command line (``--ks 1,2,4``) is parsed by one
  function, the flag's converter (``metadata["type"]``), which the dataclass also applies to
  a text it is given; its errors are :class:`TextError`;
- a field marked with :func:`positional` is a positional argument of its command.
"""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any, Iterable, Literal

from transformers.hf_argparser import HfArg

from headprint.errors import UsageError

__all__ = ["HfArg", "positional", "read_settings", "setting_names", "int_list", "TextError",
           "require_choice", "require_at_least",
           "PromptFormat", "MODEL_HELP", "DEVICE_HELP", "DEVICE_MAP_HELP", "FORMAT_HELP"]

PromptFormat = Literal["auto", "chat", "raw"]
"""The prompt formats of :mod:`headprint.data.prompt_format` (its ``FORMATS``)."""

# Help texts shared by several commands' fields, written once here.
MODEL_HELP = ("built-in name (smollm2-135m, gemma3-270m, qwen2.5-coder-0.5b), a local model "
              "folder, or a hub id")
DEVICE_HELP = "cpu or cuda (default: cuda if present)"
DEVICE_MAP_HELP = "'auto' spreads a model too large for one GPU over all GPUs"
FORMAT_HELP = ("prompt format: 'chat' renders prompt/completion rows through the tokenizer's "
               "chat template (user turn, assistant turn), 'raw' uses the text as is (the "
               "paper's format); 'auto': the format a fine-tuned checkpoint was trained in, "
               "else chat when the tokenizer has a chat template, else raw")


class TextError(UsageError, argparse.ArgumentTypeError):
    """The text form of a value does not parse. A :class:`UsageError` to the library; to
    argparse, which runs the same parser as a flag's converter, an ``ArgumentTypeError``,
    whose message it prints as it is."""


def require_choice(value: Any, choices: Iterable[Any], what: str) -> None:
    """The check every settings class makes of a field with a fixed set of values.

    Raises:
        UsageError: ``value`` is not one of ``choices``, e.g. "unknown ablation 'max';
            choose one of zero, mean".
    """
    choices = tuple(choices)
    if value not in choices:
        raise UsageError(f"unknown {what} {value!r}; choose one of "
                         f"{', '.join(str(c) for c in choices)}")


def require_at_least(settings: Any, names: Iterable[str], minimum: int = 1) -> None:
    """Check that each named field of ``settings`` is ``None`` (unset) or at least
    ``minimum``.

    Raises:
        UsageError: the first field below ``minimum``, naming it and its value.
    """
    for name in names:
        value = getattr(settings, name)
        if value is not None and value < minimum:
            raise UsageError(f"{name} must be at least {minimum}, got {value}")


def int_list(text: str, what: str) -> list[int]:
    """``"0,4,8"`` -> ``[0, 4, 8]`` (the text of the ``what`` option).

    Raises:
        TextError: not integers separated by commas.
    """
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise TextError(f"{what} takes integers separated by commas, got {text!r}") from None


def positional(*, help: str, metavar: str, nargs: str | None = None,
               default: Any = dataclasses.MISSING, **metadata: Any) -> Any:
    """A field that its command takes as a positional argument (``nargs`` as argparse's:
    None for one value, ``"+"`` for one or more); without ``default`` it is required."""
    return HfArg(default=default, help=help,
                 metadata={"positional": True, "metavar": metavar, "nargs": nargs, **metadata})


def setting_names(types: Iterable[type]) -> list[str]:
    """Every settable field name of the dataclasses ``types``, in declaration order."""
    return [f.name for t in types for f in dataclasses.fields(t) if f.init]


def read_settings(path: str | Path, types: Iterable[type], *,
                  error: type[Exception] = UsageError) -> dict[str, Any]:
    """The settings of the YAML (or JSON) file ``path`` for the dataclasses ``types``.

    Keys are field names; ``-`` in a key counts as ``_`` (``batch-size`` = ``batch_size``),
    as on the command line. Values are returned as written: the caller converts them.

    Raises:
        error: (``UsageError`` unless given) the file is missing or unreadable, is not
            valid YAML, is not a mapping, or has a key that is no field of ``types``; the
            message names the file and the keys.
    """
    import yaml

    path = Path(path)
    if not path.is_file():
        raise error(f"config file {path}: not found" if not path.exists()
                    else f"config file {path}: not a file")
    try:
        values = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError, OSError) as err:
        detail = " ".join(str(err).split())
        raise error(f"config file {path}: not valid YAML ({detail})") from None
    if values is None:  # an empty file (or only comments) sets nothing
        return {}
    if not isinstance(values, dict):
        raise error(f"config file {path}: expected a mapping of settings (key: value), "
                    f"got a {type(values).__name__}")
    values = {str(key).replace("-", "_"): value for key, value in values.items()}
    known = setting_names(types)
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise error(f"config file {path}: unknown settings {unknown}; known: {sorted(known)}")
    return values
