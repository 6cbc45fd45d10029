"""Fixtures for the analysis tests (helpers live in ``analysis_synthetic``)."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from .analysis_synthetic import build_set


@pytest.fixture
def save_set(tmp_path: Path):
    """save_set(folder_name, mean, per_sample=None, **manifest) -> folder Path."""

    def _save(folder: str, mean: torch.Tensor, per_sample: torch.Tensor | None = None,
              **kwargs) -> Path:
        ps = build_set(mean, per_sample, **kwargs)
        if per_sample is not None:
            ps.mean = per_sample.mean(0)  # the artifact contract: mean of the samples
        return ps.save(tmp_path / folder)

    return _save
