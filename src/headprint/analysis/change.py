"""Change of a pattern through fine-tuning (DESIGN §2: ``Δ = AP_after − AP_before``).

The change rate ``Δ / AP_before`` is undefined where a head scored 0 before. Rather than
emitting inf (which breaks every correlation computed over rates, e.g. the paper's
Figure 2), the denominator is floored at ``rel_floor × mean(|AP_before|)``: a head that
was silent before gets a large but finite rate, and near-silent heads cannot dominate.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from headprint.analysis.arrays import as_pattern, check_same_shape

__all__ = ["change", "change_rate", "top_changes", "DEFAULT_RATE_FLOOR"]

#: Default floor of the change-rate denominator, relative to the mean |before| entry.
DEFAULT_RATE_FLOOR = 0.01


def _pair(before: Any, after: Any) -> tuple[np.ndarray, np.ndarray]:
    b, a = as_pattern(before, "before"), as_pattern(after, "after")
    check_same_shape(b, a, "before", "after")
    return b, a


def _rate(b: np.ndarray, a: np.ndarray, rel_floor: float) -> np.ndarray:
    if rel_floor <= 0:
        raise ValueError(f"rel_floor must be > 0, got {rel_floor}")
    scale = float(np.mean(np.abs(b)))
    floor = rel_floor * scale if scale > 0 else 1e-12
    denom = np.where(np.abs(b) >= floor, b, np.where(b < 0, -floor, floor))
    return (a - b) / denom


def change(before: Any, after: Any) -> torch.Tensor:
    """``after − before`` as float32, same shape as the inputs (``[L, H]``)."""
    b, a = _pair(before, after)
    return torch.from_numpy(a - b).to(torch.float32)


def change_rate(before: Any, after: Any, rel_floor: float = DEFAULT_RATE_FLOOR) -> torch.Tensor:
    """``(after − before) / before`` as float32 ``[L, H]``, denominator floored (see module)."""
    b, a = _pair(before, after)
    return torch.from_numpy(_rate(b, a, rel_floor)).to(torch.float32)


def top_changes(before: Any, after: Any, k: int = 10,
                rel_floor: float = DEFAULT_RATE_FLOOR) -> list[dict[str, float | int]]:
    """The ``k`` heads whose score changed most in absolute value.

    Args:
        before, after: ``[L, H]`` patterns.
        k: number of heads to return (all heads if ``k`` exceeds ``L·H``).

    Returns:
        Dicts with ``layer``, ``head``, ``before``, ``after``, ``delta`` and ``rate``,
        largest ``|delta|`` first; ties keep layer-major order.
    """
    b, a = _pair(before, after)
    if b.ndim != 2:
        raise ValueError(f"top_changes needs [L, H] patterns, got shape {b.shape}")
    delta = a - b
    rate = _rate(b, a, rel_floor)
    flat = np.argsort(-np.abs(delta).ravel(), kind="stable")[: max(int(k), 0)]
    rows = []
    for idx in flat:
        layer, head = np.unravel_index(idx, b.shape)
        rows.append({"layer": int(layer), "head": int(head), "before": float(b[layer, head]),
                     "after": float(a[layer, head]), "delta": float(delta[layer, head]),
                     "rate": float(rate[layer, head])})
    return rows
