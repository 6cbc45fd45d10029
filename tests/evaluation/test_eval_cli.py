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


def test_builtin_model_without_out_is_refused(tmp_path, monkeypatch, capsys):
    """A built-in or hub name has no folder to sit beside: --out is required, and nothing is
    written into the current folder."""
    monkeypatch.chdir(tmp_path)
    for model in ("smollm2-135m", "HuggingFaceTB/SmolLM2-135M"):
        assert main(["eval", "--model", model, "--task", "gsm8k", "--limit", "1"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("headprint eval: error:") and "--out" in err and model in err
        assert len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_second_eval_keeps_the_first_tasks_results(eval_model_dir, tmp_path, capsys):
    """Two runs into one folder (here the default one beside the model): the second task's
    results join the first's instead of replacing them."""
    args = ["eval", "--model", str(eval_model_dir), "--limit", "2", "--max-gen-toks", "4"]
    assert main([*args, "--task", "arc-easy"]) == 0
    out = eval_model_dir.parent / f"eval-{eval_model_dir.name}"
    first = json.loads((out / "results.json").read_text())["tasks"]["arc-easy"]
    assert main([*args, "--task", "winogrande"]) == 0
    results = json.loads((out / "results.json").read_text())
    assert set(results["tasks"]) == {"arc-easy", "winogrande"}
    assert results["tasks"]["arc-easy"] == first
    assert results["config"]["tasks"] == ["arc-easy", "winogrande"]
    assert {p.name for p in (out / "samples").iterdir()} == {"arc-easy.jsonl",
                                                            "winogrande.jsonl"}
    markdown = (out / "results.md").read_text()
    assert "| arc-easy |" in markdown and "| winogrande |" in markdown
    # Other settings would mix incomparable numbers: refused, the results kept.
    before = (out / "results.json").read_text()
    assert main([*args[:-4], "--limit", "3", "--task", "winogrande"]) == 2
    err = capsys.readouterr().err
    assert "results.json" in err and "limit" in err
    assert (out / "results.json").read_text() == before
