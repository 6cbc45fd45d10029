"""Input checks shared by the pure analysis functions.

Every analysis function accepts torch tensors or numpy arrays and works in float64 numpy:
patterns are stored as float32, but sums over thousands of heads (and the fourth moments
of kurtosis) lose digits in float32, and golden tests compare against scipy in float64.
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["as_array", "as_pattern", "as_stack", "check_same_shape"]


def as_array(x: Any, name: str = "input") -> np.ndarray:
    """Return ``x`` as a float64 numpy array; raise ValueError on non-finite entries.

    NaN or inf in a pattern means the extraction went wrong (overflowing gradients, an
    empty response); silently propagating it would turn every statistic into NaN with
    no hint where it came from, so we stop here and say how many entries are bad.
    """
    if hasattr(x, "detach"):  # torch.Tensor, without importing torch for numpy callers
        x = x.detach().cpu().double().numpy()
    arr = np.asarray(x, dtype=np.float64)
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise ValueError(
            f"{name} has {int(bad.sum())} non-finite entries (NaN or inf) out of {arr.size}; "
            "recompute the pattern or drop those samples")
    return arr


def as_pattern(x: Any, name: str = "pattern") -> np.ndarray:
    """A pattern ``[L, H]`` (or any shape; statistics run over all entries) as float64."""
    return as_array(x, name)


def as_stack(x: Any, name: str = "per_sample") -> np.ndarray:
    """Per-sample patterns ``[N, L, H]`` as float64; at least one sample."""
    arr = as_array(x, name)
    if arr.ndim != 3:
        raise ValueError(f"{name} must be [N, L, H], got shape {arr.shape}")
    return arr


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str = "a",
                     name_b: str = "b") -> None:
    """Raise ValueError naming both inputs when their shapes differ."""
    if a.shape != b.shape:
        raise ValueError(
            f"shape mismatch: {name_a} has shape {a.shape} but {name_b} has shape {b.shape} "
            "(patterns of different models cannot be compared)")
