"""``torchrun --nproc_per_node 2 -m headprint sft`` on CPU (gloo) equals one process with
the same global batch, and tracking works under data parallelism."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from safetensors.torch import load_file

from headprint.cli import main


def _sft_args(model, data, out, batch_size):
    return ["sft", "--model", str(model), "--data", str(data), "--max-steps", "4",
            "--lr", "1e-3", "--batch-size", str(batch_size), "--max-length", "256",
            "--save-at", "0,2", "--no-progress", "--out", str(out)]


@pytest.mark.slow
def test_two_processes_match_one(tiny_model_dir, rows_file, tmp_path):
    assert main(_sft_args(tiny_model_dir, rows_file, tmp_path / "one", 4)) == 0

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1",
           "TOKENIZERS_PARALLELISM": "false"}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               "--nproc_per_node", "2", "-m", "headprint",
               *_sft_args(tiny_model_dir, rows_file, tmp_path / "two", 2),
               "--track", "gsm8k", "--track-limit", "2"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]

    run = json.loads((tmp_path / "two" / "run.json").read_text())
    assert run["status"] == "complete" and run["world_size"] == 2
    assert run["global_batch"] == 4 and run["steps_done"] == 4
    assert run["tracking"]["steps"] == {"gsm8k": [0, 2, 4]}
    for folder in ("checkpoint-2", "final"):
        one = load_file(str(tmp_path / "one" / folder / "model.safetensors"))
        two = load_file(str(tmp_path / "two" / folder / "model.safetensors"))
        worst = max(float((one[k] - two[k]).abs().max()) for k in one)
        assert worst < 1e-5, f"{folder}: 2-process weights differ by {worst}"
    # Training moved the weights well beyond that tolerance (the comparison is not vacuous).
    base = load_file(str(tiny_model_dir / "model.safetensors"))
    final = load_file(str(tmp_path / "two" / "final" / "model.safetensors"))
    assert max(float((base[k] - final[k]).abs().max()) for k in base) > 1e-3
