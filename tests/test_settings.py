"""Reading settings files, and the parsers of values written as one text."""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import get_args

import pytest

from headprint.errors import UsageError
from headprint.settings import (HfArg, PromptFormat, TextError, int_list, read_settings,
                                setting_names)


@dataclass
class A:
    batch_size: int = HfArg(default=1, help="h")


@dataclass
class B:
    out: str = HfArg(default="o", help="h")


def test_keys_of_all_dataclasses_hyphens_as_underscores(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("batch-size: 3\nout: x\n")
    assert read_settings(path, [A, B]) == {"batch_size": 3, "out": "x"}
    assert setting_names([A, B]) == ["batch_size", "out"]
    (tmp_path / "empty.yaml").write_text("# nothing\n")
    assert read_settings(tmp_path / "empty.yaml", [A]) == {}


def test_errors_name_the_file_and_keys(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("out: x\n")
    with pytest.raises(UsageError, match=r"s\.yaml: unknown settings \['out'\]; known: "
                                         r"\['batch_size'\]"):
        read_settings(path, [A])
    with pytest.raises(UsageError, match="not a file"):
        read_settings(tmp_path, [A])

    class Mine(UsageError):
        pass

    with pytest.raises(Mine, match="not found"):
        read_settings(tmp_path / "none.yaml", [A], error=Mine)


def test_text_errors_are_usage_errors_and_argparse_type_errors():
    assert int_list("0, 4,8,", "--save-at") == [0, 4, 8]
    with pytest.raises(TextError, match="--save-at takes integers") as exc:
        int_list("0,x", "--save-at")
    assert isinstance(exc.value, UsageError)
    assert isinstance(exc.value, argparse.ArgumentTypeError)  # argparse prints its message


def test_prompt_formats_are_the_data_stage_formats():
    from headprint.data.prompt_format import FORMATS

    assert get_args(PromptFormat) == FORMATS


def test_shared_checks_name_the_setting_and_value():
    from headprint.errors import UsageError
    from headprint.settings import require_at_least, require_choice
    from headprint.validation.config import ValidateConfig

    with pytest.raises(UsageError, match=r"unknown ablation 'max'; choose one of zero, mean"):
        ValidateConfig(patterns="p", ablation="max")
    with pytest.raises(UsageError, match=r"single_head_rows must be at least 1, got 0"):
        ValidateConfig(patterns="p", single_head_rows=0)

    class Settings:
        a, b = None, 3
    require_at_least(Settings, ("a", "b"), minimum=3)  # None is unset, 3 is allowed
    with pytest.raises(UsageError, match="b must be at least 4, got 3"):
        require_at_least(Settings, ("a", "b"), minimum=4)
    require_choice("raw", ("chat", "raw"), "format")
