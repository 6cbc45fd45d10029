"""The pattern set: headprint's central artifact.

On disk a pattern set is a folder holding

- ``patterns.safetensors``: tensor ``mean`` (float32 ``[L, H]``), the dataset's activation
  pattern, and optionally ``per_sample`` (float32 ``[N, L, H]``), one pattern per sample in
  the order of ``manifest["sample_ids"]``;
- ``manifest.json``: provenance (model and its fingerprint, method, loss scaling, data source
  and fingerprint, split, sample ids, shape, counts, headprint version, creation time).

Both files are written to temporary names and renamed, so a folder never holds a
half-written artifact.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from headprint import __version__
from headprint.errors import HeadprintError
from headprint.io import atomic_write_json, atomic_write_with

__all__ = ["PatternSet", "PatternSetError", "REQUIRED_MANIFEST_KEYS", "load_pattern_set"]

PATTERN_FILE = "patterns.safetensors"
MANIFEST_FILE = "manifest.json"
REQUIRED_MANIFEST_KEYS = (
    "model", "model_fingerprint", "method", "loss", "data", "split", "n_samples",
    "sample_ids", "num_layers", "num_heads", "max_length", "n_truncated", "n_skipped",
    "headprint_version", "created",
)


class PatternSetError(HeadprintError, ValueError):
    """A pattern set is missing, malformed, or incompatible with another one."""


@dataclass
class PatternSet:
    """Activation pattern of one dataset under one model.

    Attributes:
        mean: float32 ``[L, H]``; ``mean[l, h]`` is the average head score over samples.
        manifest: provenance dictionary (see ``REQUIRED_MANIFEST_KEYS``).
        per_sample: optional float32 ``[N, L, H]``, rows in ``manifest["sample_ids"]`` order.
    """

    mean: torch.Tensor
    manifest: dict[str, Any] = field(default_factory=dict)
    per_sample: torch.Tensor | None = None

    def __post_init__(self) -> None:
        self.mean = self.mean.detach().to(torch.float32).cpu().contiguous()
        if self.mean.dim() != 2:
            raise PatternSetError(f"mean must be [L, H], got shape {tuple(self.mean.shape)}")
        if self.per_sample is not None:
            self.per_sample = self.per_sample.detach().to(torch.float32).cpu().contiguous()
            if self.per_sample.dim() != 3 or self.per_sample.shape[1:] != self.mean.shape:
                raise PatternSetError(
                    f"per_sample must be [N, {self.mean.shape[0]}, {self.mean.shape[1]}], "
                    f"got {tuple(self.per_sample.shape)}")
        self.manifest.setdefault("num_layers", int(self.mean.shape[0]))
        self.manifest.setdefault("num_heads", int(self.mean.shape[1]))
        self.manifest.setdefault("headprint_version", __version__)
        self.manifest.setdefault("created", _dt.datetime.now(_dt.timezone.utc).isoformat())

    # -- convenience accessors -------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        return int(self.mean.shape[0]), int(self.mean.shape[1])

    @property
    def model(self) -> str:
        return str(self.manifest.get("model", "?"))

    @property
    def name(self) -> str:
        """Short label for tables and figures: the manifest's ``name`` or its data source."""
        if self.manifest.get("name"):
            return str(self.manifest["name"])
        data = self.manifest.get("data")
        if isinstance(data, dict):
            return str(data.get("source", "?"))
        return str(data or "?")

    @property
    def sample_ids(self) -> list[str]:
        return [str(s) for s in self.manifest.get("sample_ids", [])]

    # -- persistence -----------------------------------------------------------------------
    def save(self, folder: str | Path) -> Path:
        """Write ``patterns.safetensors`` then ``manifest.json`` into ``folder``, atomically."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        tensors = {"mean": self.mean}
        if self.per_sample is not None:
            tensors["per_sample"] = self.per_sample
        atomic_write_with(folder / PATTERN_FILE,
                          lambda tmp: save_file(tensors, tmp, metadata={"format": "headprint"}))
        atomic_write_json(folder / MANIFEST_FILE, self.manifest)
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> "PatternSet":
        """Load a pattern set folder (or the path of its ``patterns.safetensors``)."""
        folder = Path(folder)
        if folder.is_file():
            folder = folder.parent
        tensor_path, manifest_path = folder / PATTERN_FILE, folder / MANIFEST_FILE
        if not tensor_path.exists() or not manifest_path.exists():
            raise PatternSetError(
                f"{folder} is not a pattern set: expected {PATTERN_FILE} and {MANIFEST_FILE}")
        import json

        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise PatternSetError(f"{manifest_path}: invalid JSON ({err})") from err
        tensors = load_file(str(tensor_path))
        if "mean" not in tensors:
            raise PatternSetError(f"{tensor_path}: no tensor named 'mean'")
        return cls(mean=tensors["mean"], manifest=manifest, per_sample=tensors.get("per_sample"))


def load_pattern_set(folder: str | Path) -> PatternSet:
    """Functional alias of :meth:`PatternSet.load`."""
    return PatternSet.load(folder)
