"""Transfer experiment: the Mantel test, the matrix, and the experiment on Table 1's runs."""
from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pytest

from headprint.experiments.transfer import mantel, transfer_matrix


def _symmetric(k: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    m = rng.normal(size=(k, k))
    m = (m + m.T) / 2
    np.fill_diagonal(m, 1.0)
    return m


def test_mantel_exact_p_is_the_share_of_relabellings():
    b = _symmetric(4, 0)
    a = b.copy() * 3 + 1   # same structure: r = 1, only the identity reaches it
    test = mantel(a, b)
    assert test["exact"] and test["n_permutations"] == math.factorial(4)
    assert test["r"] == pytest.approx(1.0)
    assert test["p"] == pytest.approx(1 / 24)
    anti = mantel(-a, b)
    assert anti["r"] == pytest.approx(-1.0) and anti["p"] == pytest.approx(1.0)


def test_mantel_detects_structure_and_not_noise_with_asymmetric_transfer():
    k = 8  # 8! > 10,000: random permutations
    b = _symmetric(k, 1)
    rng = np.random.default_rng(2)
    a = b + 0.3 * rng.normal(size=(k, k))   # asymmetric, related to b
    related = mantel(a, b, method="spearman")
    assert not related["exact"] and related["n_permutations"] == 9_999
    assert related["r"] > 0.5 and related["p"] < 0.01
    noise = mantel(rng.normal(size=(k, k)), b)
    assert noise["p"] > 0.01


def test_transfer_matrix_is_relative_change_against_the_base_model():
    base = {"a": 2.0, "b": 4.0}
    tuned = {"a": {"a": 1.0, "b": 3.0}, "b": {"a": 2.2, "b": 2.0}}
    np.testing.assert_allclose(transfer_matrix(base, tuned, ["a", "b"]),
                               [[-0.5, -0.25], [0.1, -0.5]])


@pytest.mark.slow
def test_transfer_at_tiny_scale_reuses_table1_runs(tiny_model_dir, tiny_reproduce_all,
                                                    tmp_path):
    from headprint.experiments import reproduce
    from headprint.experiments.findings import VERDICTS
    from headprint.experiments.scales import SCALES

    # A copy of a finished "reproduce all" (table1 made the SFT runs), without transfer's
    # own outputs, so that transfer is computed again here from table1's steps.
    out = tmp_path / "r"
    shutil.copytree(tiny_reproduce_all[0], out)
    shutil.rmtree(out / "transfer")
    n_sft = len(list((out / "steps" / "sft").iterdir()))
    result = reproduce("transfer", model=str(tiny_model_dir), scale="tiny", out=out)["transfer"]
    assert len(list((out / "steps" / "sft").iterdir())) == n_sft  # nothing retrained
    s = SCALES["tiny"]
    k = len(s.basic_tasks) + 1
    saved = json.loads((out / "transfer" / "results.json").read_text())
    assert np.asarray(saved["transfer"]).shape == (k, k)
    assert sorted(saved["tasks"]) == sorted([*s.basic_tasks, s.complex_task])
    assert {f["claim"] for f in saved["findings"]} == {"X.transfer_patterns",
                                                        "X.transfer_change"}
    assert all(f["verdict"] in VERDICTS for f in saved["findings"])
    assert saved["tests"]["before"]["pearson"]["n_permutations"] == math.factorial(k)
    assert (out / "transfer" / "transfer-vs-similarity.png").exists()
    assert 'src="transfer/transfer-vs-similarity.png"' in (out / "index.html").read_text()
    assert result["report"].exists()
    # the relative change is consistent with the losses it is made from
    i, j = 0, 1
    ti, tj = saved["tasks"][i], saved["tasks"][j]
    expected = (saved["tuned_loss"][ti][tj] - saved["base_loss"][tj]) / saved["base_loss"][tj]
    assert saved["transfer"][i][j] == pytest.approx(expected)


def test_transfer_verdict_uses_three_words_and_noise():
    """Hand-made Mantel results: significant either way decides, within noise does not."""
    from headprint.experiments.findings import VERDICTS
    from headprint.experiments.transfer import _verdict

    cases = [({"r": 0.6, "p": 0.01, "n_permutations": 5040}, "reproduced"),
             ({"r": 0.3, "p": 0.20, "n_permutations": 5040}, "inconclusive"),
             ({"r": -0.1, "p": 0.70, "n_permutations": 5040}, "inconclusive"),
             ({"r": -0.7, "p": 0.995, "n_permutations": 5040}, "not reproduced"),
             ({"r": None, "p": 1.0, "n_permutations": 5040}, "inconclusive")]
    for test, expected in cases:
        assert _verdict(test) == expected
        assert _verdict(test) in VERDICTS
