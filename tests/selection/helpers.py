"""Pattern sets built in memory for selection tests (no model needed)."""
from __future__ import annotations

import torch

from headprint.patterns.artifact import PatternSet

__all__ = ["pattern_set", "planted_pool"]


def pattern_set(mean, ids=None, per_sample=None, model="tiny", fingerprint="sha256:aaaa",
                name="set", method="paper"):
    ids = ids if ids is not None else (
        [f"r{i}" for i in range(per_sample.shape[0])] if per_sample is not None else [])
    manifest = {"model": model, "model_fingerprint": fingerprint, "method": method,
                "loss": "sample", "name": name, "data": {"source": name},
                "n_samples": len(ids), "sample_ids": list(ids)}
    return PatternSet(mean=mean, manifest=manifest, per_sample=per_sample)


def planted_pool(n_pool=40, n_planted=5, shape=(4, 3), seed=0):
    """A target pattern and a pool whose rows ``p0…`` correlate with it by construction.

    Planted row ``p{i}`` is the target plus noise of growing size (so p0 ranks first);
    every other row ``x{j}`` is independent noise.
    """
    gen = torch.Generator().manual_seed(seed)
    target = torch.rand(shape, generator=gen) + 0.5
    rows, ids = [], []
    for i in range(n_planted):
        rows.append(target + 0.02 * (i + 1) * torch.randn(shape, generator=gen))
        ids.append(f"p{i}")
    for j in range(n_pool - n_planted):
        rows.append(torch.rand(shape, generator=gen) + 0.5)
        ids.append(f"x{j}")
    # shuffle so that planted rows are not simply the first ones
    perm = torch.randperm(n_pool, generator=gen)
    per_sample = torch.stack(rows)[perm]
    ids = [ids[int(i)] for i in perm]
    return (pattern_set(target, ids=["t0", "t1"], name="target"),
            pattern_set(per_sample.mean(0), ids=ids, per_sample=per_sample, name="pool"))
