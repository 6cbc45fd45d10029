"""``select --by pattern|embedding|random``: one candidate set, the same files, golden scores
from an independent computation (row-by-row forward passes, scipy's cosine)."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from scipy.spatial.distance import cosine

from headprint.cli import main
from headprint.selection import random_baseline, select
from headprint.selection.embedding import cosine_rows, embed_rows
from headprint.selection.ranking import rank_by_pattern
from tests.selection.helpers import pattern_set, planted_pool
from tests.selection.test_api import read_jsonl, write_rows


def test_cosine_rows_matches_scipy_and_flags_zero_rows():
    rng = np.random.default_rng(0)
    rows, target = rng.normal(size=(5, 7)), rng.normal(size=7)
    rows[3] = 0.0
    got = cosine_rows(rows, target)
    for i in (0, 1, 2, 4):
        assert got[i] == pytest.approx(1.0 - cosine(rows[i], target), abs=1e-12)
    assert np.isnan(got[3])


def test_random_is_a_nested_draw_from_the_candidates(tmp_path):
    target, pool = planted_pool(n_pool=20)
    target.save(tmp_path / "target")
    ids = ["t0", *pool.sample_ids]  # the target's row t0 is in the pool data: excluded
    data = write_rows(tmp_path / "pool.jsonl", ids)
    result = select(tmp_path / "r", [3, 8], by="random", target=tmp_path / "target",
                    data=data, seed=5)
    candidates = list(pool.sample_ids)
    assert result.chosen[8] == random_baseline(candidates, 8, 5)
    assert result.chosen[3] == result.chosen[8][:3]
    summary = json.loads((tmp_path / "r" / "selection.json").read_text())
    assert summary["by"] == "random" and summary["excluded_overlap"] == ["t0"]
    assert summary["n_candidates"] == 20 and summary["seconds"] >= 0
    rows = read_jsonl(tmp_path / "r" / "top-8.jsonl")
    assert [r["source_id"] for r in rows] == result.chosen[8]
    assert [r["rank"] for r in rows] == list(range(1, 9)) and rows[0]["score"] is None
    other = select(tmp_path / "r2", [8], by="random", data=data, seed=6,
                   target=tmp_path / "target")
    assert other.chosen[8] != result.chosen[8]  # the seed changes the draw


def test_pattern_rows_without_a_pattern_stay_candidates_and_rank_last():
    target, pool = planted_pool(n_pool=10)
    ranked = rank_by_pattern(target, pool, [*pool.sample_ids, "cut"])
    assert ranked.not_scored == ["cut"]
    assert ranked.scores.ids[-1] == "cut" and ranked.scores.order[-1] == 10
    assert ranked.cost["representation_seconds"] == 0.0  # the helper sets record none


def test_pattern_cost_counts_the_pattern_stage_seconds(tmp_path):
    target, pool = planted_pool(n_pool=10)
    target.manifest["seconds"], pool.manifest["seconds"] = 1.5, 20.0
    ranked = rank_by_pattern(target, pool, pool.sample_ids)
    assert ranked.cost["representation_seconds"] == 21.5
    assert ranked.cost["seconds"] == pytest.approx(21.5 + ranked.cost["scoring_seconds"])


def _rows(prefix, n):
    return [{"id": f"{prefix}{i}", "prompt": f"Question {prefix} {i}: what is {i} + {i}?" +
             " more words" * (i % 4), "completion": f" It is {2 * i}."} for i in range(n)]


def _reference_embedding(model, tokenizer, row, max_length):
    """One row alone, no padding: the mean over its tokens of the last layer's output."""
    from headprint.data import encode_rows

    ids = torch.tensor([encode_rows([row], tokenizer, max_length)[0].input_ids])
    with torch.no_grad():
        out = model(input_ids=ids, output_hidden_states=True)
    return out.hidden_states[-1][0].double().mean(0).numpy()


def test_embedding_matches_row_by_row_forward(tiny_model_dir):
    from headprint.models import load_model

    loaded = load_model(str(tiny_model_dir))
    rows = _rows("p", 6)
    got = embed_rows(loaded.model, loaded.tokenizer, rows, max_length=64, batch_size=4)
    assert got.ids == [r["id"] for r in rows] and got.vectors.shape == (6, 32)
    for i, row in enumerate(rows):
        ref = _reference_embedding(loaded.model, loaded.tokenizer, row, 64)
        np.testing.assert_allclose(got.vectors[i], ref, rtol=1e-4, atol=1e-5)


