"""Bad settings, too little data, and run folders that hold other runs; resuming a run."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from transformers import TrainerCallback

from headprint.cli import main
from headprint.training import (ConfigError, DatasetTooSmallError, RunConflictError,
                                SFTConfig, run_sft)

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("settings, message", [
    (dict(lr=0.0), "learning rate"), (dict(lr=5.0), "learning rate"),
    (dict(max_steps=0), "max_steps"), (dict(epochs=0), "epochs"),
    (dict(batch_size=0), "batch_size"), (dict(save_at=[-1]), "save_at"),
    (dict(max_steps=4, save_at=[0, 8]), "beyond max_steps"),
    (dict(track_method="grad"), "unknown track_method 'grad'; choose one of paper, abs"),
    (dict(max_length=4), "max_length must be at least 8, got 4"),
    (dict(save_steps=0), "save_steps must be at least 1, got 0"),
    (dict(format="xml"), "unknown format 'xml'; choose one of auto, chat, raw"),
])
def test_settings_out_of_range(settings, message):
    with pytest.raises(ConfigError, match=message):
        SFTConfig(**settings)


def test_config_file_and_unknown_keys(tmp_path):
    paper = SFTConfig.from_file(REPO / "configs" / "paper.yaml", model="m", data="gsm8k")
    assert (paper.batch_size, paper.grad_accum, paper.max_length, paper.lr, paper.bf16,
            paper.lora) == (4, 4, 1024, 1e-6, True, False)
    (tmp_path / "bad.yaml").write_text("learning_rate: 0.1\n")
    with pytest.raises(ConfigError, match="unknown settings \\['learning_rate'\\]"):
        SFTConfig.from_file(tmp_path / "bad.yaml")


def _config(tiny_model_dir, rows_file, **overrides):
    settings = dict(model=str(tiny_model_dir), data=str(rows_file), max_steps=6, lr=1e-3,
                    batch_size=4, max_length=64)
    return SFTConfig(**{**settings, **overrides})


def test_dataset_smaller_than_one_batch(tiny_model_dir, rows_file, tmp_path):
    with pytest.raises(DatasetTooSmallError, match="fewer than one optimizer step"):
        run_sft(_config(tiny_model_dir, rows_file, limit=3), tmp_path / "run", progress=False)
    with pytest.raises(DatasetTooSmallError):
        run_sft(_config(tiny_model_dir, rows_file, batch_size=4, grad_accum=8),
                tmp_path / "run", progress=False)
    assert not (tmp_path / "run").exists()


def test_save_steps_beyond_the_run(tiny_model_dir, rows_file, tmp_path):
    with pytest.raises(ConfigError, match="beyond the run's 4 optimizer steps"):
        run_sft(_config(tiny_model_dir, rows_file, max_steps=None, save_at=[0, 6]),
                tmp_path / "run", progress=False)


class _Crash(Exception):
    pass


class CrashAt(TrainerCallback):
    """Simulates a killed run: raises after optimizer step ``step`` (its save done)."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == self.step + 1:
            raise _Crash(f"killed at step {state.global_step}")
        return control


def test_refuses_other_runs_and_resumes_unfinished_one(tiny_model_dir, rows_file, tmp_path):
    config = _config(tiny_model_dir, rows_file, save_at=[2, 4], track=["gsm8k"],
                     track_limit=1, max_length=256)
    # Tracking does not change training (test_sft), so the reference runs without it.
    untracked = _config(tiny_model_dir, rows_file, save_at=[2, 4], max_length=256)
    reference = run_sft(untracked, tmp_path / "reference", progress=False)

    out = tmp_path / "run"
    with pytest.raises(_Crash):
        run_sft(config, out, progress=False, callbacks=[CrashAt(4)])
    assert json.loads((out / "run.json").read_text())["status"] == "running"
    assert (out / "checkpoint-4" / "optimizer.pt").exists()
    assert not (out / "checkpoint-2" / "optimizer.pt").exists()  # only the newest keeps it

    other = _config(tiny_model_dir, rows_file, save_at=[2, 4], lr=2e-3, max_length=256)
    with pytest.raises(RunConflictError, match=r"different run \(lr: 0.001 -> 0.002\)"):
        run_sft(other, out, progress=False)
    with pytest.raises(RunConflictError, match="pass --resume"):
        run_sft(config, out, progress=False)

    resumed = run_sft(config, out, resume=True, progress=False)
    assert resumed.steps == 6 and resumed.tracked == {"gsm8k": [0, 2, 4, 6]}
    a, b = load_file(str(reference.final / "model.safetensors")), \
        load_file(str(resumed.final / "model.safetensors"))
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)
    assert [e["step"] for e in resumed.losses] == list(range(1, 7))
    again = run_sft(config, out, progress=False)  # complete: nothing to do
    assert again.steps == 6


def test_tracked_task_that_does_not_fit(tiny_model_dir, rows_file, tmp_path):
    with pytest.raises(ConfigError, match="tracked task gsm8k: no sample"):
        run_sft(_config(tiny_model_dir, rows_file, track=["gsm8k"], track_limit=2,
                        max_length=16, format="raw"), tmp_path / "run", progress=False)


def test_not_a_run_folder(tiny_model_dir, rows_file, tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "notes.txt").write_text("mine")
    with pytest.raises(RunConflictError, match="not a headprint run"):
        run_sft(_config(tiny_model_dir, rows_file), tmp_path / "run", progress=False)


def test_cli_reports_bad_input(tiny_model_dir, rows_file, tmp_path, capsys):
    code = main(["sft", "--model", str(tiny_model_dir), "--data", str(rows_file),
                 "--lr", "3", "--out", str(tmp_path / "run")])
    assert code == 2 and "learning rate must be in (0, 1]" in capsys.readouterr().err
    code = main(["eval", "--model", str(tiny_model_dir), "--task", "pycode",
                 "--out", str(tmp_path / "eval")])
    err = capsys.readouterr().err
    assert code == 2 and "no evaluation recipe" in err and "gsm8k" in err
