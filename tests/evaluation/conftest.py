"""A tiny model folder for evaluation tests (built once per session)."""
from __future__ import annotations

import os

import pytest

from tests.training.tiny import save_tiny_model

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def eval_model_dir(tmp_path_factory):
    return save_tiny_model(tmp_path_factory.mktemp("tiny-eval") / "model")
