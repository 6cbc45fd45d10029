"""Loading pattern sets for the analysis commands, with errors that name files and models.

The pure functions only see arrays and can say "shape (30, 9) vs (24, 14)"; here we know
which folder and which model each array came from, so incompatibilities are reported
in those terms before any arithmetic happens.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import torch

from headprint.patterns.artifact import PatternSet, PatternSetError

__all__ = ["Loaded", "load", "as_loaded", "IN_MEMORY", "check_compatible", "provenance",
           "unique_labels", "slug", "default_out", "split_named"]


#: ``Loaded.path`` of a pattern set given as an object rather than a folder.
IN_MEMORY = Path("<in memory>")


@dataclass
class Loaded:
    """A pattern set together with where it came from and the label used in tables."""

    path: Path
    patterns: PatternSet
    label: str

    @property
    def has_samples(self) -> bool:
        return self.patterns.per_sample is not None and self.patterns.per_sample.shape[0] > 0


def _check_finite(ps: PatternSet, where: str) -> None:
    for key, tensor in (("mean", ps.mean), ("per_sample", ps.per_sample)):
        if tensor is not None and not bool(torch.isfinite(tensor).all()):
            bad = int((~torch.isfinite(tensor)).sum())
            raise PatternSetError(f"{where}: tensor {key!r} has {bad} non-finite entries "
                                  f"(NaN or inf); recompute the pattern set")


def load(path: str | Path, label: str | None = None) -> Loaded:
    """Load one pattern-set folder; reject missing folders and non-finite tensors."""
    path = Path(path)
    if not path.exists():
        raise PatternSetError(f"{path} does not exist")
    ps = PatternSet.load(path)
    _check_finite(ps, str(path))
    return Loaded(path, ps, label or ps.name)


def as_loaded(source: PatternSet | str | Path, label: str | None = None) -> Loaded:
    """A pattern set given as a folder (:func:`load`) or as an object in memory (path
    :data:`IN_MEMORY`), checked the same way."""
    if isinstance(source, PatternSet):
        _check_finite(source, label or source.name)
        return Loaded(IN_MEMORY, source, label or source.name)
    return load(source, label)


def _describe(item: Loaded) -> str:
    n_layers, n_heads = item.patterns.shape
    return f"{item.path} (model {item.patterns.model}, {n_layers} layers × {n_heads} heads)"


def check_compatible(items: Sequence[Loaded], action: str = "compare") -> None:
    """Raise :class:`PatternSetError` naming both sets when two shapes differ.

    Patterns of the same shape from different models (a base model and its fine-tuned
    copy) are legitimate inputs and pass; different shapes mean different architectures.
    """
    for other in items[1:]:
        if other.patterns.shape != items[0].patterns.shape:
            raise PatternSetError(
                f"cannot {action} pattern sets of different shapes (different models): "
                f"{_describe(items[0])} vs {_describe(other)}")


def provenance(item: Loaded) -> dict[str, Any]:
    """The manifest fields a reader needs to know what a number was computed from."""
    m = item.patterns.manifest
    keys = ("model", "model_fingerprint", "method", "loss", "data", "split", "n_samples",
            "num_layers", "num_heads", "max_length", "n_truncated", "n_skipped", "task",
            "step", "headprint_version", "created")
    out = {"label": item.label, "path": str(item.path)}
    out.update({k: m[k] for k in keys if k in m})
    out["has_per_sample"] = item.has_samples
    out["shape"] = list(item.patterns.shape)  # [L, H], for tables of the inputs
    return out


def unique_labels(items: Sequence[Loaded]) -> None:
    """Make labels unique in place by appending the folder name to duplicates."""
    seen: dict[str, int] = {}
    for item in items:
        seen[item.label] = seen.get(item.label, 0) + 1
    for item in items:
        if seen[item.label] > 1:
            item.label = f"{item.label} ({item.path.name})"


def slug(text: str) -> str:
    """A file-name-safe version of a label."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", str(text)).strip("-.") or "pattern"


def default_out(paths: Sequence[str | Path], leaf: str) -> Path:
    """``<common parent of the inputs>/analysis/<leaf>``: results land next to the data,
    where ``headprint report`` on the run folder finds them."""
    parents = [str(Path(p).resolve().parent) for p in paths]
    return Path(os.path.commonpath(parents)) / "analysis" / leaf


def split_named(spec: str) -> tuple[str | None, str]:
    """``"NAME=REST"`` -> ``("NAME", "REST")``; ``"REST"`` -> ``(None, "REST")``.

    A leading ``NAME=`` is only taken as a name when it contains no path separator, so
    paths that happen to contain ``=`` still work.
    """
    name, sep, rest = spec.partition("=")
    if sep and name and "/" not in name and os.sep not in name:
        return name, rest
    return None, spec
