"""``reproduce``: run one of the paper's experiments (or all five) into an output folder.

Experiments share steps when run into the same ``out`` (the per-task SFT runs serve
Table 1, Figures 4 and 5 and Table 2), and a killed run started again with the same
arguments reuses every finished step.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Callable

from headprint.errors import UsageError
from headprint.experiments import fig4, fig5, table1, table2, table3, transfer
from headprint.experiments.context import Context
from headprint.experiments.record import ExperimentResult
from headprint.experiments.scales import Scale, get_scale
from headprint.models import DEFAULT_MODEL

__all__ = ["reproduce", "EXPERIMENTS"]

log = logging.getLogger("headprint.experiments")

#: Experiment name -> (title, function running it on a Context).
EXPERIMENTS: dict[str, tuple[str, Callable[[Context], ExperimentResult]]] = {
    module.NAME: (module.TITLE, module.run)
    for module in (table1, fig4, fig5, table2, table3, transfer)
}


def reproduce(name: str, model: str = DEFAULT_MODEL, scale: str | Scale = "small",
              out: str | Path = "runs/reproduce", prompt_format: str = "auto",
              dtype: str = "auto") -> dict[str, ExperimentResult]:
    """Run experiment ``name`` (``table1``, ``fig4``, ``fig5``, ``table2``, ``table3``,
    ``transfer`` or ``all``) on ``model`` at ``scale`` into ``out``, every step in ``prompt_format``
    (``auto``, ``chat`` or ``raw``; :mod:`headprint.data.prompt_format`).

    Returns:
        ``{name: result}``, each an :class:`~headprint.experiments.record.ExperimentResult`
        (its ``report`` is the HTML page; read as a mapping it also gives ``findings`` and
        the experiment's numbers); ``out/index.html`` links every report.

    Raises:
        ValueError: unknown experiment or scale.
    """
    names = list(EXPERIMENTS) if name == "all" else [name]
    unknown = [n for n in names if n not in EXPERIMENTS]
    if unknown:
        raise UsageError(f"unknown experiment {unknown[0]!r}; choose one of "
                         f"{', '.join(EXPERIMENTS)} or all")
    spec = scale if isinstance(scale, Scale) else get_scale(scale)
    ctx = Context.create(model, spec, out, prompt_format, dtype=dtype)
    results = {}
    for exp in names:
        started = time.perf_counter()
        log.info("== reproduce %s (%s) on %s, scale %s, format %s, dtype %s -> %s", exp,
                 EXPERIMENTS[exp][0], model, spec.name, ctx.format, ctx.precision(), out)
        ctx.steps.ran.clear()
        ctx.steps.reused.clear()
        results[exp] = EXPERIMENTS[exp][1](ctx)
        log.info("== %s done in %.1f min: %s", exp, (time.perf_counter() - started) / 60,
                 results[exp]["report"])
    from headprint.report.experiment_pages import write_index

    write_index(ctx.out)
    return results
