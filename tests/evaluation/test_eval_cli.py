"""``headprint eval`` end to end on a tiny model: lm-eval runs the in-memory model offline."""
from __future__ import annotations

import json

from headprint.cli import main
from headprint.evaluation import evaluate
from headprint.models import load_model


def test_eval_command_writes_results(eval_model_dir, tmp_path, capsys):
    out = tmp_path / "eval"
    code = main(["eval", "--model", str(eval_model_dir), "--task", "gsm8k", "arc-easy",
                 "--limit", "3", "--max-gen-toks", "4", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "| gsm8k | test | gsm8k | 3 |" in printed
    results = json.loads((out / "results.json").read_text())
    assert set(results["tasks"]) == {"gsm8k", "arc-easy"}
    for entry in results["tasks"].values():
        assert entry["n"] == 3 and 0.0 <= entry["accuracy"] <= 1.0
    assert results["model_fingerprint"].startswith("sha256:")
    assert results["settings"]["decoding"] == "greedy"
    lines = (out / "samples" / "arc-easy.jsonl").read_text().splitlines()
    assert len(lines) == 3 and "loglikelihoods" in json.loads(lines[0])
    assert (out / "results.md").read_text().startswith("Model:")


def test_evaluate_restores_train_mode(eval_model_dir):
    loaded = load_model(str(eval_model_dir), freeze=False)
    loaded.model.train()
    accuracy = evaluate(loaded, "winogrande", limit=2)
    assert set(accuracy) == {"winogrande"} and loaded.model.training


def test_default_out_sits_beside_a_local_model(tmp_path, monkeypatch):
    from headprint.evaluation.commands import default_out

    final = tmp_path / "R" / "final"
    final.mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert default_out(str(final)) == str(tmp_path / "R" / "eval-final")
    assert default_out("R/final") == str(tmp_path / "R" / "eval-final")
    # a name that is not a folder here (built-in or hub id) stays in the current folder
    assert default_out("smollm2-135m") == "eval-smollm2-135m"
    assert default_out("HuggingFaceTB/SmolLM2-135M") == "eval-SmolLM2-135M"
