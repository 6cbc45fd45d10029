"""Settings of the analysis commands (``stats``, ``compare``, ``similarity``, ``compose``,
``track``; see :mod:`headprint.settings`: one field, one flag, one YAML key, one help text).

Each command takes its own inputs dataclass plus the shared :class:`AnalysisOutput` and
(except ``similarity``) :class:`BootstrapOptions`, whose fields are keyword arguments of the
``run_*`` functions of :mod:`headprint.analysis.api` as they are.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from headprint.errors import UsageError
from headprint.settings import HfArg, positional, require_at_least

__all__ = ["AnalysisOutput", "BootstrapOptions", "StatsConfig", "CompareConfig",
           "SimilarityConfig", "ComposeConfig", "TrackConfig"]


@dataclass
class AnalysisOutput:
    """Where an analysis command writes, and whether it draws figures."""

    out: str | None = HfArg(default=None, metadata={"metavar": "DIR"},
                            help="output folder (default: <inputs' parent>/analysis/<command>)")
    figures: bool = HfArg(default=True, help="draw figures as well as tables")


@dataclass
class BootstrapOptions:
    """Bootstrap intervals over samples (keyword arguments of the ``run_*`` functions)."""

    n_boot: int = HfArg(default=1000, help="bootstrap replicates over samples (0: none)")
    confidence: float = HfArg(default=0.95, help="interval coverage")
    seed: int = HfArg(default=0, help="seed of every random draw")
    ci_method: Literal["basic", "percentile"] = HfArg(
        default="basic", help="bootstrap interval: basic (corrects the bias sampling noise "
                              "adds to these statistics) or percentile")

    def __post_init__(self) -> None:
        from headprint.analysis.tables import check_bootstrap_args

        check_bootstrap_args(self.n_boot, self.confidence, self.ci_method)


@dataclass
class StatsConfig:
    """Inputs of ``headprint stats``."""

    patterns: list[str] = positional(metavar="PATTERN", nargs="+",
                                     help="pattern-set folders")


@dataclass
class CompareConfig:
    """Inputs of ``headprint compare``."""

    a: str = positional(metavar="A", help="pattern-set folder (e.g. before SFT)")
    b: str = positional(metavar="B", help="pattern-set folder (e.g. after SFT)")
    top: int = HfArg(default=10, help="changed heads to list")

    def __post_init__(self) -> None:
        require_at_least(self, ("top",))


@dataclass
class SimilarityConfig:
    """Inputs of ``headprint similarity``."""

    patterns: list[str] = positional(metavar="P", nargs="+",
                                     help="[NAME=]FOLDER, or [NAME=]BEFORE,AFTER to compare "
                                          "changes")
    of: Literal["pattern", "change", "change-rate"] | None = HfArg(
        default=None, help="what to correlate (default: pattern for folders, change-rate for "
                           "BEFORE,AFTER pairs)")


@dataclass(kw_only=True)
class ComposeConfig:
    """Inputs of ``headprint compose``. ``basis`` and ``pool`` map a task name to its
    ``(before, after)`` folders; they also take ``NAME=BEFORE,AFTER`` texts (the flags').

    Raises:
        UsageError: on construction, for a malformed or unnamed task, or a size below 1.
    """

    target: tuple[str, str] = HfArg(
        metadata={"type": str, "nargs": 2, "metavar": ("BEFORE", "AFTER")},
        help="pattern-set folders of the complex task before and after SFT")
    basis: dict[str, tuple[str, str]] = HfArg(
        metadata={"type": str, "nargs": "+", "metavar": "NAME=BEFORE,AFTER"},
        help="basic tasks")
    pool: dict[str, tuple[str, str]] | None = HfArg(
        default=None, metadata={"type": str, "nargs": "+", "metavar": "NAME=BEFORE,AFTER"},
        help="extra tasks used only as random replacements in the baseline")
    k: list[int] = HfArg(default_factory=lambda: [2],
                         help="subset size(s) to search (2: every pair)")
    max_subsets: int = HfArg(default=1000, help="cap per size; a seeded random sample "
                                                "beyond it")
    intercept: bool = HfArg(default=False, help="fit an intercept")
    nonnegative: bool = HfArg(default=False, help="constrain coefficients >= 0")
    top: int = HfArg(default=5, help="best subsets that get baselines and intervals")
    permutations: int = HfArg(default=200, help="shuffled-heads permutations")
    draws: int = HfArg(default=200, help="random-task draws")

    def __post_init__(self) -> None:
        if len(self.target) != 2:
            raise UsageError(f"target takes two pattern-set folders, got {self.target!r}")
        self.target = (str(self.target[0]), str(self.target[1]))
        self.basis = _named_pairs(self.basis, "basis")
        self.pool = _named_pairs(self.pool, "pool") if self.pool else None
        self.k = [self.k] if isinstance(self.k, int) else [int(k) for k in self.k]
        require_at_least(self, ("max_subsets", "top"))
        if not self.k or min(self.k) < 1:
            raise UsageError(f"k must be at least 1, got {self.k}")
        if self.permutations < 0 or self.draws < 0:
            raise UsageError("permutations and draws must be at least 0")


def _named_pairs(value: Any, what: str) -> dict[str, tuple[str, str]]:
    """``{name: (before, after)}`` from a mapping or from ``NAME=BEFORE,AFTER`` texts."""
    items = list(value.items()) if isinstance(value, dict) else []
    for spec in ([] if isinstance(value, dict) else value):
        name, _, rest = str(spec).partition("=")
        if not name or "/" in name or not rest:
            raise UsageError(f"--{what} {spec!r}: a NAME= is required (NAME=BEFORE,AFTER)")
        items.append((name, rest.split(",")))
    pairs = {}
    for name, folders in items:
        folders = [str(f) for f in folders if str(f)]
        if len(folders) != 2:
            raise UsageError(f"--{what} {name!r}: expected [NAME=]BEFORE,AFTER")
        if name in pairs:
            raise UsageError(f"--{what}: task {name!r} is given twice")
        pairs[str(name)] = (folders[0], folders[1])
    return pairs


@dataclass
class TrackConfig:
    """Inputs of ``headprint track``."""

    run_dir: str = positional(metavar="RUN_DIR",
                              help="run folder holding tracking/<task>/step-<k>/ pattern sets")
