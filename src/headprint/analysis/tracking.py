"""How fast patterns move during fine-tuning (paper Section 4.3, Figure 5).

For a series of patterns of one task saved at training steps ``0 = s_0 < s_1 < …``, the
correlation and MSE of each step's pattern against step 0 (the base model's pattern on the
same task). Correlation tracks whether the *shape* of the pattern is kept; MSE tracks the
*magnitude* of the change. ``rel_mse`` (MSE divided by the mean square of the step-0
pattern) makes magnitudes comparable across tasks whose scores differ in scale.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

import numpy as np

from headprint.analysis.arrays import as_pattern, check_same_shape
from headprint.analysis.similarity import pearson_unchecked

__all__ = ["TrackingSeries", "series_metrics"]


@dataclass
class TrackingSeries:
    """Metrics of one task's pattern series against its step-0 pattern.

    Attributes:
        steps: training steps, ascending, starting at 0.
        corr: Pearson correlation with step 0, per step (1.0 at step 0).
        mse: mean squared difference to step 0, per step (0.0 at step 0).
        rel_mse: ``mse / mean(step0²)`` per step (``nan`` if step 0 is all zeros).
        notes: remarks (e.g. an undefined correlation).
    """

    steps: list[int]
    corr: list[float]
    mse: list[float]
    rel_mse: list[float]
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def series_metrics(patterns: Sequence[Any], steps: Sequence[int] | None = None
                   ) -> TrackingSeries:
    """Correlation and MSE of every pattern of a series against the step-0 pattern.

    Args:
        patterns: ``S`` patterns ``[L, H]`` (or an ``[S, L, H]`` tensor), in any order.
        steps: the training step of each pattern (default ``0 … S−1``); must contain 0 and
            no duplicates. Results are returned sorted by step.

    Raises:
        ValueError: no step 0, duplicate steps, a count mismatch, shapes differ, or
            non-finite entries.
    """
    items = [as_pattern(p, f"pattern {i}") for i, p in enumerate(patterns)]
    steps = list(range(len(items))) if steps is None else [int(s) for s in steps]
    if len(steps) != len(items):
        raise ValueError(f"got {len(steps)} steps for {len(items)} patterns")
    if len(set(steps)) != len(steps):
        raise ValueError(f"duplicate steps in {sorted(steps)}")
    if 0 not in steps:
        raise ValueError(f"tracking needs the step-0 (base model) pattern; steps are "
                         f"{sorted(steps)}")
    order = np.argsort(steps, kind="stable")
    ref = items[steps.index(0)]
    scale = float(np.mean(ref ** 2))
    out = TrackingSeries([], [], [], [])
    for i in order:
        check_same_shape(ref, items[i], "step 0", f"step {steps[i]}")
        err = float(np.mean((items[i] - ref) ** 2))
        corr = pearson_unchecked(ref, items[i])
        out.steps.append(steps[i])
        out.corr.append(corr)
        out.mse.append(err)
        out.rel_mse.append(err / scale if scale > 0 else float("nan"))
        if np.isnan(corr):
            out.notes.append(f"step {steps[i]}: correlation undefined (constant pattern)")
    return out
