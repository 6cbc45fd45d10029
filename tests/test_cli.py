"""``headprint patterns`` end to end on a tiny model folder, and its errors on bad input."""
from __future__ import annotations

import json

import pytest
import torch

from headprint.cli import main
from headprint.patterns.artifact import PatternSet


@pytest.fixture
def rows_file(tmp_path):
    path = tmp_path / "rows.jsonl"
    rows = [{"prompt": f"Q{i}: what is {i} plus {i}?", "completion": f" {2 * i}"}
            for i in range(6)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _patterns(*args: str) -> int:
    return main(["patterns", *args])


def test_patterns_writes_artifact_and_names_it(tiny_model_dir, rows_file, tmp_path, capsys):
    out = tmp_path / "out"
    assert _patterns("--model", str(tiny_model_dir), "--data", str(rows_file),
                     "--per-sample", "--batch-size", "4", "--out", str(out)) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert str(out) in last and "patterns.safetensors" in last
    result = PatternSet.load(out)
    assert result.per_sample.shape == (6, 2, 4)
    assert torch.allclose(result.mean, result.per_sample.mean(0))
    manifest = result.manifest
    assert manifest["sample_ids"] == [f"rows.jsonl:{i + 1}" for i in range(6)]
    assert manifest["data"]["kind"] == "file"
    assert manifest["model_fingerprint"].startswith("sha256:")
    assert not (out / ".shards").exists()
    # The same command again finds the same artifact and does nothing.
    before = (out / "manifest.json").read_text()
    assert _patterns("--model", str(tiny_model_dir), "--data", str(rows_file),
                     "--per-sample", "--batch-size", "4", "--out", str(out)) == 0
    assert (out / "manifest.json").read_text() == before


def test_different_artifact_refused_unless_overwrite(tiny_model_dir, rows_file, tmp_path,
                                                     capsys):
    out = tmp_path / "out"
    args = ["--model", str(tiny_model_dir), "--data", str(rows_file), "--out", str(out)]
    assert _patterns(*args) == 0
    assert _patterns(*args, "--loss", "batch") == 1
    assert "--overwrite" in capsys.readouterr().err
    assert PatternSet.load(out).manifest["loss"] == "sample"  # nothing lost
    assert _patterns(*args, "--loss", "batch", "--overwrite") == 0
    assert PatternSet.load(out).manifest["loss"] == "batch"


def test_bad_inputs_name_the_problem(tiny_model_dir, tmp_path, capsys):
    model = ["--model", str(tiny_model_dir), "--out", str(tmp_path / "o")]
    assert _patterns(*model, "--data", "no-such-task") == 1
    err = capsys.readouterr().err
    assert "no-such-task" in err and "gsm8k" in err and "hellaswag" in err
    assert _patterns(*model, "--data", str(tmp_path / "missing.jsonl")) == 1
    assert "missing.jsonl" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "a", "completion": "b"}\n{"prompt": "c"}\n')
    assert _patterns(*model, "--data", str(bad)) == 1
    err = capsys.readouterr().err
    assert "bad.jsonl" in err and "2" in err and "completion" in err
    assert _patterns(*model, "--data", str(bad), "--skip-bad") == 0
    assert PatternSet.load(tmp_path / "o").manifest["n_skipped"] == 1
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert _patterns("--model", str(tiny_model_dir), "--out", str(tmp_path / "e"),
                     "--data", str(empty)) == 1
    assert "empty" in capsys.readouterr().err.lower()
    assert _patterns("--model", "no-such-model", "--data", "gsm8k",
                     "--out", str(tmp_path / "m")) == 1
    assert "smollm2-135m" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


def test_fully_truncated_samples_excluded_and_counted(tiny_model_dir, tmp_path):
    path = tmp_path / "long.jsonl"
    rows = [{"prompt": "word " * 40, "completion": " answer"},
            {"prompt": "short", "completion": " answer"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "o"
    # raw: SmolLM2's chat template alone (its default system turn) is longer than 16 tokens
    assert _patterns("--model", str(tiny_model_dir), "--data", str(path), "--format", "raw",
                     "--max-length", "16", "--per-sample", "--out", str(out)) == 0
    manifest = PatternSet.load(out).manifest
    assert manifest["format"] == "raw" and manifest["n_samples"] == 1 and manifest["n_truncated_out"] == 1
    assert manifest["sample_ids"] == ["long.jsonl:2"]
