"""Typed results of the file-level analysis commands (``stats``, ``compare``, ``similarity``,
``compose``, ``track``).

Each holds what its command computed: the fields :meth:`to_dict` puts in the command's
JSON (the keys users and docs rely on), plus the arrays only the figures need (marked
``figure``: the mean patterns, the changes), which stay out of the JSON. The report stage
draws figures from these objects and renders tables from their JSON
(:mod:`headprint.report.analysis_figures`, ``report/templates/results``).
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

from headprint.analysis.tables import jsonable

__all__ = ["Record", "figure_field", "AnalysisOutput", "StatsOutput", "CompareOutput",
           "SimilarityOutput", "ComposeOutput", "TrackOutput"]


def figure_field(factory: Any = None) -> Any:
    """A field the figures need but the JSON does not carry (default None, or
    ``factory()``)."""
    if factory is not None:
        return field(default_factory=factory, repr=False, metadata={"figure": True})
    return field(default=None, repr=False, metadata={"figure": True})


@dataclass
class Record:
    """A dataclass of results whose :meth:`to_dict` is its JSON: every field but those
    made with :func:`figure_field`."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (no NaN: undefined values are ``None``), figure arrays left out."""
        return jsonable({f.name: getattr(self, f.name) for f in fields(self)
                         if not f.metadata.get("figure")})


@dataclass
class AnalysisOutput(Record):
    """Base of the command outputs: ``command`` names it (and its JSON's header)."""

    command: ClassVar[str] = ""


@dataclass
class StatsOutput(AnalysisOutput):
    """Table 1 of several pattern sets: ``rows`` (label, path, gini, cv, kurtosis, notes,
    ci) in the order of ``inputs``; ``patterns``: label -> ``[L, H]`` mean pattern."""

    params: dict[str, Any]
    inputs: list[dict[str, Any]]
    rows: list[dict[str, Any]]
    notes: list[str]
    patterns: dict[str, Any] = figure_field(dict)

    command: ClassVar[str] = "stats"


@dataclass
class CompareOutput(AnalysisOutput):
    """Two pattern sets A and B (``inputs[0]``, ``inputs[1]``): ``summary`` (corr, mse,
    means, heads up/down, intervals, distribution stats of both), the heads that changed
    most; ``means``: the two ``[L, H]`` patterns, ``delta``: B − A."""

    params: dict[str, Any]
    inputs: list[dict[str, Any]]
    summary: dict[str, Any]
    top_changes: list[dict[str, Any]]
    notes: list[str]
    means: tuple[Any, Any] | None = figure_field()
    delta: Any = figure_field()

    command: ClassVar[str] = "compare"


@dataclass
class SimilarityOutput(AnalysisOutput):
    """Task × task Pearson r and MSE (``[K, K]``, clustering order of ``names``) of
    patterns (``params["of"] == "pattern"``), changes or change rates."""

    params: dict[str, Any]
    names: list[str]
    corr: Any
    mse: Any
    inputs: list[dict[str, Any]]
    notes: list[str]

    command: ClassVar[str] = "similarity"


@dataclass
class ComposeOutput(AnalysisOutput):
    """The target's change fitted on all basic tasks (``full``) and on every searched
    subset (``subsets``, best first), the ``best`` ones judged against both nulls;
    ``target_delta`` and ``deltas`` (basic task -> change) are the ``[L, H]`` changes."""

    params: dict[str, Any]
    target: str
    inputs: list[dict[str, Any]]
    full: dict[str, Any]
    best: list[dict[str, Any]]
    subsets: list[dict[str, Any]]
    n_possible_subsets: int
    notes: list[str]
    target_delta: Any = figure_field()
    deltas: dict[str, Any] = figure_field(dict)

    command: ClassVar[str] = "compose"


@dataclass
class TrackOutput(AnalysisOutput):
    """Per task, the metrics of every saved step against step 0 (``series``: steps, corr,
    mse, rel_mse, ci, n_samples, notes); ``changes``: task -> (last step, ``[L, H]``
    change from step 0 to it)."""

    params: dict[str, Any]
    series: dict[str, dict[str, Any]]
    inputs: list[dict[str, Any]]
    notes: list[str]
    changes: dict[str, tuple[int, Any]] = figure_field(dict)

    command: ClassVar[str] = "track"
