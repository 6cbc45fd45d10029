"""Library call behind ``headprint track RUN_DIR`` (paper Section 4.3, Figure 5).

Run-folder contract (written by the training stage, read here)::

    RUN_DIR/tracking/<task>/step-<k>/     one pattern-set folder per saved step k
        patterns.safetensors, manifest.json   (manifest keys "task": <task>, "step": k)

``step-0`` is the base model's pattern on the task, before any update; every task needs
one, since all metrics are against it. ``RUN_DIR`` may also be the ``tracking`` folder
itself. A step folder without ``manifest.json`` is still being written (pattern sets
write the manifest last) and is skipped with a note, so ``track`` can run during training.

:func:`tracking` computes the metrics of series given as folders or pattern sets in
memory (nothing written) and returns a :class:`Tracking`; :func:`run_track` finds the series
of a run folder, calls it, and writes ``track.json``, ``track.md``, ``dynamics.png``
(correlation and MSE against step 0 per task) and ``change-<task>.png`` (last step minus
step 0) into ``out``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from headprint.analysis import inputs
from headprint.analysis.bootstrap import bootstrap_similarity
from headprint.analysis.change import change
from headprint.analysis.tables import (check_bootstrap_args, ci_legend, fmt_ci, markdown_table,
                                       notes_markdown, write_result)
from headprint.analysis.tracking import series_metrics
from headprint.errors import UsageError
from headprint.patterns.artifact import MANIFEST_FILE, PatternSetError

__all__ = ["run_track", "find_series", "tracking", "Tracking", "STEP_DIR"]

#: Folder name of one saved step: ``step-<k>`` with ``k`` a non-negative integer.
STEP_DIR = re.compile(r"^step-(\d+)$")


def find_series(run_dir: str | Path) -> tuple[dict[str, list[tuple[int, Path]]], list[str]]:
    """Map task -> [(step, folder)] sorted by step, plus notes on skipped folders."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise FileNotFoundError(f"run folder {run_dir} does not exist")
    root = run_dir / "tracking" if (run_dir / "tracking").is_dir() else run_dir
    series: dict[str, list[tuple[int, Path]]] = {}
    notes: list[str] = []
    for task_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        steps = []
        for step_dir in sorted(task_dir.iterdir()):
            match = STEP_DIR.match(step_dir.name)
            if not (match and step_dir.is_dir()):
                continue
            if not (step_dir / MANIFEST_FILE).exists():
                notes.append(f"{step_dir}: no {MANIFEST_FILE} yet (incomplete), skipped")
                continue
            steps.append((int(match.group(1)), step_dir))
        if steps:
            series[task_dir.name] = sorted(steps)
    if not series:
        raise UsageError(f"no tracking series under {run_dir}: expected pattern-set folders "
                         f"{root}/<task>/step-<k>/ with a step-0 (base model) per task")
    return series, notes


def _task(task: str, steps: Sequence[tuple[int, Any]], reference: inputs.Loaded | None,
          boot: dict[str, Any], notes: list[str]) -> tuple[list[inputs.Loaded], dict[str, Any]]:
    """Load one task's series (folders or PatternSets), check it, and compute its metrics
    and intervals."""
    items = [inputs.as_loaded(source, f"{task} step {k}") for k, source in steps]
    for (k, _), item in zip(steps, items):
        m, where = item.patterns.manifest, item.path
        if "step" in m and int(m["step"]) != k:
            said = "given as" if where == inputs.IN_MEMORY else "folder says"
            raise PatternSetError(f"{where}: {said} step {k} but manifest says "
                                  f"step {m['step']}")
        if m.get("task") not in (None, task):
            notes.append(f"{where}: manifest task {m['task']!r} differs from folder "
                         f"{task!r}; the folder name is used")
    inputs.check_compatible([reference or items[0], *items], "track")
    step_nums = [k for k, _ in steps]
    if 0 not in step_nums:
        where = (f" under {items[0].path.parent}" if items[0].path != inputs.IN_MEMORY
                 else "")
        raise UsageError(f"task {task!r} has no step-0 (base model) pattern set{where}; "
                         f"steps found: {step_nums}")
    metrics = series_metrics([i.patterns.mean for i in items], step_nums)
    base = items[step_nums.index(0)]
    cis = []
    for k, item in zip(step_nums, items):
        ci = None
        if k != 0 and boot["n_boot"] > 0 and base.has_samples and item.has_samples:
            # paired when both steps scored the same samples in the same order
            paired = bool(base.patterns.sample_ids) and \
                base.patterns.sample_ids == item.patterns.sample_ids
            ci = bootstrap_similarity(base.patterns.per_sample, item.patterns.per_sample,
                                      paired=paired, **boot)
        cis.append(ci)
    if len(step_nums) == 1:
        notes.append(f"{task}: only step 0 saved, nothing to track yet")
    notes += [f"{task}: {n}" for n in metrics.notes]
    return items, {**metrics.as_dict(), "ci": cis,
                   "n_samples": [i.patterns.manifest.get("n_samples") for i in items]}


