"""The figures of the analysis commands, drawn from their typed outputs.

:func:`draw_analysis` takes an output of :mod:`headprint.analysis.outputs`, writes its
figures into ``out`` and returns their file names in the order the report shows them
(which the command records in its JSON's ``files``). The file names are part of what
users and ``docs/results.md`` rely on: ``heatmap-<label>.png`` (stats), ``heatmap-a.png``,
``heatmap-b.png``, ``change.png`` (compare), ``similarity-corr.png``,
``similarity-mse.png``, ``r2-subsets.png``, ``change-target.png``, ``change-<task>.png``
(compose), ``dynamics.png`` and ``change-<task>.png`` (track).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from headprint.analysis.inputs import slug  # the one rule for names in files and folders
from headprint.report.figures import (plot_change, plot_dynamics, plot_heatmap, plot_r2_bars,
                                      plot_similarity)

__all__ = ["draw_analysis"]

#: Subsets drawn in the R² bar chart (the JSON keeps every one).
R2_BARS = 25


def _models(output: Any) -> dict[str, Any]:
    return {i["label"]: i.get("model") for i in output.inputs}


def _stats(output: Any, out: Path) -> list[str]:
    models, files = _models(output), []
    for label, pattern in output.patterns.items():
        files.append(f"heatmap-{slug(label)}.png")
        plot_heatmap(pattern, f"Activation pattern: {label}\n{models.get(label)}",
                     out / files[-1])
    return files


def _compare(output: Any, out: Path) -> list[str]:
    (a, b), models = (i["label"] for i in output.inputs), _models(output)
    for tag, label, mean in (("a", a, output.means[0]), ("b", b, output.means[1])):
        plot_heatmap(mean, f"{tag.upper()}: {label}\n{models[label]}", out / f"heatmap-{tag}.png")
    plot_change(output.delta, f"Change B − A\n{b} − {a}", out / "change.png")
    return ["heatmap-a.png", "heatmap-b.png", "change.png"]


def _similarity(output: Any, out: Path) -> list[str]:
    what = {"pattern": "patterns", "change": "changes",
            "change-rate": "change rates"}[output.params["of"]]
    plot_similarity(output.corr, output.names, out / "similarity-corr.png",
                    f"Similarity of {what} (Pearson r)")
    plot_similarity(output.mse, output.names, out / "similarity-mse.png",
                    f"Distance between {what} (MSE)", kind="mse")
    return ["similarity-corr.png", "similarity-mse.png"]


def _compose(output: Any, out: Path) -> list[str]:
    shown = output.subsets[:R2_BARS]
    plot_r2_bars({" + ".join(f["basis"]): f["r2"] for f in shown}, out / "r2-subsets.png",
                 f"Composition R² of the target change ({len(shown)} best subsets)",
                 null_q95={" + ".join(r["basis"]): r["shuffled_heads"]["null_q95"]
                           for r in output.best})
    plot_change(output.target_delta, "Change of the target task", out / "change-target.png")
    files = ["r2-subsets.png", "change-target.png"]
    for name, delta in output.deltas.items():
        files.append(f"change-{slug(name)}.png")
        plot_change(delta, f"Change of basic task {name}", out / files[-1])
    return files


def _track(output: Any, out: Path) -> list[str]:
    plot_dynamics(output.series, out / "dynamics.png",
                  "Activation pattern vs. the base model during fine-tuning")
    files = ["dynamics.png"]
    for task, (last, delta) in output.changes.items():
        files.append(f"change-{slug(task)}.png")
        plot_change(delta, f"{task}: change from step 0 to step {last}", out / files[-1])
    return files


_DRAW: dict[str, Callable[[Any, Path], list[str]]] = {
    "stats": _stats, "compare": _compare, "similarity": _similarity, "compose": _compose,
    "track": _track}


def draw_analysis(output: Any, out: str | Path) -> list[str]:
    """Draw the figures of an analysis output into ``out``; return their file names."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    return _DRAW[output.command](output, out)
