"""Compute activation patterns over a dataset: batching, sharding, resuming, progress.

Samples are cut into shards of ``shard_size`` consecutive samples. Each shard's per-sample
scores are saved to ``<out>/.shards/`` as soon as they are done, together with what they
were made from (run key, shard size, index, sample ids), so a killed run started again with
the same arguments skips finished shards, and a run with other arguments never reuses them.
Under ``torchrun`` the shards not yet on disk are dealt round-robin over the ranks (so a
resumed run stays balanced, whichever ranks had finished their part); rank 0 merges the
shards, in sample order, checking each is still this run's, into one pattern set. A shard's
scores depend only on its samples (batches are formed inside a shard), so the result does
not depend on the number of processes or on interruptions.
"""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from tqdm.auto import tqdm

from headprint.errors import HeadprintError
from headprint.io import atomic_write_with
from headprint.models.architecture import attention_layout
from headprint.patterns.batching import length_grouped_batches
from headprint.patterns.scoring import LossScaling, Method, score_batch

__all__ = ["ShardPlan", "ShardMismatchError", "score_samples"]

log = logging.getLogger(__name__)


class ShardMismatchError(HeadprintError, RuntimeError):
    """A shard file changed under a running run (another process wrote into its folder)."""


@dataclass
class ShardPlan:
    """Where shard files live and which shards this process computes.

    ``folder`` None means no shard files (in-memory use, e.g. tracking during training).
    Each shard file records what it was made from in its safetensors metadata: the run key
    (every setting that changes the numbers, and the model's and data's fingerprints), the
    shard size, its index and its sample ids. A shard is reused only if all four match, so
    a resume with another ``--shard-size``, other data or other settings recomputes.
    """

    folder: Path | None = None
    shard_size: int = 256
    rank: int = 0
    world_size: int = 1
    key: str = ""

    def shard_path(self, index: int) -> Path:
        assert self.folder is not None
        return self.folder / f"shard-{index:05d}.safetensors"

    def _metadata(self, index: int, ids: list[str]) -> dict[str, str]:
        return {"format": "headprint-shard", "run_key": self.key,
                "shard_size": str(self.shard_size), "index": str(index),
                "sample_ids": json.dumps(ids)}

    def _matches(self, path: Path, index: int, ids: list[str]) -> bool:
        """Whether ``path`` holds shard ``index`` of this run (header only, no tensor read)."""
        try:
            with safe_open(str(path), framework="pt") as handle:
                metadata = handle.metadata() or {}
                rows = handle.get_slice("per_sample").get_shape()[0]
        except Exception:  # unreadable or truncated (a write killed mid-way): not ours
            return False
        return metadata == self._metadata(index, ids) and rows == len(ids)

    def prepare(self, shard_ids: list[list[str]]) -> list[int]:
        """Create the folder, keep the shards of this run, delete everything else.

        Rank 0 deletes stale files (shards of another run or shard size, shards past the
        end, temporary files of killed writes) before any rank looks; then every rank lists
        the same finished shards. Returns the indices of finished shards.
        """
        if self.folder is None:
            return []
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.rank == 0:
            stale = 0
            for path in self.folder.iterdir():
                index = _shard_index(path.name)
                ours = index is not None and index < len(shard_ids) and self._matches(
                    path, index, shard_ids[index])
                if not ours:
                    path.unlink()
                    stale += 1
            if stale:
                log.info("removed %d stale file(s) (another run, shard size or a killed write) "
                         "from %s", stale, self.folder)
        _barrier(self.world_size)  # no rank looks for finished shards before the clean-up
        return [i for i in range(len(shard_ids)) if self.shard_path(i).exists()]

    def assign(self, n_shards: int, done: list[int]) -> list[int]:
        """This rank's shards: the unfinished ones, dealt round-robin over the ranks.

        Every rank lists the folder, then all meet at a barrier before any computes, so all
        ranks see the same finished set and agree on the deal.
        """
        pending = [i for i in range(n_shards) if i not in set(done)]
        _barrier(self.world_size)
        return pending[self.rank::self.world_size]

    def save(self, index: int, scores: torch.Tensor, ids: list[str]) -> None:
        atomic_write_with(self.shard_path(index), lambda tmp: save_file(
            {"per_sample": scores}, tmp, metadata=self._metadata(index, ids)))

    def load(self, index: int, ids: list[str]) -> torch.Tensor:
        """Shard ``index``'s scores, after checking it is still this run's shard.

        Raises:
            ShardMismatchError: the file is missing or was made by another run.
        """
        path = self.shard_path(index)
        if not path.exists() or not self._matches(path, index, ids):
            raise ShardMismatchError(
                f"{path} is missing or was written by another run while this one was "
                f"running; nothing was saved. Make sure one run at a time writes "
                f"{self.folder.parent} and run the command again")
        return load_file(str(path))["per_sample"]


def _shard_index(name: str) -> int | None:
    stem = name.removeprefix("shard-").removesuffix(".safetensors")
    if name.startswith("shard-") and name.endswith(".safetensors") and stem.isdigit():
        return int(stem)
    return None


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
    n_shards = max(1, -(-len(samples) // plan.shard_size))
    ids_all = ([str(i) for i in sample_ids] if sample_ids is not None
               else [f"#{i}" for i in range(len(samples))])
    if len(ids_all) != len(samples):
        raise ValueError(f"{len(ids_all)} sample ids for {len(samples)} samples")
    bounds = [(i * plan.shard_size, min(len(samples), (i + 1) * plan.shard_size))
              for i in range(n_shards)]
    shard_ids = [ids_all[lo:hi] for lo, hi in bounds]
    done = plan.prepare(shard_ids)
    if done and plan.rank == 0:
        log.info("resuming: %d of %d shards done (in %s)", len(done), n_shards, plan.folder)
    layout = attention_layout(model)
    was_training = model.training
    model.eval()  # dropout off: scores are a property of the model, not of a random mask
    results: dict[int, torch.Tensor] = {}
    todo = plan.assign(n_shards, done)  # shards finished by an interrupted run are skipped
    total = sum(hi - lo for lo, hi in (bounds[i] for i in todo))
    bar = tqdm(total=total, unit="sample", desc=description, disable=not progress or total == 0,
               dynamic_ncols=True)
    started = time.perf_counter()
    try:
        for index in todo:
            lo, hi = bounds[index]
            shard = samples[lo:hi]
            ids = list(sample_ids[lo:hi]) if sample_ids is not None else None
            scores = torch.empty(hi - lo, layout.num_layers, layout.num_heads)
            for batch in length_grouped_batches(shard, batch_size, pad_id):
                scores[batch.indices] = score_batch(model, layout, batch, method, loss, ids)
                bar.update(len(batch.indices))
            if plan.folder is not None:
                plan.save(index, scores, shard_ids[index])
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
    parts = [results[i] if i in results else plan.load(i, shard_ids[i]) for i in range(n_shards)]
    merged = torch.cat(parts, dim=0)
    if merged.shape[0] != len(samples):  # a bug, not bad input: the shards above are checked
        raise AssertionError(f"merged {merged.shape[0]} rows for {len(samples)} samples")
    return merged
