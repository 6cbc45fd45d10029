"""``hp.compose``, ``hp.track`` and ``hp.validate`` on tiny random models: the numbers the
CLI writes (and independent arithmetic), typed results with ``to_dict``, ``plot``, HTML."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

import headprint as hp
from headprint.analysis.tables import jsonable
from headprint.cli import main
from tests.tiny_models import tiny_model, tiny_tokenizer

TASKS = ("target", "a", "b", "c")


def _rows(task: str, n: int = 4) -> list[dict]:
    """``n`` rows of words ``w2..w96``, different per task (a seeded draw)."""
    g = np.random.default_rng(sum(map(ord, task)))
    words = lambda k: " ".join(f"w{int(i)}" for i in g.integers(2, 97, k))  # noqa: E731
    return [{"id": f"{task}-{i}", "prompt": words(4), "completion": " " + words(5)}
            for i in range(n)]


def _tuned(scale: float, seed: int):
    """The base model (seed 0) with every matrix moved by ``scale`` of seeded noise: a
    stand-in for a fine-tuned copy."""
    model = tiny_model("llama", seed=0)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() > 1:
                p.add_(scale * torch.randn(p.shape, generator=g))
    return model


@pytest.fixture(scope="module")
def sets(tmp_path_factory):
    """``{(task, step): (PatternSet, folder)}``: steps 0 (base), 2 and 4 (moved 0.05, 0.15)."""
    root = tmp_path_factory.mktemp("api-extra")
    tok = tiny_tokenizer()
    models = {0: tiny_model("llama", seed=0), 2: _tuned(0.05, 1), 4: _tuned(0.15, 1)}
    out = {}
    for step, model in models.items():
        for task in TASKS:
            ps = hp.compute_patterns(model, tok, _rows(task), per_sample=True,
                                     progress=False, name=task)
            ps.manifest.update(task=task, step=step)
            out[task, step] = (ps, ps.save(root / "run" / "tracking" / task / f"step-{step}"))
    return out


def test_compose_equals_cli_and_least_squares(sets, tmp_path):
    folder = {t: (str(sets[t, 0][1]), str(sets[t, 4][1])) for t in TASKS}
    assert main(["compose", "--target", *folder["target"], "--basis",
                 *(f"{t}={folder[t][0]},{folder[t][1]}" for t in "abc"),
                 "--permutations", "30", "--draws", "10", "--n-boot", "20",
                 "--out", str(tmp_path / "c"), "--no-figures"]) == 0
    cli = json.loads((tmp_path / "c" / "compose.json").read_text())
    result = hp.compose((sets["target", 0][0], sets["target", 4][0]),
                        {t: (sets[t, 0][0], sets[t, 4][0]) for t in "abc"},
                        n_permutations=30, n_draws=10, n_boot=20)
    mine = jsonable(result.to_dict())
    assert result.full["ci"] is not None and len(result.best) == 3  # every pair of a, b, c
    for key in ("full", "best", "subsets", "n_possible_subsets"):
        assert mine[key] == cli[key], key
    # Independent: least squares of Δtarget on the three Δbasis over the L·H heads.
    delta = {t: (sets[t, 4][0].mean - sets[t, 0][0].mean).double().numpy().ravel()
             for t in TASKS}
    x = np.stack([delta[t] for t in "abc"], axis=1)
    beta, *_ = np.linalg.lstsq(x, delta["target"], rcond=None)
    resid = delta["target"] - x @ beta
    r2 = 1 - resid @ resid / ((delta["target"] - delta["target"].mean()) ** 2).sum()
    assert result.full["r2"] == pytest.approx(r2, rel=1e-9)
    assert [result.full["coefficients"][t] for t in "abc"] == pytest.approx(beta, rel=1e-9)
    assert isinstance(result.plot(), Figure)
    html = result._repr_html_()
    assert "all basic tasks" in html and " + ".join(result.best[0]["basis"]) in html
    json.dumps(mine)


def test_track_equals_cli_and_pearson(sets, tmp_path):
    run = sets["target", 0][1].parents[2]  # <root>/run
    assert main(["track", str(run), "--n-boot", "20", "--out", str(tmp_path / "t"),
                 "--no-figures"]) == 0
    cli = json.loads((tmp_path / "t" / "track.json").read_text())
    in_memory = hp.track({t: {k: sets[t, k][0] for k in (4, 0, 2)} for t in TASKS}, n_boot=20)
    from_folder = hp.track(run, n_boot=20)
    for result in (in_memory, from_folder):
        assert jsonable(result.to_dict())["series"] == cli["series"]
    series = in_memory.series["a"]
    assert series["steps"] == [0, 2, 4] and series["corr"][0] == pytest.approx(1.0)
    x0, x4 = (sets["a", k][0].mean.double().numpy().ravel() for k in (0, 4))
    assert series["corr"][2] == pytest.approx(np.corrcoef(x0, x4)[0, 1], rel=1e-9)
    assert series["mse"][2] == pytest.approx(((x4 - x0) ** 2).mean(), rel=1e-9)
    assert series["ci"][2]["corr"].low <= series["ci"][2]["corr"].high
    assert isinstance(in_memory.plot(), Figure)
    assert "Pearson r vs step 0" in in_memory._repr_html_()
    json.dumps(jsonable(in_memory.to_dict()))


def test_validate_equals_cli(tiny_gsm8k_patterns, tiny_model_dir, tmp_path):
    assert main(["validate", str(tiny_gsm8k_patterns), "--out", str(tmp_path / "v"), "--limit", "3",
                 "--seeds", "2"]) == 0
    cli = json.loads((tmp_path / "v" / "validate.json").read_text())
    loaded = hp.load_model(str(tiny_model_dir))
    result = hp.validate(loaded, pattern_set=tiny_gsm8k_patterns, limit=3, seeds=2, progress=False)
    mine = jsonable(result.to_dict())
    assert mine["sample_ids"] == cli["sample_ids"] and mine["ks"] == cli["ks"] == [0, 1, 2, 4, 8]
    for key in ("curves", "summary", "tests"):
        assert mine[key] == cli[key], key
    # Independent: with every head ablated the top-first and random curves meet.
    assert result.curves["top"][-1] == pytest.approx(result.curves["random_mean"][-1])
    assert isinstance(result.plot(), Figure)
    assert "Causal validation (zero ablation, 3 rows" in result._repr_html_()
    json.dumps(mine)


def test_validate_takes_the_pattern_sets_model_and_refuses_without_a_set(tiny_gsm8k_patterns):
    with pytest.raises(hp.HeadprintError, match="needs a pattern set"):
        hp.validate(None)
    ps = hp.load_pattern_set(tiny_gsm8k_patterns)
    result = hp.validate(None, pattern_set=ps, limit=2, seeds=1, ks=[1], progress=False)
    assert result.provenance["model_fingerprint"] == ps.manifest["model_fingerprint"]
