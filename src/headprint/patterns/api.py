"""Library calls behind ``headprint patterns``: model + data in, a saved pattern set out."""
from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from headprint import __version__
from headprint.distributed import init_distributed
from headprint.models import DEFAULT_MODEL, LoadedModel, load_model
from headprint.models.architecture import attention_layout
from headprint.patterns.artifact import MANIFEST_FILE, PatternSet, PatternSetError
from headprint.patterns.compute import ShardPlan, run_key, score_samples
from headprint.patterns.scoring import LossScaling, Method

__all__ = ["PatternConfig", "compute_patterns", "run_patterns", "OutputExistsError"]

log = logging.getLogger(__name__)


class OutputExistsError(FileExistsError):
    """The output folder already holds a different artifact."""


@dataclass
class PatternConfig:
    """Settings of one pattern computation (also the CLI's flags)."""

    model: str = DEFAULT_MODEL
    """Built-in name, local folder, or hub id."""
    data: str = "gsm8k"
    """Task name (``gsm8k``, ``gsm8k:test``) or a data file."""
    split: str | None = None
    limit: int | None = None
    method: Method = "paper"
    loss: LossScaling = "sample"
    batch_size: int = 4
    max_length: int = 1024
    per_sample: bool = False
    skip_bad: bool = False
    dtype: str = "auto"
    """``auto`` (bfloat16 on fast hardware for a model that passed the fidelity gate, else
    float32), ``float32``, ``bfloat16`` or ``float16``."""
    device: str | None = None
    device_map: str | None = None
    shard_size: int = 256
    name: str | None = None
    """Label for tables and figures; defaults to the data's name."""

    def __post_init__(self) -> None:
        if self.method not in ("paper", "abs"):
            raise ValueError(f"unknown method {self.method!r}; choose 'paper' or 'abs'")
        if self.loss not in ("sample", "batch"):
            raise ValueError(f"unknown loss scaling {self.loss!r}; choose 'sample' or 'batch'")
        for field_name in ("batch_size", "max_length", "shard_size"):
            if getattr(self, field_name) < 1:
                raise ValueError(f"{field_name} must be at least 1")
        if self.limit is not None and self.limit < 1:
            raise ValueError("limit must be at least 1")


def compute_patterns(loaded: LoadedModel, bundle, *, method: Method = "paper",
                     loss: LossScaling = "sample", batch_size: int = 4, max_length: int = 1024,
                     per_sample: bool = False, plan: ShardPlan | None = None,
                     progress: bool = True, name: str | None = None) -> PatternSet | None:
    """Pattern set of ``bundle`` (a :class:`headprint.data.DataBundle`) under ``loaded``.

    Samples whose every target token is truncated away are excluded and counted
    (``n_truncated_out``), never averaged in as zeros. Returns None on non-zero ranks.
    """
    from headprint.data import encode_rows

    encoded = encode_rows(bundle.rows, loaded.tokenizer, max_length)
    kept = [(row, sample) for row, sample in zip(bundle.rows, encoded) if sample.n_target > 0]
    if not kept:
        raise ValueError(f"{bundle.name}: no sample has a response token left within "
                         f"max_length={max_length}")
    ids = [str(row["id"]) for row, _ in kept]
    samples = [sample for _, sample in kept]
    started = time.perf_counter()
    scores = score_samples(loaded.model, samples, loaded.tokenizer.pad_token_id, method=method,
                           loss=loss, batch_size=batch_size, sample_ids=ids, plan=plan,
                           progress=progress, description=f"patterns {bundle.name}")
    if scores is None:
        return None
    elapsed = time.perf_counter() - started
    layout = attention_layout(loaded.model)
    n_out = len(encoded) - len(kept)
    manifest = {
        "name": name or bundle.name,
        "model": loaded.name, "model_fingerprint": loaded.fingerprint,
        "model_type": getattr(loaded.model.config, "model_type", None),
        "method": method, "loss": loss, "data": bundle.describe(), "split": bundle.split,
        "n_samples": len(ids), "sample_ids": ids,
        "num_layers": layout.num_layers, "num_heads": layout.num_heads,
        "max_length": max_length, "batch_size": batch_size,
        "n_truncated": sum(1 for s in samples if s.truncated),
        "n_truncated_out": n_out, "n_skipped": int(bundle.n_skipped) + n_out,
        "dtype": str(next(loaded.model.parameters()).dtype).replace("torch.", ""),
        "dtype_reason": getattr(loaded, "dtype_reason", ""),
        "seconds": round(elapsed, 3), "headprint_version": __version__,
    }
    return PatternSet(mean=scores.mean(dim=0), manifest=manifest,
                      per_sample=scores if per_sample else None)


def _settings(config: PatternConfig, loaded: LoadedModel, bundle) -> dict:
    keep = asdict(config)
    for transient in ("device", "device_map", "shard_size", "name"):
        keep.pop(transient)
    # The dtype used, not the one asked for ("auto" differs by machine); float32 keys as
    # None, as before "auto" existed, so float32 artifacts made then are still recognised.
    used = str(next(loaded.model.parameters()).dtype).replace("torch.", "")
    keep["dtype"] = None if used == "float32" else used
    return {**keep, "model_fingerprint": loaded.fingerprint,
            "data_fingerprint": bundle.describe().get("fingerprint")}


def run_patterns(config: PatternConfig, out: str | Path, overwrite: bool = False,
                 progress: bool = True) -> PatternSet | None:
    """Load model and data, compute (resuming finished shards), save to ``out``.

    Raises:
        OutputExistsError: ``out`` holds a different artifact and ``overwrite`` is False.
    """
    from headprint.data import load_data

    out = Path(out)
    dist = init_distributed()
    bundle = load_data(config.data, split=config.split, limit=config.limit,
                       skip_bad=config.skip_bad)
    device = config.device or ("cuda" if torch.cuda.is_available() else "cpu")
    if dist.world_size > 1 and device == "cuda":
        device = f"cuda:{dist.local_rank}"
    loaded = load_model(config.model, dtype=config.dtype, device=None if config.device_map
                        else device, device_map=config.device_map)
    key = run_key(_settings(config, loaded, bundle))
    existing = out / MANIFEST_FILE
    if existing.exists():
        previous = json.loads(existing.read_text()).get("run_key")
        if previous == key and not overwrite:
            log.info("%s already holds this artifact; nothing to do", out)
            return PatternSet.load(out)
        if not overwrite:
            raise OutputExistsError(
                f"{out} already holds a different artifact ({existing}); pass --overwrite "
                f"to replace it or choose another --out")
    plan = ShardPlan(out / ".shards", config.shard_size, dist.rank, dist.world_size, key)
    try:
        result = compute_patterns(loaded, bundle, method=config.method, loss=config.loss,
                                  batch_size=config.batch_size, max_length=config.max_length,
                                  per_sample=config.per_sample, plan=plan, progress=progress,
                                  name=config.name)
        if result is not None:
            result.manifest.update(run_key=key, world_size=dist.world_size, device=device)
            result.save(out)
            for shard in plan.folder.glob("*"):
                shard.unlink()
            plan.folder.rmdir()
        dist.barrier()
    finally:
        dist.close()
    return result
