"""Settings of ``headprint select`` and ``headprint mix`` (see :mod:`headprint.settings`: one
field, one flag, one YAML key, one help text).

Values whose flag is one text (``--n 100,300``, ``--basis NAME=BEFORE,AFTER,DATA``) are
accepted as that text or already parsed (a list, a mapping), and parsed here once.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from headprint.errors import UsageError
from headprint.settings import HfArg, TextError, int_list, require_at_least, require_choice

__all__ = ["SelectConfig", "MixConfig", "parse_sizes", "parse_basis"]

SelectMethod = Literal["pattern", "embedding", "random"]
Mixture = Literal["composition", "random", "uniform"]


def parse_sizes(text: str) -> list[int]:
    """``"100,300,500"`` -> ``[100, 300, 500]`` (the converter of ``--n``).

    Raises:
        TextError: not positive integers separated by commas.
    """
    sizes = int_list(text, "--n")
    if not sizes or min(sizes) < 1:
        raise TextError(f"--n needs positive sizes, got {text!r}")
    return sizes


def parse_basis(text: str) -> tuple[str, tuple[str, str, str]]:
    """``"NAME=BEFORE,AFTER,DATA"`` -> ``(NAME, (BEFORE, AFTER, DATA))`` (the converter of
    ``--basis``).

    Raises:
        TextError: not of that form.
    """
    name, sep, rest = text.partition("=")
    parts = rest.split(",")
    if not sep or not name or len(parts) != 3 or not all(parts):
        raise TextError(f"--basis takes NAME=BEFORE,AFTER,DATA (two pattern folders and a "
                        f"task or data file), got {text!r}")
    return name, (parts[0], parts[1], parts[2])


@dataclass(kw_only=True)
class SelectConfig:
    """Settings of ``headprint select`` (arguments of :func:`headprint.selection.api.select`).

    Raises:
        UsageError: on construction, for sizes below 1 or an unknown method.
    """

    by: SelectMethod = HfArg(default="pattern", help="ranking method")
    target: str | None = HfArg(default=None,
                               help="pattern-set folder of the target set (pattern: "
                                    "required; embedding/random: supplies the model, rows and "
                                    "ids to exclude)")
    pool: str | None = HfArg(default=None,
                             help="pattern-set folder of the pool (computed with "
                                  "--per-sample); required for --by pattern")
    n: list[int] = HfArg(metadata={"type": parse_sizes, "metavar": "N[,N...]"},
                         help="sizes to select, e.g. 100,300,500")
    data: str | None = HfArg(default=None,
                             help="the pool's rows (task or data file); default: the data "
                                  "recorded in the pool's manifest")
    target_data: str | None = HfArg(default=None,
                                    help="the target set's rows (embedding; default: the data "
                                         "recorded in --target's manifest)")
    model: str | None = HfArg(default=None,
                              help="model for --by embedding (default: the one --target was "
                                   "measured with)")
    max_length: int | None = HfArg(default=None, help="tokens per row for --by embedding "
                                                      "(default: the pattern sets')")
    batch_size: int = HfArg(default=8, help="rows per forward for --by embedding")
    seed: int = HfArg(default=0, help="seed of --by random")
    out: str = HfArg(help="output folder")

    def __post_init__(self) -> None:
        sizes = parse_sizes(self.n) if isinstance(self.n, str) else self.n
        self.n = [int(s) for s in ([sizes] if isinstance(sizes, int) else sizes)]  # YAML: n: 5
        if not self.n or min(self.n) < 1:
            raise UsageError(f"n needs positive sizes, got {self.n}")
        require_choice(self.by, ("pattern", "embedding", "random"), "selection method")
        require_at_least(self, ("batch_size",))


@dataclass(kw_only=True)
class MixConfig:
    """Settings of ``headprint mix`` (arguments of :func:`headprint.selection.mix_data`).

    ``basis`` maps a task name to ``(before, after, data)``; it also takes a list of
    ``NAME=BEFORE,AFTER,DATA`` texts (the repeated ``--basis`` flag).

    Raises:
        UsageError: on construction, for a malformed or repeated basis task, a size below 1.
    """

    target: tuple[str, str] = HfArg(
        metadata={"type": str, "nargs": 2, "metavar": ("BEFORE", "AFTER")},
        help="pattern-set folders of the complex task before and after SFT")
    basis: dict[str, tuple[str, str, str]] = HfArg(
        metadata={"type": parse_basis, "action": "append",
                  "metavar": "NAME=BEFORE,AFTER,DATA"},
        help="a basic task: its pattern sets before/after SFT and its rows (repeat for each "
             "task)")
    size: int = HfArg(help="number of rows N")
    top_k: int = HfArg(default=2, help="keep the k largest positive coefficients")
    by: Mixture | None = HfArg(default=None,
                               help="composition (Eq. 4, default); random: N rows uniformly "
                                    "from the union of the basic tasks; uniform: N/K rows "
                                    "from each of the K")
    random: bool = HfArg(default=False, help="the same as --by random")
    nonnegative: bool = HfArg(default=False, aliases=["--nonneg"],
                              help="take β from the non-negative fit (scipy NNLS) instead of "
                                   "least squares; both R² are reported either way")
    pool_per_task: int | None = HfArg(default=None, metadata={"metavar": "M"},
                                      help="candidate rows per basic task (seeded); both the "
                                           "mixture and --random draw from these (default: "
                                           "all rows)")
    seed: int = HfArg(default=0, help="seed of every draw")
    out: str = HfArg(help="output .jsonl file (fit: <stem>.fit.json)")

    def __post_init__(self) -> None:
        if len(self.target) != 2:
            raise UsageError(f"target takes two pattern-set folders, got {self.target!r}")
        self.target = (str(self.target[0]), str(self.target[1]))
        self.basis = _basis(self.basis)
        require_at_least(self, ("size", "top_k", "pool_per_task"))


def _basis(value: Any) -> dict[str, tuple[str, str, str]]:
    """A mapping, or ``NAME=BEFORE,AFTER,DATA`` texts, as ``{name: (before, after, data)}``."""
    if isinstance(value, dict):
        pairs = list(value.items())
    else:
        pairs = [parse_basis(item) if isinstance(item, str) else item for item in value]
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        raise UsageError(f"basis names must be unique, got {', '.join(names)}")
    basis = {}
    for name, spec in pairs:
        if isinstance(spec, str) or len(spec) != 3:
            raise UsageError(f"basis {name!r}: expected BEFORE, AFTER and DATA, got {spec!r}")
        basis[str(name)] = (str(spec[0]), str(spec[1]), str(spec[2]))
    return basis
