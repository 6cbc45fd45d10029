"""Numbers as text: the one set of formatting rules every table, page and evidence line uses.

These are the Jinja2 filters of :mod:`headprint.report.templating` and plain functions for
the stages that put a number into a sentence (a finding's evidence). Undefined values
(``None``, NaN, infinities: JSON has no NaN, so results store ``null``) print as ``n/a``.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

__all__ = ["fmt", "fmt_ci", "ci_legend", "mean_sd", "num", "p_value", "percent",
           "data_label"]


def fmt(x: Any, digits: int = 4) -> str:
    """A number for a table: ``digits`` significant digits, ``n/a`` when undefined;
    integers stay integers and strings pass through."""
    if x is None:
        return "n/a"
    if isinstance(x, str):
        return x
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return str(int(x))
    x = float(x)
    if not math.isfinite(x):
        return "n/a"
    return f"{x:.{digits}g}"


def fmt_ci(estimate: Any, ci: Any | None, digits: int = 4) -> str:
    """``estimate [low, high]`` from a BootstrapCI (or its dict); a ``⚠`` marks an estimate
    outside its interval (see :class:`headprint.analysis.BootstrapCI`)."""
    text = fmt(estimate, digits)
    if ci is None:
        return text
    get = ci.get if isinstance(ci, dict) else (lambda k: getattr(ci, k))
    low, high = get("low"), get("high")
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return text
    flag = " ⚠" if get("warning") else ""
    return f"{text} [{fmt(low, 3)}, {fmt(high, 3)}]{flag}"


def ci_legend(confidence: float, method: str, n_boot: int, seed: int) -> str:
    """One sentence saying what the brackets and the ⚠ in a table mean."""
    if n_boot == 0:
        return "No bootstrap intervals (n_boot = 0)."
    kind = "bias-corrected (basic)" if method == "basic" else "percentile"
    return (f"Brackets: {confidence:.0%} {kind} bootstrap interval over samples ({n_boot} "
            f"replicates, seed {seed}). ⚠: sampling noise biases this value by more than its "
            "spread, so read the interval rather than the point value.")


def mean_sd(pair: Sequence[Any] | None, n: int | None = 2, scale: float = 1.0,
            spec: str = ".1f") -> str:
    """``"12.3 ± 1.2"`` from a stored ``(mean, sd)`` pair over ``n`` values (times
    ``scale``); a single value (``n < 2``, or no sd) prints without ``±``."""
    if not pair or pair[0] is None or not math.isfinite(float(pair[0])):
        return "n/a"
    mean, sd = float(pair[0]), pair[1] if len(pair) > 1 else None
    if (n is not None and n < 2) or sd is None or not math.isfinite(float(sd)):
        return f"{mean * scale:{spec}}"
    return f"{mean * scale:{spec}} ± {float(sd) * scale:{spec}}"


def num(x: Any, spec: str = ".4f") -> str:
    """``x`` in format ``spec`` (``".4f"``, ``"+.3f"``, ``".0%"``), ``n/a`` when undefined."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    return f"{x:{spec}}"


def p_value(p: Any) -> str:
    """A p-value: two significant digits below 0.001, three decimals above."""
    if p is None:
        return "n/a"
    return f"{p:.2g}" if p < 0.001 else f"{p:.3f}"


def percent(x: Any, digits: int = 1) -> str:
    """A share in [0, 1] as a percentage with ``digits`` decimals."""
    if x is None or not math.isfinite(float(x)):
        return "n/a"
    return f"{100 * float(x):.{digits}f}"


def data_label(provenance: dict[str, Any]) -> str:
    """``source/split`` of the data a pattern set (its provenance entry) was computed on."""
    data = provenance.get("data")
    source = data.get("source", "?") if isinstance(data, dict) else str(data or "?")
    split = provenance.get("split") or (data.get("split") if isinstance(data, dict) else None)
    return f"{source}/{split}" if split else source
