"""Checks that pattern sets can be compared before any data decision is made from them.

A correlation between a pattern of one model and a pattern of another is a number without
meaning, and so is a composition fitted on changes measured with different methods. These
checks read the pattern sets' manifests and stop with an error that names both sides.
"""
from __future__ import annotations

from typing import Any

from headprint.errors import HeadprintError

__all__ = ["SelectionError", "describe_model", "check_same_model", "check_comparable"]


class SelectionError(HeadprintError, ValueError):
    """Inputs that cannot produce a sound data choice (another model, no per-sample
    patterns, a request for more rows than exist)."""


def describe_model(manifest: dict[str, Any]) -> str:
    """``name (fingerprint prefix)`` for error messages."""
    fingerprint = str(manifest.get("model_fingerprint") or "no fingerprint")
    return f"{manifest.get('model', '?')} ({fingerprint[:23]})"


def _shape(manifest: dict[str, Any], shape: tuple[int, int] | None) -> tuple[int, int] | None:
    if shape is not None:
        return tuple(shape)
    if "num_layers" in manifest and "num_heads" in manifest:
        return int(manifest["num_layers"]), int(manifest["num_heads"])
    return None


def check_comparable(a: Any, b: Any, label_a: str, label_b: str) -> None:
    """Raise :class:`SelectionError` unless ``a`` and ``b`` (pattern sets) share the pattern
    shape ``[L, H]``, the scoring method and the loss scaling.

    This is the check for patterns of *different* models that must still live in one space,
    such as the patterns of models fine-tuned from one base model on different tasks.
    """
    shape_a, shape_b = _shape(a.manifest, a.shape), _shape(b.manifest, b.shape)
    if shape_a != shape_b:
        raise SelectionError(
            f"{label_a} has pattern shape {shape_a} (model {describe_model(a.manifest)}) but "
            f"{label_b} has {shape_b} (model {describe_model(b.manifest)}): patterns of "
            "different architectures cannot be compared")
    for key in ("method", "loss"):
        va, vb = a.manifest.get(key), b.manifest.get(key)
        if va is not None and vb is not None and va != vb:
            raise SelectionError(f"{label_a} was computed with {key}={va!r} but {label_b} "
                                 f"with {key}={vb!r}; recompute one so that both match")


def check_same_model(a: Any, b: Any, label_a: str, label_b: str) -> None:
    """:func:`check_comparable`, and both pattern sets come from the very same weights.

    Weights are compared by ``model_fingerprint``; when either manifest lacks one, the
    model names must agree instead.
    """
    check_comparable(a, b, label_a, label_b)
    fa, fb = a.manifest.get("model_fingerprint"), b.manifest.get("model_fingerprint")
    same = fa == fb if fa and fb else a.manifest.get("model") == b.manifest.get("model")
    if not same:
        raise SelectionError(
            f"{label_a} comes from model {describe_model(a.manifest)} but {label_b} comes "
            f"from model {describe_model(b.manifest)}; both must be measured with the same "
            "model")
