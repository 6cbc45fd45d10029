"""The parser machinery on small dataclasses: flags from fields, ``--config`` YAML under flags.

The real commands are checked in ``test_cli_commands.py``; these tests pin the rules they
rely on, each on the smallest dataclass that shows it.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Literal

import pytest

from headprint.cli_parser import CONFIG_HELP, CommandParser, add_command
from headprint.errors import UsageError
from headprint.settings import HfArg, positional


@dataclass
class Toy:
    """Every kind of field the commands use."""

    folder: str = positional(metavar="DIR", help="a folder")
    size: int = HfArg(default=4, help="a size")
    name: str | None = HfArg(default=None, help="a name")
    mode: Literal["a", "b"] = HfArg(default="a", help="a mode")
    tasks: list[str] = HfArg(default_factory=list, help="some tasks")
    steps: list[int] = HfArg(default_factory=list, metadata={"type": str},
                             help="steps as one text, 1,2,3")
    fast: bool = HfArg(default=False, aliases=["--quick"], help="a flag")
    figures: bool = HfArg(default=True, help="a flag on by default")

    def __post_init__(self) -> None:
        if isinstance(self.steps, str):
            self.steps = [int(s) for s in self.steps.split(",")]
        if self.size < 1:
            raise UsageError("size must be at least 1")


@dataclass
class Out:
    out: str = HfArg(help="output folder")
    basis: list[str] | None = HfArg(default=None, metadata={"type": str, "action": "append"},
                                    help="repeatable")


@pytest.fixture
def parser():
    top = argparse.ArgumentParser(prog="headprint")
    sub = top.add_subparsers(dest="command", parser_class=CommandParser)
    runs = []
    add_command(sub, "toy", (Toy, Out), lambda *configs: runs.append(configs) or 0,
                help="a toy command")
    top.runs = runs
    return top


def _run(parser, argv):
    args = parser.parse_args(argv)
    assert args.func(args) == 0
    return parser.runs[-1]


def test_flags_from_fields(parser):
    toy, out = _run(parser, ["toy", "--fast", "D", "--size", "3", "--tasks", "x", "y",
                             "--steps", "0,4", "--mode", "b", "--no-figures", "--out", "o"])
    assert toy == Toy(folder="D", size=3, mode="b", tasks=["x", "y"], steps=[0, 4],
                      fast=True, figures=False)
    assert out == Out(out="o")
    # underscore spellings (HfArgumentParser's), aliases and --no- forms
    toy, _ = _run(parser, ["toy", "D", "--quick", "--out", "o"])
    assert toy.fast and toy.figures


def test_required_and_bad_values_exit_2(parser, capsys):
    for argv in (["toy", "D"], ["toy", "--out", "o"], ["toy", "D", "--out", "o", "--mode", "c"],
                 ["toy", "D", "--out", "o", "--size", "x"]):
        with pytest.raises(SystemExit) as exc:
            parser.parse_args(argv)
        assert exc.value.code == 2
    capsys.readouterr()


def test_help_is_the_field_help(parser):
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {a.dest: a.help for a in sub.choices["toy"]._actions}
    assert helps["size"] == "a size" and helps["folder"] == "a folder"
    assert helps["config"] == CONFIG_HELP
    text = sub.choices["toy"].format_help()
    assert "a size (default: 4)" in text
    assert "a name (default" not in text  # None says nothing


def test_config_file_under_flags(parser, tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("folder: F\nsize: 7\nname: n\nfast: true\ntasks: [t1, t2]\n"
                      "steps: [1, 2]\nout: o\nbasis: [b1]\n")
    toy, out = _run(parser, ["toy", "--config", str(config), "--size", "9"])
    assert toy == Toy(folder="F", size=9, name="n", tasks=["t1", "t2"], steps=[1, 2],
                      fast=True)
    assert out == Out(out="o", basis=["b1"])
    # a positional and a repeatable flag given on the command line replace the file's
    toy, out = _run(parser, ["toy", "G", "--config", str(config), "--basis", "b2",
                             "--no-fast"])
    assert (toy.folder, toy.fast, out.basis) == ("G", False, ["b2"])
    # the parser is unchanged afterwards: without the file, the positional is required
    with pytest.raises(SystemExit):
        parser.parse_args(["toy", "--out", "o"])


def test_config_values_convert_like_flags(parser, tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("folder: 12\nsize: '5'\nsteps: 3,4\nout: o\n")
    toy, _ = _run(parser, ["toy", "--config", str(config)])
    assert (toy.folder, toy.size, toy.steps) == ("12", 5, [3, 4])


@pytest.mark.parametrize("text, needle", [
    ("sizes: 3\n", "unknown settings ['sizes']"),
    ("size: many\n", "size: invalid literal"),
    ("mode: c\n", "mode: 'c' is not one of a, b"),
    ("fast: 1\n", "fast: expected true or false"),
    ("size: [1, 2]\n", "size: expected one value"),
    ("- size\n", "expected a mapping"),
    ("size: [\n", "not valid YAML"),
])
def test_bad_config_is_a_usage_error_naming_file_and_key(parser, tmp_path, text, needle):
    config = tmp_path / "bad.yaml"
    config.write_text(text)
    with pytest.raises(UsageError) as exc:
        parser.parse_args(["toy", "D", "--out", "o", "--config", str(config)])
    assert str(config) in str(exc.value) and needle in str(exc.value)


def test_missing_config_file(parser, tmp_path):
    with pytest.raises(UsageError, match="missing.yaml: not found"):
        parser.parse_args(["toy", "--config", str(tmp_path / "missing.yaml")])


def test_dataclass_validation_runs_on_flags_and_files(parser, tmp_path):
    args = parser.parse_args(["toy", "D", "--out", "o", "--size", "0"])
    with pytest.raises(UsageError, match="size must be at least 1"):
        args.func(args)


def test_subparsers_need_the_command_parser():
    sub = argparse.ArgumentParser().add_subparsers()
    with pytest.raises(TypeError):
        add_command(sub, "toy", (Out,), lambda *a: 0)
