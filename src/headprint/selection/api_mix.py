"""Library call behind ``headprint mix``: a training mixture of basic tasks from the
composition of pattern changes (paper Eq. 4), or one of its two baselines of the same size.

- ``composition`` (Ours): fit ``Δ_target ≈ Σ β_k Δ_k`` over all basic tasks, keep the top-k
  positive β, draw ``N_k = N·β_k/Σβ`` rows of each;
- ``random``: ``N`` rows uniformly from the union of every basic task's candidate rows
  (a task's share follows its number of rows);
- ``uniform``: ``N/K`` rows from each of the ``K`` basic tasks.

The fit is made (least squares and NNLS, both R² recorded) whichever mixture is drawn, so
every ``.fit.json`` says what the composition would have chosen.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from headprint.io import atomic_write_json
from headprint.selection.mixture import CompositionMixture
from headprint.selection.provenance import SelectionError, check_comparable, check_same_model
from headprint.selection.rows import load_rows, provenance, write_jsonl
from headprint.selection.sampling import random_mixture, uniform_mixture

__all__ = ["mix_data", "MIXTURES"]

MIXTURES = ("composition", "random", "uniform")


def _fit_path(out: Path) -> Path:
    return out.with_name(out.stem + ".fit.json")


def mix_data(target: tuple[str | Path, str | Path],
             basis: Mapping[str, tuple[str | Path, str | Path, str]], size: int,
             out: str | Path, top_k: int = 2, random: bool = False, seed: int = 0,
             pool_per_task: int | None = None, by: str | None = None,
             nonnegative: bool = False) -> dict[str, Any]:
    """Build a training mixture of basic tasks (Eq. 4) or one of its baselines.

    Args:
        target: ``(before, after)`` pattern-set folders of the complex task.
        basis: name -> ``(before, after, data)``: the basic task's pattern sets and rows.
        size: number of rows ``N``.
        out: the ``.jsonl`` training file; the fit goes beside it as ``<stem>.fit.json``.
        by: ``composition`` (default), ``random`` or ``uniform`` (see the module doc);
            ``random=True`` is the older spelling of ``by="random"``.
        nonnegative: take β from the non-negative fit (NNLS) instead of least squares.
        seed: seed of every draw (per task, and the order of the rows).
        pool_per_task: candidate rows per basic task (``load_data``'s seeded ``limit``);
            the same candidates serve all three mixtures, so a large task does not crowd
            the random baseline (default: all rows).

    Returns:
        The record written to ``<stem>.fit.json``: ``kind``, ``counts`` (rows per task),
        the fit (``fit``, ``fits``, ``r2`` of both variants, ``kept``, ``dropped``).

    Raises:
        SelectionError: unknown ``by``; a basic task's "before" pattern comes from another
            model than the target's, patterns of another shape or method, too few rows.
    """
    from headprint.analysis import change
    from headprint.patterns.artifact import PatternSet

    kind = by or ("random" if random else "composition")
    if kind not in MIXTURES:
        raise SelectionError(f"unknown mixture {kind!r}; choose one of {', '.join(MIXTURES)}")
    if not basis:
        raise SelectionError("a mixture needs at least one --basis task")
    t_before, t_after = PatternSet.load(target[0]), PatternSet.load(target[1])
    check_comparable(t_before, t_after, "target before", "target after")
    deltas, inputs = {}, {}
    for name, (before, after, spec) in basis.items():
        b_before, b_after = PatternSet.load(before), PatternSet.load(after)
        check_same_model(t_before, b_before, "target before", f"basis {name!r} before")
        check_comparable(t_after, b_after, "target after", f"basis {name!r} after")
        deltas[name] = change(b_before.mean, b_after.mean)
        inputs[name] = {"before": provenance(b_before, before),
                        "after": provenance(b_after, after), "data": spec}
    mixture = CompositionMixture(top_k=top_k, nonnegative=nonnegative).fit(
        change(t_before.mean, t_after.mean), deltas)
    if kind == "composition":
        counts = mixture.allocate(int(size))
        rows_by_task = {name: load_rows(basis[name][2], limit=pool_per_task)
                        for name, c in counts.items() if c}
        rows = mixture.draw(rows_by_task, int(size), seed)
    else:
        rows_by_task = {name: load_rows(basis[name][2], limit=pool_per_task)
                        for name in basis}
        draw = random_mixture if kind == "random" else uniform_mixture
        rows = draw(rows_by_task, int(size), seed)
    out = Path(out)
    write_jsonl(out, rows)
    counts_drawn: dict[str, int] = {}
    for row in rows:
        counts_drawn[row["source_task"]] = counts_drawn.get(row["source_task"], 0) + 1
    summary = {"kind": kind, "size": int(size), "seed": seed, "pool_per_task": pool_per_task,
               "counts": counts_drawn, "file": out.name,
               "target": {"before": provenance(t_before, target[0]),
                          "after": provenance(t_after, target[1])},
               "basis": inputs, **mixture.summary()}
    atomic_write_json(_fit_path(out), summary)
    return summary