@dataclass
class Tracking:
    """What :func:`tracking` found.

    Attributes:
        series: task -> ``steps``, ``corr``, ``mse``, ``rel_mse`` (lists over steps, step 0
            first), ``notes``, ``ci`` (per step: bootstrap intervals of ``corr`` and ``mse``
            against step 0, or None) and ``n_samples``.
        items: task -> the pattern sets, in step order (as ``series[task]["steps"]``).
        notes: remarks (skipped folders, undefined correlations, a lone step 0).
        model: the model of the first set (every set has its shape).
    """

    series: dict[str, dict[str, Any]]
    items: dict[str, list[inputs.Loaded]]
    notes: list[str] = field(default_factory=list)
    model: str = "?"


def tracking(series: Mapping[str, Sequence[tuple[int, Any]]], *, n_boot: int = 1000,
             confidence: float = 0.95, seed: int = 0, ci_method: str = "basic",
             notes: Sequence[str] = ()) -> Tracking:
    """Correlation and MSE of each step's pattern against step 0, per task.

    Args:
        series: task -> ``[(step, pattern set)]`` (folders or PatternSets); every task
            needs a step 0 (the base model), and all sets one shape.
        n_boot, confidence, seed, ci_method: bootstrap intervals over samples (paired when
            both steps scored the same samples), where the sets hold per-sample patterns
            (``n_boot = 0``: none).
        notes: remarks to carry (e.g. from :func:`find_series`).

    Raises:
        UsageError: a task without step 0, or bad interval settings.
        PatternSetError: shapes differ, a manifest's step disagrees, non-finite entries.
    """
    check_bootstrap_args(n_boot, confidence, ci_method)
    boot = {"n_boot": n_boot, "confidence": confidence, "seed": seed, "method": ci_method}
    found = Tracking({}, {}, list(notes))
    reference = None
    for task, steps in series.items():
        steps = sorted(steps, key=lambda step: step[0])
        items, found.series[task] = _task(task, steps, reference, boot, found.notes)
        found.items[task] = items
        reference = reference or items[0]
    if reference is not None:
        found.model = reference.patterns.model
    return found


def run_track(run_dir: str | Path, out: str | Path | None = None, *, n_boot: int = 1000,
              confidence: float = 0.95, seed: int = 0, ci_method: str = "basic",
              figures: bool = True) -> dict[str, Any]:
    """:func:`tracking` of the series under ``run_dir`` (see the module docstring), written
    into ``out`` (default ``RUN_DIR/analysis/track``). Returns the JSON payload."""
    check_bootstrap_args(n_boot, confidence, ci_method)
    series, notes = find_series(run_dir)
    found = tracking(series, n_boot=n_boot, confidence=confidence, seed=seed,
                     ci_method=ci_method, notes=notes)
    out = Path(out) if out else Path(run_dir) / "analysis" / "track"
    rows, provenance, files = [], [], []
    for task, res in found.series.items():
        items = found.items[task]
        rows += [[task, k, fmt_ci(c, ci and ci["corr"]), fmt_ci(e, ci and ci["mse"]), r, n]
                 for k, c, e, r, ci, n in zip(res["steps"], res["corr"], res["mse"],
                                              res["rel_mse"], res["ci"], res["n_samples"])]
        provenance += [inputs.provenance(i) for i in items]
        if figures and len(items) > 1:
            from headprint.report.figures import plot_change

            files.append(f"change-{inputs.slug(task)}.png")
            by_step = dict(zip(res["steps"], items))
            plot_change(change(by_step[0].patterns.mean, by_step[max(by_step)].patterns.mean),
                        f"{task}: change from step 0 to step {max(by_step)}", out / files[-1])
    if figures:
        from headprint.report.figures import plot_dynamics

        plot_dynamics(found.series, out / "dynamics.png",
                      "Activation pattern vs. the base model during fine-tuning")
        files.insert(0, "dynamics.png")
    md = ("# Pattern dynamics during fine-tuning (Figure 5)\n\n"
          f"Pearson r and MSE of each saved step's pattern against step 0 (the base model), "
          f"per task; model {found.model}. rel. MSE = MSE / mean(step-0 "
          "pattern²). " + ci_legend(confidence, ci_method, n_boot, seed) + "\n\n"
          + markdown_table(["task", "step", "Pearson r vs step 0", "MSE vs step 0",
                            "rel. MSE", "N"], rows)
          + "\n" + notes_markdown(found.notes))
    payload = {"params": {"run_dir": str(run_dir), "n_boot": n_boot, "confidence": confidence,
                          "seed": seed, "ci_method": ci_method},
               "series": found.series, "inputs": provenance, "notes": found.notes,
               "files": files}
    return write_result(out, "track", "track", payload, md)
