"""Library call behind ``headprint track RUN_DIR`` (paper Section 4.3, Figure 5).

Reads the run folder's tracked pattern sets, ``RUN_DIR/tracking/<task>/step-<k>/``
(:mod:`headprint.layout` owns that layout). ``step-0`` is the base model's pattern on the
task, before any update; every task needs one, since all metrics are against it.
``RUN_DIR`` may also be the ``tracking`` folder itself. A step folder without
``manifest.json`` is still being written and is skipped with a note, so ``track`` can run
during training.

:func:`compute_track` computes the metrics of a run folder's series, or of series given as
folders or pattern sets in memory (nothing written), and returns a
:class:`~headprint.analysis.outputs.TrackOutput`; :func:`run_track` saves ``track.json``,
``track.md``, ``dynamics.png`` (correlation and MSE against step 0 per task) and
``change-<task>.png`` (last step minus step 0) into ``out``. ``headprint.track`` calls
:func:`compute_track` too.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

from headprint.analysis import inputs
from headprint.analysis.bootstrap import bootstrap_similarity
from headprint.analysis.change import change
from headprint.analysis.outputs import TrackOutput
from headprint.analysis.tables import check_bootstrap_args, write_result
from headprint.analysis.tracking import series_metrics
from headprint.errors import UsageError
from headprint.layout import MANIFEST, STEP_DIR, step_folders, tracking_root
from headprint.patterns.artifact import PatternSetError

__all__ = ["run_track", "compute_track", "find_series", "STEP_DIR"]

#: Series of a run in memory: task -> ``{step: pattern set}`` or ``[(step, pattern set)]``
#: (pattern sets as folders or :class:`~headprint.patterns.artifact.PatternSet` objects).
Series = Mapping[str, Mapping[int, Any] | Sequence[tuple[int, Any]]]


def find_series(run_dir: str | Path) -> tuple[dict[str, list[tuple[int, Path]]], list[str]]:
    """Map task -> [(step, folder)] sorted by step, plus notes on skipped folders."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise FileNotFoundError(f"run folder {run_dir} does not exist")
    root = tracking_root(run_dir)
    series: dict[str, list[tuple[int, Path]]] = {}
    notes: list[str] = []
    for task_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        steps, incomplete = step_folders(task_dir)
        notes += [f"{p}: no {MANIFEST} yet (incomplete), skipped" for p in incomplete]
        if steps:
            series[task_dir.name] = list(steps.items())
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


def compute_track(run: str | Path | Series, *, n_boot: int = 1000, confidence: float = 0.95,
                  seed: int = 0, ci_method: str = "basic") -> TrackOutput:
    """Correlation and MSE of each saved step's pattern against step 0, per task.

    Args:
        run: a run folder (or its ``tracking`` folder; :func:`find_series`), or the series
            themselves: task -> ``{step: pattern set}`` or ``[(step, pattern set)]`` with
            pattern sets as folders or PatternSets. Every task needs a step 0 (the base
            model), and all sets one shape.
        n_boot, confidence, seed, ci_method: bootstrap intervals over samples (paired when
            both steps scored the same samples), where the sets hold per-sample patterns
            (``n_boot = 0``: none).

    Raises:
        UsageError: no series, a task without step 0, or bad interval settings.
        PatternSetError: shapes differ, a manifest's step disagrees, non-finite entries.
    """
    check_bootstrap_args(n_boot, confidence, ci_method)
    if isinstance(run, (str, Path)):
        series, notes = find_series(run)
        run_dir: str | None = str(run)
    else:
        series = {task: sorted(steps.items() if isinstance(steps, Mapping) else steps,
                               key=lambda step: step[0]) for task, steps in run.items()}
        notes, run_dir = [], None
        if not series:
            raise UsageError("no tracking series given: expected {task: {step: pattern set}}"
                             " with a step 0 (base model) per task")
    boot = {"n_boot": n_boot, "confidence": confidence, "seed": seed, "method": ci_method}
    results, provenance, changes, reference = {}, [], {}, None
    for task, steps in series.items():
        items, res = _task(task, steps, reference, boot, notes)
        reference, results[task] = reference or items[0], res
        provenance += [inputs.provenance(i) for i in items]
        if len(items) > 1:
            last = max(res["steps"])
            by_step = dict(zip([k for k, _ in steps], items))
            changes[task] = (last, change(by_step[0].patterns.mean, by_step[last].patterns.mean))
    params = {"run_dir": run_dir, "n_boot": n_boot, "confidence": confidence,
              "seed": seed, "ci_method": ci_method}
    return TrackOutput(params, results, provenance, notes, changes=changes)


def run_track(run_dir: str | Path, out: str | Path | None = None, *, n_boot: int = 1000,
              confidence: float = 0.95, seed: int = 0, ci_method: str = "basic",
              figures: bool = True) -> dict[str, Any]:
    """:func:`compute_track` of the series under ``run_dir`` (see the module docstring),
    saved into ``out`` (default ``RUN_DIR/analysis/track``). Returns the JSON payload."""
    output = compute_track(run_dir, n_boot=n_boot, confidence=confidence, seed=seed,
                           ci_method=ci_method)
    out = Path(out) if out else Path(run_dir) / "analysis" / "track"
    return write_result(out, "track", output, figures)
