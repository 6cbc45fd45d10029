"""Entry-wise comparison of float32 head scores, with tolerances sized from the data.

Why these sizes. Head scores come out of a float32 forward and backward pass; two routes to
the same number (another attention kernel, another batch composition, the eager reference)
round differently. That rounding error is set by the magnitudes flowing through the
network, not by the entry compared: a ``paper`` score is ``|Σ|`` of signed terms, so a
small head is a cancellation of large terms and carries the absolute error of the large
ones. Measured on the tiny test models (x86-64, AVX2, 2026-12), every family and method:
max |Δ| ≤ 1.6e-6 · max |score| and, for entries near the largest, |Δ| ≤ 1e-6 · |score|.

- ``atol = 1e-5 · max|expected|``: 6× the largest error seen, room for CPUs whose kernels
  sum in another order (AVX-512, ARM NEON, other thread counts); a head 1 % of the
  largest is still checked to 0.1 %.
- ``rtol = 1e-5``: ~80 float32 ulps, for the large entries (a few ulps per layer of depth).

Each entry must pass on its own (``torch.testing.assert_close``): a max|Δ|/max|ref| ratio
would let a small head be badly wrong.
"""
from __future__ import annotations

import torch

__all__ = ["ABS_FRACTION", "RTOL", "assert_scores_close"]

ABS_FRACTION = 1e-5
RTOL = 1e-5


def assert_scores_close(actual: torch.Tensor, expected: torch.Tensor) -> None:
    """Entry-wise ``|actual - expected| <= atol + rtol·|expected|`` (sizes: module doc)."""
    atol = ABS_FRACTION * float(expected.abs().max())
    torch.testing.assert_close(actual, expected, rtol=RTOL, atol=atol)
