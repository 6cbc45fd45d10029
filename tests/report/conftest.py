"""A synthetic run folder holding what the analysis commands write, for the report tests.

Built once per session: pattern sets (before/after SFT for four tasks, a tracking series),
then stats, compare, similarity, compose and track outputs made by the real commands.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from headprint.analysis.api import (run_compare, run_compose, run_similarity, run_stats,
                                    run_track)
from headprint.patterns.artifact import PatternSet

L, H, N = 8, 4, 16
TASKS = ("gsm8k", "code", "arc", "gsm8k-python")


def _set(per_sample: torch.Tensor, name: str, model: str, **extra) -> PatternSet:
    manifest = {
        "model": model, "model_fingerprint": f"sha256:{model}", "method": "paper",
        "loss": "sample", "data": {"source": name, "split": "test", "fingerprint": "f"},
        "split": "test", "n_samples": int(per_sample.shape[0]),
        "sample_ids": [f"{name}-{i}" for i in range(per_sample.shape[0])],
        "max_length": 256, "n_truncated": 0, "n_skipped": 0, "name": name, **extra}
    return PatternSet(per_sample.mean(0), manifest, per_sample)


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("run")
    rng = np.random.default_rng(0)
    base = rng.lognormal(0, 1, (L, H))
    deltas = {t: rng.normal(0, 0.5, (L, H)) for t in TASKS[:3]}
    deltas["gsm8k-python"] = 0.6 * deltas["gsm8k"] + 0.4 * deltas["code"]
    pats = {}
    for t, d in deltas.items():
        noise = rng.gamma(8, 1 / 8, (N, L, H))
        before = torch.from_numpy(base * noise).float()
        after = torch.from_numpy(np.clip(base + d, 0.01, None) * noise).float()
        pats[t] = (_set(before, t, "SmolLM2-135M").save(root / "patterns" / t / "before"),
                   _set(after, t, f"SmolLM2-135M-sft-{t}").save(root / "patterns" / t / "after"))
        for k in (0, 3, 9):
            stack = torch.from_numpy(np.clip(base + d * k / 9, 0.01, None) * noise).float()
            _set(stack, t, "SmolLM2-135M", task=t, step=k).save(
                root / "tracking" / t / f"step-{k}")
    opts = {"n_boot": 60}
    run_stats([p for pair in pats.values() for p in pair], root / "analysis" / "stats", **opts)
    run_compare(*pats["gsm8k"], root / "analysis" / "compare", **opts)
    run_similarity([pats[t] for t in TASKS], root / "analysis" / "similarity", names=TASKS)
    target = pats.pop("gsm8k-python")
    run_compose(target, pats, root / "analysis" / "compose", n_permutations=50, **opts)
    run_track(root, **opts)
    return root
