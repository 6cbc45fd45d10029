"""``headprint validate`` on a tiny model with SmolLM2's tokenizer and real GSM8K rows."""
from __future__ import annotations

import json

import pytest

from headprint.cli import main


def _error_lines(capsys) -> list[str]:
    """stderr's lines other than progress bars (model loading draws one)."""
    err = capsys.readouterr().err
    return [line for line in err.replace("\r", "\n").splitlines()
            if line.strip() and "it/s]" not in line and "%|" not in line]


def test_validate_writes_json_and_page(tiny_gsm8k_patterns, tmp_path):
    out = tmp_path / "v"
    assert main(["validate", str(tiny_gsm8k_patterns), "--out", str(out), "--limit", "3",
                 "--single-head", "--seeds", "2"]) == 0
    d = json.loads((out / "validate.json").read_text())
    manifest = json.loads((tiny_gsm8k_patterns / "manifest.json").read_text())
    assert d["ablation"] == "zero" and d["ks"] == [0, 1, 2, 4, 8]
    assert len(d["sample_ids"]) == 3 and not set(d["sample_ids"]) & set(manifest["sample_ids"])
    assert d["provenance"]["n_overlap"] == 0
    assert d["provenance"]["model_fingerprint"] == manifest["model_fingerprint"]
    assert d["provenance"]["pattern_set"]["run_key"] == manifest["run_key"]
    assert set(d["curves"]) >= {"top", "bottom", "random_mean", "random_sd"}
    assert d["single_head"]["vs_estimate"]["spearman"] is not None
    assert (out / "curves.png").exists() and (out / "single-head.png").exists()
    page = (out / "report.html").read_text()
    assert "Causal validation" in page and "curves.png" in page


def test_overlapping_rows_are_refused_unless_allowed(tiny_gsm8k_patterns, tmp_path, capsys):
    args = ["validate", str(tiny_gsm8k_patterns), "--data", "gsm8k", "--limit", "6", "--seeds", "1",
            "--ks", "1"]
    assert main(args + ["--out", str(tmp_path / "a")]) != 0
    err = _error_lines(capsys)
    assert len(err) == 1 and "4 of the 6 validation rows" in err[0]
    assert main(args + ["--out", str(tmp_path / "b"), "--allow-overlap"]) == 0
    d = json.loads((tmp_path / "b" / "validate.json").read_text())
    assert d["provenance"]["n_overlap"] == 4 and d["provenance"]["allow_overlap"] is True


def test_bad_input_is_one_clear_line(tiny_gsm8k_patterns, tmp_path, capsys, tiny_model_dir):
    import torch
    from transformers import AutoTokenizer, LlamaForCausalLM

    other = tmp_path / "other"
    torch.manual_seed(1)
    model = LlamaForCausalLM.from_pretrained(str(tiny_model_dir))
    with torch.no_grad():
        model.lm_head.weight.mul_(2)
    model.save_pretrained(other)
    AutoTokenizer.from_pretrained(str(tiny_model_dir)).save_pretrained(other)
    for extra, needle in (
            (["--model", str(other)], "fingerprint"),
            (["--ks", "9"], "k=9 is out of range"),
            (["--max-length", "8"], "has a response (target) token")):
        assert main(["validate", str(tiny_gsm8k_patterns), "--out", str(tmp_path / "x"),
                     "--limit", "2", *extra]) != 0
        err = _error_lines(capsys)
        assert len(err) == 1 and needle in err[0], err


def test_numbers_survive_a_failure_while_drawing(tiny_gsm8k_patterns, tmp_path, monkeypatch):
    """validate.json is written before the figures: a drawing failure loses no forward pass."""
    from headprint.report import validation_figures

    def broken(*args, **kwargs):
        raise OSError("disk full while drawing")

    monkeypatch.setattr(validation_figures, "plot_ablation_curves", broken)
    out = tmp_path / "v"
    with pytest.raises(OSError, match="disk full"):
        main(["validate", str(tiny_gsm8k_patterns), "--out", str(out), "--limit", "2", "--seeds", "1",
              "--ks", "1"])
    d = json.loads((out / "validate.json").read_text())
    assert d["ks"][:2] == [0, 1] and d["files"] == ["curves.png"] and len(d["sample_ids"]) == 2
    assert len(d["curves"]["top"]) == len(d["ks"]) and not (out / "curves.png").exists()
