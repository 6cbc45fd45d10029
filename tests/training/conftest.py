"""Shared fixtures: a tiny model folder and small data files (built once per session)."""
from __future__ import annotations

import json
import os

import pytest

from tests.training.tiny import gsm8k_like_rows, save_tiny_model

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    return save_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="session")
def rows_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "rows.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in gsm8k_like_rows(16)))
    return path


@pytest.fixture(scope="session")
def messages_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "chat.jsonl"
    rows = [{"id": f"chat-{i}", "messages": [
        {"role": "system", "content": "You add numbers."},
        {"role": "user", "content": f"{i} plus {i}?"},
        {"role": "assistant", "content": f"{2 * i}."},
        {"role": "user", "content": "And doubled?"},
        {"role": "assistant", "content": f"{4 * i}."}]} for i in range(8)]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path
