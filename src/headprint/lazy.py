"""Lazy module attributes: a package names its public objects without importing them.

The CLI imports ``headprint`` and its stage packages on every call; importing torch,
transformers, lm-eval or matplotlib there would make ``headprint --help`` cost seconds.
A package lists ``{public name: defining module}`` and gets the module-level
``__getattr__`` / ``__dir__`` pair (PEP 562) from :func:`lazy_exports`.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any, Callable, Iterable

__all__ = ["lazy_exports"]


def lazy_exports(package: str, exports: dict[str, str], public: Iterable[str]
                 ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``: a name in ``exports`` is imported from its
    module on first use and cached in the package's namespace; ``__dir__`` lists ``public``.

    Raises (from ``__getattr__``):
        AttributeError: a name not in ``exports``, worded as Python's own.
    """
    names = sorted(public)

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(exports[name]), name)
        vars(import_module(package))[name] = value  # later lookups skip this function
        return value

    def __dir__() -> list[str]:
        return list(names)

    return __getattr__, __dir__
