"""The file-level commands: tables, figures, provenance, and errors that name their inputs."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from headprint.analysis import pearson
from headprint.analysis.api import (run_compare, run_compose, run_similarity, run_stats,
                                    run_track)
from headprint.patterns.artifact import PatternSetError

from .analysis_synthetic import build_set, noisy_stack, run_cli

L, H, N = 6, 4, 24


def strict_json(path: Path) -> dict:
    """Parse like a browser would: NaN/Infinity are not JSON."""
    def reject(token: str) -> None:
        raise AssertionError(f"{path} contains {token}")

    return json.loads(path.read_text(encoding="utf-8"), parse_constant=reject)


@pytest.fixture
def base() -> torch.Tensor:
    return torch.from_numpy(np.random.default_rng(0).lognormal(0, 1, (L, H))).float()


def test_stats_table_with_intervals_and_undefined_values(save_set, base, tmp_path):
    rich = save_set("gsm8k", base, noisy_stack(base, N, seed=1), name="gsm8k")
    flat = save_set("flat", torch.full((L, H), 0.5), name="flat")  # no per-sample patterns
    result = run_stats([rich, flat], tmp_path / "out", n_boot=100, seed=3)
    out = tmp_path / "out"
    data = strict_json(out / "stats.json")
    assert data["headprint"]["command"] == "stats" and data["params"]["seed"] == 3
    rows = {r["label"]: r for r in data["rows"]}
    assert rows["gsm8k"]["ci"]["gini"]["low"] <= rows["gsm8k"]["gini"]
    assert rows["flat"]["kurtosis"] is None and "variance 0" in rows["flat"]["notes"]["kurtosis"]
    assert data["inputs"][0]["model"] == "tiny-llama" and data["inputs"][0]["method"] == "paper"
    md = (out / "stats.md").read_text()
    assert "| flat |" in md and "n/a" in md and "kurtosis undefined" in md
    assert "flat: no per-sample patterns" in md
    assert {"heatmap-gsm8k.png", "heatmap-flat.png"} <= set(result["files"])
    assert all((out / f).stat().st_size > 1000 for f in result["files"] if f.endswith(".png"))


def test_stats_default_out_is_next_to_inputs(save_set, base, tmp_path):
    folder = save_set("patterns/gsm8k", base, name="gsm8k")
    run_stats([folder], figures=False)
    assert (tmp_path / "patterns" / "analysis" / "stats" / "stats.md").exists()


def test_compare_via_cli(save_set, base, tmp_path, capsys):
    ids = [f"q{i}" for i in range(N)]
    before = noisy_stack(base, N, seed=1)
    a = save_set("a", base, before, name="gsm8k", sample_ids=ids)
    b = save_set("b", base, before * 1.5 + 0.1, name="gsm8k", model="tiny-sft",
                 sample_ids=ids)
    assert run_cli(["compare", str(a), str(b), "--out", str(tmp_path / "cmp"), "--n-boot", "50",
                 "--top", "3"]) == 0
    data = strict_json(tmp_path / "cmp" / "compare.json")
    expected = pearson(before.mean(0), (before * 1.5 + 0.1).mean(0))
    assert data["summary"]["corr"] == pytest.approx(expected, abs=1e-6)
    assert data["summary"]["paired_bootstrap"] is True and len(data["top_changes"]) == 3
    md = (tmp_path / "cmp" / "compare.md").read_text()
    assert "## Top 3 changed heads" in md and "tiny-sft" in md
    assert "wrote" in capsys.readouterr().out


def test_different_models_are_refused_naming_both(save_set, base, tmp_path, capsys):
    a = save_set("smol", base, name="gsm8k", model="SmolLM2-135M")
    b = save_set("gemma", torch.rand(3, 5), name="gsm8k", model="gemma-3-270m")
    with pytest.raises(PatternSetError, match="SmolLM2-135M.*gemma-3-270m"):
        run_compare(a, b, tmp_path / "x")
    assert run_cli(["compare", str(a), str(b)]) == 1
    err = capsys.readouterr().err
    for needle in ("SmolLM2-135M", "gemma-3-270m", str(a), str(b), "different shapes"):
        assert needle in err
    with pytest.raises(PatternSetError, match="gemma-3-270m"):
        run_similarity([a, b], tmp_path / "y")
    with pytest.raises(PatternSetError, match="gemma-3-270m"):
        run_compose((a, a), {"code": (a, b)}, tmp_path / "z")


def test_similarity_of_patterns_and_of_change_rates(save_set, base, tmp_path):
    g = torch.Generator().manual_seed(0)
    folders = {t: (save_set(f"{t}/before", base, name=t),
                   save_set(f"{t}/after", base + torch.rand(L, H, generator=g), name=t))
               for t in ("gsm8k", "math", "arc")}
    res = run_similarity([f[1] for f in folders.values()], tmp_path / "pat")
    assert sorted(res["names"]) == ["arc", "gsm8k", "math"]
    assert np.allclose(np.diag(res["corr"]), 1.0)
    res = run_similarity(list(folders.values()), tmp_path / "rate", names=list(folders))
    assert res["params"]["of"] == "change-rate" and len(res["inputs"]) == 6
    md = (tmp_path / "rate" / "similarity.md").read_text()
    assert "change rates" in md and "## Pearson r" in md
    with pytest.raises(ValueError, match="at least two tasks, got 1 \\(gsm8k\\)"):
        run_similarity([folders["gsm8k"][1]], tmp_path / "one")
    with pytest.raises(ValueError, match="not a mix"):
        run_similarity([folders["gsm8k"][1], folders["math"]], tmp_path / "mix")


def test_compose_recovers_planted_mixture(save_set, base, tmp_path):
    ids = [f"q{i}" for i in range(N)]
    g = torch.Generator().manual_seed(1)
    deltas = {t: torch.randn(L, H, generator=g) for t in ("gsm8k", "code", "arc", "hellaswag")}
    deltas["target"] = 0.6 * deltas["gsm8k"] + 0.4 * deltas["code"]
    pairs = {}
    for t, d in deltas.items():
        stack = noisy_stack(base, N, seed=len(t))
        pairs[t] = (save_set(f"{t}/before", base, stack, name=t, sample_ids=ids),
                    save_set(f"{t}/after", base, stack + d, name=t, sample_ids=ids))
    target = pairs.pop("target")
    args = ["compose", "--target", *map(str, target), "--out", str(tmp_path / "c"),
            "--n-boot", "50", "--permutations", "100", "--seed", "7", "--basis",
            *(f"{t}={b},{a}" for t, (b, a) in pairs.items())]
    assert run_cli(args) == 0
    data = strict_json(tmp_path / "c" / "compose.json")
    best = data["best"][0]
    assert set(best["basis"]) == {"gsm8k", "code"} and best["r2"] == pytest.approx(1.0)
    assert best["coefficients"]["gsm8k"] == pytest.approx(0.6, abs=1e-5)
    assert abs(best["shuffled_heads"]["null_mean"]) < 0.1 and best["shuffled_heads"]["seed"] == 7
    assert best["random_tasks"]["exhaustive"] and best["random_tasks"]["null_max"] < 0.9
    # the point value comes from the float32 mean, the interval from the samples
    assert best["ci"]["low"] - 1e-6 <= best["r2"] <= best["ci"]["high"] + 1e-6
    assert best["ci"]["warning"] is None
    assert data["n_possible_subsets"] == 6 and data["params"]["seed"] == 7
    assert {"r2-subsets.png", "change-target.png"} <= set(data["files"])
    md = (tmp_path / "c" / "compose.md").read_text()
    assert "## Best subsets" in md and "gsm8k + code" in md
    # both fits of all four tasks: the planted β are positive, so NNLS loses nothing
    both = data["full"]["r2_by_fit"]
    assert both["least_squares"] == pytest.approx(1.0) and \
        both["nonnegative"] == pytest.approx(1.0, abs=1e-6)
    assert "with non-negative β (NNLS)" in md


def test_compose_needs_more_heads_than_regressors(save_set, tmp_path):
    small = {t: (save_set(f"{t}/b", torch.rand(1, 2), name=t),
                 save_set(f"{t}/a", torch.rand(1, 2), name=t)) for t in "xyzw"}
    target = small.pop("w")
    with pytest.raises(ValueError, match="more L·H entries than regressors: 2 entries for 3"):
        run_compose(target, small, tmp_path / "c", figures=False)
    with pytest.raises(ValueError, match="no subset size"):
        run_compose(target, {"x": small["x"]}, tmp_path / "c", k=2)


def test_non_finite_pattern_file_is_refused_with_its_path(save_set, base, tmp_path):
    bad = base.clone()
    bad[0, 0] = float("nan")
    folder = save_set("bad", bad, name="bad")
    with pytest.raises(PatternSetError, match=f"{folder}.*non-finite"):
        run_stats([folder], tmp_path / "o")


def make_tracking(root: Path, base: torch.Tensor, tasks=("gsm8k", "arc"), steps=(0, 2, 4)):
    ids = [f"q{i}" for i in range(N)]
    g = torch.Generator().manual_seed(2)
    for task in tasks:
        drift = torch.rand(L, H, generator=g)
        stack = noisy_stack(base, N, seed=3)
        for k in steps:
            per_sample = stack + drift * k / 4
            build_set(per_sample.mean(0), per_sample, name=task, task=task, step=k,
                      sample_ids=ids).save(root / "tracking" / task / f"step-{k}")


def test_track_run_folder(base, tmp_path):
    make_tracking(tmp_path / "run", base)
    (tmp_path / "run" / "tracking" / "arc" / "step-6").mkdir()  # still being written
    result = run_track(tmp_path / "run", n_boot=50)
    out = tmp_path / "run" / "analysis" / "track"
    data = strict_json(out / "track.json")
    assert data["series"]["gsm8k"]["steps"] == [0, 2, 4]
    corr = data["series"]["gsm8k"]["corr"]
    assert corr[0] == 1.0 and corr[2] < corr[1] < 1.0
    assert data["series"]["arc"]["mse"][0] == 0.0
    assert any("step-6" in n and "skipped" in n for n in data["notes"])
    assert result["files"][0] == "dynamics.png" and (out / "change-arc.png").exists()


def test_track_errors(base, tmp_path):
    make_tracking(tmp_path / "nozero", base, tasks=("gsm8k",), steps=(2, 4))
    with pytest.raises(ValueError, match="no step-0"):
        run_track(tmp_path / "nozero", figures=False)
    make_tracking(tmp_path / "liar", base, tasks=("gsm8k",), steps=(0, 2))
    step = tmp_path / "liar" / "tracking" / "gsm8k" / "step-2"
    manifest = json.loads((step / "manifest.json").read_text())
    manifest["step"] = 3
    (step / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(PatternSetError, match="folder says step 2 but manifest says step 3"):
        run_track(tmp_path / "liar", figures=False)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no tracking series"):
        run_track(tmp_path / "empty")


@pytest.mark.slow  # the real CLI imports every stage (transformers, peft): seconds
def test_real_cli_registers_commands_and_reports_errors(save_set, base, capsys):
    from headprint.cli import main

    a = save_set("smol", base, name="gsm8k", model="SmolLM2-135M")
    b = save_set("gemma", torch.rand(3, 5), name="gsm8k", model="gemma-3-270m")
    assert main(["compare", str(a), str(b)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("headprint compare: error:") and "gemma-3-270m" in err
    assert main(["stats", str(a), "--n-boot", "20", "--no-figures"]) == 0


def test_intervals_can_be_switched_off(save_set, base, tmp_path):
    folder = save_set("gsm8k", base, noisy_stack(base, N, seed=1), name="gsm8k")
    data = run_stats([folder], tmp_path / "o", n_boot=0, figures=False)
    assert data["rows"][0]["ci"] is None and data["notes"] == []
    assert "No bootstrap intervals" in (tmp_path / "o" / "stats.md").read_text()
    with pytest.raises(ValueError, match="n_boot >= 0"):
        run_stats([folder], tmp_path / "o", n_boot=-1)
    with pytest.raises(ValueError, match="ci_method"):
        run_stats([folder], tmp_path / "o", ci_method="bca")
