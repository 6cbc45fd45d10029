"""Compute activation patterns over a dataset: batching, sharding, resuming, progress.

Samples are cut into shards of ``shard_size`` consecutive samples. Each shard's per-sample
scores are saved to ``<out>/.shards/`` as soon as they are done, so a killed run started
again with the same arguments skips finished shards. Under ``torchrun`` the shards not yet
on disk are dealt round-robin over the ranks (so a resumed run stays balanced, whichever
ranks had finished their part); rank 0 merges the shards, in sample order, into one pattern
set. A shard's scores depend only on its samples (batches are formed inside a shard), so
the result does not depend on the number of processes or on interruptions.
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import torch
from safetensors.torch import load_file, save_file
from tqdm.auto import tqdm

from headprint.io import atomic_write_json, atomic_write_with
from headprint.models.architecture import attention_layout
from headprint.patterns.batching import length_grouped_batches
from headprint.patterns.scoring import LossScaling, Method, score_batch

__all__ = ["ShardPlan", "score_samples", "run_key"]

log = logging.getLogger(__name__)


def run_key(settings: dict) -> str:
    """Stable hash of everything that determines a run's numbers."""
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class ShardPlan:
    """Where shard files live and which shards this process computes.

    ``folder`` None means no shard files (in-memory use, e.g. tracking during training).
    """

    folder: Path | None = None
    shard_size: int = 256
    rank: int = 0
    world_size: int = 1
    key: str = ""

    def shard_path(self, index: int) -> Path:
        assert self.folder is not None
        return self.folder / f"shard-{index:05d}.safetensors"

    def prepare(self) -> None:
        """Create the folder; drop shards of a different run (other settings, other data)."""
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        marker = self.folder / "run.json"
        if marker.exists() and json.loads(marker.read_text()).get("key") != self.key:
            if self.rank == 0:
                log.info("discarding partial shards of a different run in %s", self.folder)
                for stale in self.folder.glob("shard-*.safetensors"):
                    stale.unlink()
        if self.rank == 0:
            atomic_write_json(marker, {"key": self.key})
        _barrier(self.world_size)  # no rank looks for finished shards before the clean-up

    def assign(self, n_shards: int) -> list[int]:
        """This rank's shards: the unfinished ones, dealt round-robin over the ranks.

        Every rank lists the folder, then all meet at a barrier before any computes, so all
        ranks see the same finished set and agree on the deal.
        """
        pending = [i for i in range(n_shards)
                   if self.folder is None or not self.shard_path(i).exists()]
        _barrier(self.world_size)
        return pending[self.rank::self.world_size]


def _barrier(world_size: int) -> None:
    if world_size > 1:
        import torch.distributed as dist

        dist.barrier()


def score_samples(model: torch.nn.Module, samples: Sequence, pad_id: int, *,
                  method: Method = "paper", loss: LossScaling = "sample",
                  batch_size: int = 4, sample_ids: Sequence[str] | None = None,
                  plan: ShardPlan | None = None, progress: bool = True,
                  description: str = "patterns") -> torch.Tensor | None:
    """Per-sample head scores of ``samples`` (objects with ``input_ids`` and ``labels``).

    Returns:
        float32 ``[N, L, H]`` in the order of ``samples`` on rank 0 of a sharded run, or in
        a single process; ``None`` on other ranks (rank 0 reads their shard files).
    """
    plan = plan or ShardPlan()
    plan.prepare()
    layout = attention_layout(model)
    was_training = model.training
    model.eval()  # dropout off: scores are a property of the model, not of a random mask
    n_shards = max(1, -(-len(samples) // plan.shard_size))
    results: dict[int, torch.Tensor] = {}
    todo = plan.assign(n_shards)  # shards finished by an earlier, interrupted run are skipped
    total = sum(len(range(i * plan.shard_size, min(len(samples), (i + 1) * plan.shard_size)))
                for i in todo)
    bar = tqdm(total=total, unit="sample", desc=description, disable=not progress or total == 0,
               dynamic_ncols=True)
    started = time.perf_counter()
    try:
        for index in todo:
            lo, hi = index * plan.shard_size, min(len(samples), (index + 1) * plan.shard_size)
            shard = samples[lo:hi]
            ids = list(sample_ids[lo:hi]) if sample_ids is not None else None
            scores = torch.empty(hi - lo, layout.num_layers, layout.num_heads)
            for batch in length_grouped_batches(shard, batch_size, pad_id):
                scores[batch.indices] = score_batch(model, layout, batch, method, loss, ids)
                bar.update(len(batch.indices))
            if plan.folder is not None:
                atomic_write_with(plan.shard_path(index),
                                  lambda tmp, s=scores: save_file({"per_sample": s}, tmp))
            else:
                results[index] = scores
    finally:
        bar.close()
        model.train(was_training)
    log.debug("scored %d samples in %.1fs", total, time.perf_counter() - started)
    if plan.world_size > 1:
        _barrier(plan.world_size)  # every shard is on disk past this point
        if plan.rank != 0:
            return None
    parts = []
    for index in range(n_shards):
        if index in results:
            parts.append(results[index])
        else:
            parts.append(load_file(str(plan.shard_path(index)))["per_sample"])
    return torch.cat(parts, dim=0)
