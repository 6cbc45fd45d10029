"""What an experiment returns and saves: :class:`ExperimentResult` and ``results.json``.

``DIR/<name>/results.json`` holds every number (the experiment's :class:`Record` of
numbers, under the keys users and ``docs/results.md`` rely on), the findings, the steps
used and the provenance of the pattern sets under ``inputs``. Everything a person reads,
``report.md``, the figures, ``report.html`` and ``DIR/index.html``, is made from it by
:mod:`headprint.report.experiment_pages`.
"""
from __future__ import annotations

import datetime as _dt
import json
import platform
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from headprint import __version__
from headprint.analysis.outputs import Record, figure_field
from headprint.analysis.tables import jsonable
from headprint.experiments.context import Context
from headprint.experiments.findings import Finding
from headprint.experiments.paper import CITATION
from headprint.io import atomic_write_json

__all__ = ["ExperimentResult", "Record", "figure_field", "save_experiment", "command_line",
           "pattern_inputs", "RESULTS_FILE"]

RESULTS_FILE = "results.json"


def command_line(name: str, ctx: Context) -> str:
    return (f"headprint reproduce {name} --model {shlex.quote(ctx.model)} --scale "
            f"{ctx.scale.name} --out {shlex.quote(str(ctx.out))}")


def pattern_inputs(folders: Sequence[Path]) -> list[dict[str, Any]]:
    """Provenance entries (read by the report's provenance table) for pattern-set folders."""
    rows = []
    for folder in folders:
        m = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))
        rows.append({"path": str(folder), **{k: m.get(k) for k in (
            "model", "model_fingerprint", "method", "loss", "data", "split", "n_samples",
            "num_layers", "num_heads", "task", "step", "created")}})
    return rows


@dataclass
class ExperimentResult(Mapping[str, Any]):
    """One experiment of ``reproduce``: its numbers, findings and where they came from.

    Attributes:
        name, title: the experiment (``table1`` …) and its one-line title.
        numbers: the experiment's own :class:`Record` (its JSON keys, plus figure arrays).
        findings: one :class:`Finding` per claim of the paper it checks.
        run: model, fingerprint, scale, command, steps ran/reused and their cost.
        inputs: the pattern-set folders it used (their provenance goes into the JSON).
        report: the HTML page, once written.

    Read as a mapping (``result["report"]``, ``result["findings"]``, any key of the
    numbers), as ``reproduce`` returned plain dicts before results were typed.
    """

    name: str
    title: str
    numbers: Record
    findings: list[Finding]
    run: dict[str, Any] = field(default_factory=dict)
    inputs: list[Path] = field(default_factory=list)
    report: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        """The content of ``results.json``."""
        return {"headprint": {"kind": "experiment", "command": self.run.get("command"),
                              "version": __version__, "python": platform.python_version(),
                              "created": self.run.get("created")},
                "experiment": self.name, "title": self.title, "citation": CITATION,
                **{k: self.run.get(k) for k in ("model", "model_fingerprint", "scale",
                                                "seconds", "steps", "steps_cost",
                                                "steps_root")},
                "findings": [f.as_dict() for f in self.findings],
                "inputs": pattern_inputs(self.inputs), **self.numbers.to_dict()}

    def _view(self) -> dict[str, Any]:
        return {"report": self.report, "findings": self.findings, **self.numbers.to_dict()}

    def __getitem__(self, key: str) -> Any:
        return self._view()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._view())

    def __len__(self) -> int:
        return len(self._view())


def save_experiment(ctx: Context, name: str, title: str, numbers: Record,
                    findings: Sequence[Finding], inputs: Sequence[Path] = (),
                    seconds: float | None = None) -> ExperimentResult:
    """Save ``DIR/<name>/results.json`` and have the report stage write ``report.md``, the
    figures, ``report.html`` and ``DIR/index.html``. Returns the result with ``report``
    set to the HTML page."""
    from headprint.report.experiment_pages import write_experiment_pages

    folder = ctx.exp_dir(name)
    steps = {"ran": list(ctx.steps.ran), "reused": list(ctx.steps.reused)}
    run = {"command": command_line(name, ctx), "model": ctx.model,
           "model_fingerprint": ctx.fingerprint, "scale": ctx.scale.as_dict(),
           "seconds": seconds, "steps": steps,
           "steps_cost": ctx.steps.cost(steps["ran"] + steps["reused"]),
           "steps_root": str(ctx.steps.root),
           "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
    result = ExperimentResult(name, title, numbers, list(findings), run, list(inputs))
    data = jsonable(result.to_dict())
    atomic_write_json(folder / RESULTS_FILE, data)
    result.report = write_experiment_pages(folder, data, numbers)
    return result
