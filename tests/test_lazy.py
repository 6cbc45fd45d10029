"""The lazy-export helper every package's ``__init__`` uses."""
from __future__ import annotations

import sys
import types

import pytest

import headprint as hp
from headprint.lazy import lazy_exports


def test_names_load_on_first_use_and_are_cached(monkeypatch):
    package = types.ModuleType("fake_package")
    monkeypatch.setitem(sys.modules, "fake_package", package)
    getattr_, dir_ = lazy_exports("fake_package", {"dumps": "json", "sqrt": "math"},
                                  ["sqrt", "dumps"])
    package.__getattr__ = getattr_
    import json
    assert package.dumps is json.dumps and vars(package)["dumps"] is json.dumps
    assert "sqrt" not in vars(package)  # not imported until asked for
    assert dir_() == ["dumps", "sqrt"]
    with pytest.raises(AttributeError, match="module 'fake_package' has no attribute 'loads'"):
        package.loads


def test_top_level_package_uses_it():
    with pytest.raises(AttributeError, match="module 'headprint' has no attribute 'nope'"):
        hp.nope
    assert "validate" in dir(hp) and callable(hp.validate)
