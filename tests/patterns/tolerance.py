"""Entry-wise comparison of float32 head scores, each entry against its own scale.

Two routes to the same score (another attention kernel, another batch composition, the
eager reference) round differently in float32. How much is set by the size of the terms a
score sums, not by the score: a ``paper`` score is ``|Σ_ij A_ij ∂ℓ/∂A_ij|``, and a head
whose signed terms cancel has a small score that carries the rounding of its large terms.
The natural scale of entry i is therefore the same head's ``abs`` score ``Σ_ij |A_ij
∂ℓ/∂A_ij|`` (for the ``abs`` method that is the score itself).

Measured on the tiny test models (x86-64 with AVX2, 2026-12; all six families, both loss
scalings, headprint against the eager reference): ``|Δ_i| ≤ 1.22e-6 · scale_i``, while
``|Δ_i| / score_i`` reaches 1.7e-4 on a head whose terms cancel to 0.1 % of their sum.

``RTOL = 1e-5`` of ``scale_i``: 8× the worst error seen, room for CPUs whose kernels sum in
another order (AVX-512, ARM NEON, other thread counts) — float32's unit roundoff is 6e-8, and
a score passes ~10 ops deep through a few layers. It is checked per entry, so a small head
is held to its own small scale; a max|Δ|/max|ref| ratio let a small head be badly wrong.
"""
from __future__ import annotations

import torch

__all__ = ["RTOL", "assert_scores_close"]

RTOL = 1e-5


def assert_scores_close(actual: torch.Tensor, expected: torch.Tensor,
                        scale: torch.Tensor | None = None) -> None:
    """Assert ``|actual_i - expected_i| <= RTOL · scale_i`` for every entry i.

    Args:
        actual, expected: float32 scores of one shape, e.g. ``[B, L, H]``.
        scale: the same heads' ``abs`` scores (``Σ|A·∂ℓ/∂A|``) when comparing ``paper``
            scores; defaults to ``|expected|`` (right for ``abs`` scores).
    """
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    scale = expected.abs() if scale is None else scale
    assert bool((scale >= expected.abs() * (1 - 1e-5)).all()), "scale below |expected|"
    error = (actual.double() - expected.double()).abs()
    ratio = error / (RTOL * scale.double()).clamp_min(torch.finfo(torch.float32).tiny)
    if bool((ratio > 1).any()):
        worst = tuple(int(i) for i in torch.nonzero(ratio == ratio.max())[0])
        raise AssertionError(
            f"{int((ratio > 1).sum())} of {ratio.numel()} entries differ by more than "
            f"{RTOL:g} of their scale; worst at {worst}: actual {float(actual[worst]):.8g}, "
            f"expected {float(expected[worst]):.8g}, scale {float(scale[worst]):.8g}")