def test_three_methods_write_the_same_files_over_the_same_candidates(tiny_model_dir,
                                                                     tmp_path, capsys):
    from headprint.models import load_model

    pool_rows, target_rows = _rows("p", 12), _rows("t", 4)
    pool_file = tmp_path / "pool.jsonl"
    pool_file.write_text("".join(json.dumps(r) + "\n" for r in [*pool_rows, target_rows[0]]))
    target_file = tmp_path / "target.jsonl"
    target_file.write_text("".join(json.dumps(r) + "\n" for r in target_rows))
    fingerprint = load_model(str(tiny_model_dir)).fingerprint
    gen = torch.Generator().manual_seed(0)
    ids = [r["id"] for r in [*pool_rows, target_rows[0]]]
    pool = pattern_set(torch.rand(2, 4), ids=ids, per_sample=torch.rand(13, 2, 4, generator=gen),
                       model=str(tiny_model_dir), fingerprint=fingerprint, name="pool")
    target = pattern_set(torch.rand(2, 4, generator=gen), ids=[r["id"] for r in target_rows],
                         model=str(tiny_model_dir), fingerprint=fingerprint, name="target")
    target.manifest["data"] = {"source": str(target_file)}
    pool.save(tmp_path / "pool")
    target.save(tmp_path / "target")
    common = ["--target", str(tmp_path / "target"), "--n", "3,6", "--data", str(pool_file)]
    for by in ("pattern", "embedding", "random"):
        extra = ["--pool", str(tmp_path / "pool")] if by == "pattern" else []
        assert main(["select", "--by", by, *common, *extra, "--out",
                     str(tmp_path / by)]) == 0, capsys.readouterr().err
    files = {by: sorted(p.name for p in (tmp_path / by).iterdir())
             for by in ("pattern", "embedding", "random")}
    assert files["pattern"] == files["embedding"] == files["random"] == [
        "scores.jsonl", "selection.json", "top-3.jsonl", "top-6.jsonl"]
    records = {by: json.loads((tmp_path / by / "selection.json").read_text()) for by in files}
    for by, record in records.items():
        assert record["by"] == by and record["excluded_overlap"] == ["t0"]
        assert record["n_candidates"] == 12 and record["cost"]["seconds"] >= 0
        ranked = {s["id"] for s in read_jsonl(tmp_path / by / "scores.jsonl")}
        assert ranked == {r["id"] for r in pool_rows}  # one candidate set for all three
    # embedding scores: cosine of each row's embedding with the target rows' mean embedding
    loaded = load_model(str(tiny_model_dir))
    length = records["embedding"]["max_length"]
    mean = np.mean([_reference_embedding(loaded.model, loaded.tokenizer, r, length)
                    for r in target_rows], axis=0)
    expected = {r["id"]: 1.0 - cosine(_reference_embedding(loaded.model, loaded.tokenizer, r,
                                                           length), mean) for r in pool_rows}
    for s in read_jsonl(tmp_path / "embedding" / "scores.jsonl"):
        assert s["score"] == pytest.approx(expected[s["id"]], abs=1e-5)
    best = sorted(expected, key=lambda i: -expected[i])[:3]
    assert [r["source_id"] for r in read_jsonl(tmp_path / "embedding" / "top-3.jsonl")] == best
    assert records["embedding"]["model"]["fingerprint"] == fingerprint


def test_embedding_refuses_another_model_than_the_patterns(tiny_model_dir, tmp_path, capsys):
    target = pattern_set(torch.rand(2, 4), ids=["t0"], model=str(tiny_model_dir),
                         fingerprint="sha256:other", name="target")
    target.save(tmp_path / "target")
    data = write_rows(tmp_path / "pool.jsonl", ["a", "b", "c"])
    code = main(["select", "--by", "embedding", "--target", str(tmp_path / "target"),
                 "--target-data", data, "--data", data, "--n", "1", "--out",
                 str(tmp_path / "o")])
    assert code == 2 and "same model" in capsys.readouterr().err


def test_pattern_needs_both_pattern_sets(tmp_path, capsys):
    data = write_rows(tmp_path / "pool.jsonl", ["a", "b"])
    assert main(["select", "--data", data, "--n", "1", "--out", str(tmp_path / "o")]) == 2
    assert "--target and --pool" in capsys.readouterr().err
