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
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from headprint import __version__
from headprint.errors import HeadprintError
from headprint.hashing import stable_hash
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
        problem = _disagreement(self.mean, self.per_sample, self.manifest)
        if problem:
            raise PatternSetError(problem)
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
        metadata = {"format": "headprint", **_tensor_facts(self.manifest)}
        atomic_write_with(folder / PATTERN_FILE,
                          lambda tmp: save_file(tensors, tmp, metadata=metadata))
        atomic_write_json(folder / MANIFEST_FILE, self.manifest)
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> "PatternSet":
        """Load a pattern set folder (or the path of its ``patterns.safetensors``).

        Raises:
            PatternSetError: naming the file, if a file is missing, unreadable or truncated,
                or if tensors and manifest disagree (``per_sample`` rows, ``n_samples`` and
                ``len(sample_ids)``; ``mean`` shape and ``num_layers`` × ``num_heads``).
        """
        folder = Path(folder)
        if folder.is_file():
            folder = folder.parent
        tensor_path, manifest_path = folder / PATTERN_FILE, folder / MANIFEST_FILE
        if not tensor_path.exists() or not manifest_path.exists():
            raise PatternSetError(
                f"{folder} is not a pattern set: expected {PATTERN_FILE} and {MANIFEST_FILE}")
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise PatternSetError(f"{manifest_path}: invalid JSON ({err})") from err
        if not isinstance(manifest, dict):
            raise PatternSetError(f"{manifest_path}: expected a JSON object, got "
                                  f"{type(manifest).__name__}")
        try:
            with safe_open(str(tensor_path), framework="pt") as handle:
                facts = handle.metadata() or {}
                tensors = {name: handle.get_tensor(name) for name in handle.keys()}
        except OSError:
            raise
        except Exception as err:  # safetensors raises its own error types for bad bytes
            raise PatternSetError(f"{tensor_path}: not a readable safetensors file, perhaps "
                                  f"truncated ({' '.join(str(err).split())})") from None
        if "mean" not in tensors:
            raise PatternSetError(f"{tensor_path}: no tensor named 'mean'")
        problem = _disagreement(tensors["mean"], tensors.get("per_sample"), manifest, facts)
        if problem:
            raise PatternSetError(f"{folder}: {problem}; the files do not belong together "
                                  "(recompute the pattern set)")
        return cls(mean=tensors["mean"], manifest=manifest, per_sample=tensors.get("per_sample"))


def _ids_digest(ids: list) -> str:
    return stable_hash([str(i) for i in ids])


def _tensor_facts(manifest: dict[str, Any]) -> dict[str, str]:
    """What the tensor file records of its manifest, so that a tensor file and a manifest
    from different runs (a crash between the two renames, a copy) are told apart."""
    facts = {}
    if "n_samples" in manifest:
        facts["n_samples"] = str(manifest["n_samples"])
    if isinstance(manifest.get("sample_ids"), list):
        facts["sample_ids_sha256"] = _ids_digest(manifest["sample_ids"])
    return facts


def _disagreement(mean: torch.Tensor, per_sample: torch.Tensor | None,
                  manifest: dict[str, Any], facts: dict[str, str] | None = None) -> str | None:
    """What in tensors, manifest and tensor-file metadata disagrees, or None.

    Only keys that are present are checked, so partial manifests (tests, in-memory sets)
    pass; a pattern set made by headprint has them all. ``n_samples``, ``len(sample_ids)``,
    the rows of ``per_sample`` and the count recorded in the tensor file must be equal.
    """
    if mean.dim() != 2:
        return f"mean must be [L, H], got shape {tuple(mean.shape)}"
    shape = (manifest.get("num_layers"), manifest.get("num_heads"))
    if any(said is not None and said != real for said, real in zip(shape, mean.shape)):
        return (f"mean is {tuple(mean.shape)} but the manifest says num_layers={shape[0]}, "
                f"num_heads={shape[1]}")
    counts = {}
    if "n_samples" in manifest:
        counts["manifest n_samples"] = manifest["n_samples"]
    if manifest.get("sample_ids"):  # an empty list: ids not recorded (synthetic sets)
        counts["len(sample_ids)"] = len(manifest["sample_ids"])
    if per_sample is not None:
        counts["per_sample rows"] = int(per_sample.shape[0])
    if facts and "n_samples" in facts:
        counts["n_samples recorded in the tensor file"] = facts["n_samples"]
    if len({str(v) for v in counts.values()}) > 1:
        return ", ".join(f"{name} {value}" for name, value in counts.items()) + " disagree"
    digest = (facts or {}).get("sample_ids_sha256")
    if digest and isinstance(manifest.get("sample_ids"), list) and \
            digest != _ids_digest(manifest["sample_ids"]):
        return "the manifest's sample_ids are not those the tensors were computed on"
    return None


def load_pattern_set(folder: str | Path) -> PatternSet:
    """Functional alias of :meth:`PatternSet.load`."""
    return PatternSet.load(folder)
