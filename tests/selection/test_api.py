"""``headprint select`` and ``headprint mix`` end to end on files (no model needed)."""
from __future__ import annotations

import json

import pytest
import torch

from headprint.cli import main
from tests.selection.helpers import pattern_set, planted_pool


def write_rows(path, ids, task="pool"):
    path.write_text("".join(json.dumps({"id": i, "prompt": f"{task} {i}?",
                                        "completion": f" {i}."}) + "\n" for i in ids))
    return str(path)


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_select_cli_writes_top_n_scores_and_record(tmp_path, capsys):
    target, pool = planted_pool(n_pool=30)
    target.save(tmp_path / "target")
    pool.save(tmp_path / "pool")
    data = write_rows(tmp_path / "pool.jsonl", pool.sample_ids)
    out = tmp_path / "sel"
    code = main(["select", "--target", str(tmp_path / "target"), "--pool",
                 str(tmp_path / "pool"), "--n", "5,10", "--data", data, "--out", str(out)])
    assert code == 0
    top5 = read_jsonl(out / "top-5.jsonl")
    assert [r["source_id"] for r in top5] == ["p0", "p1", "p2", "p3", "p4"]
    assert [r["rank"] for r in top5] == [1, 2, 3, 4, 5]
    assert top5[0]["prompt"] == "pool p0?" and top5[0]["score"] > 0.9
    assert [r["id"] for r in read_jsonl(out / "top-10.jsonl")][:5] == [r["id"] for r in top5]
    scores = read_jsonl(out / "scores.jsonl")
    assert sorted(s["id"] for s in scores) == sorted(pool.sample_ids)  # no row dropped
    summary = json.loads((out / "selection.json").read_text())
    assert summary["by"] == "pattern" and "Eq. 5" in summary["method"]
    assert summary["n_candidates"] == 30 and summary["excluded_overlap"] == []
    assert summary["seconds"] == summary["cost"]["seconds"] >= 0
    assert summary["sizes"]["5"]["mean_score"] > summary["sizes"]["10"]["mean_score"]
    assert "n=10" in capsys.readouterr().out


def test_select_reads_pool_data_from_manifest_and_reports_bad_input(tmp_path, capsys):
    target, pool = planted_pool(n_pool=12)
    data = write_rows(tmp_path / "pool.jsonl", pool.sample_ids)
    pool.manifest["data"] = {"source": data, "split": None}
    target.save(tmp_path / "target")
    pool.save(tmp_path / "pool")
    args = ["select", "--target", str(tmp_path / "target"), "--pool", str(tmp_path / "pool")]
    assert main(args + ["--n", "3", "--out", str(tmp_path / "a")]) == 0
    assert main(args + ["--n", "3,13", "--out", str(tmp_path / "b")]) == 2
    assert "n=13" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()  # nothing written when a size is impossible
    write_rows(tmp_path / "short.jsonl", pool.sample_ids[:5])
    assert main(args + ["--n", "3", "--data", str(tmp_path / "short.jsonl"),
                        "--out", str(tmp_path / "c")]) == 2
    assert "7 pool ids are not in the pool data" in capsys.readouterr().err


def test_select_cli_pool_without_per_sample(tmp_path, capsys):
    target, pool = planted_pool(n_pool=12)
    pool.per_sample = None
    target.save(tmp_path / "target")
    pool.save(tmp_path / "pool")
    code = main(["select", "--target", str(tmp_path / "target"), "--pool",
                 str(tmp_path / "pool"), "--n", "3", "--out", str(tmp_path / "o")])
    assert code == 2 and "--per-sample" in capsys.readouterr().err


def _mix_inputs(tmp_path, coefficients, other_model=None):
    gen = torch.Generator().manual_seed(0)
    base = torch.rand(5, 4, generator=gen) + 1.0
    deltas = {n: torch.randn(5, 4, generator=gen) * 0.1 for n in coefficients}
    target_after = base + sum(b * deltas[n] for n, b in coefficients.items())
    pattern_set(base, ["t"], name="target").save(tmp_path / "t-before")
    pattern_set(target_after, ["t"], name="target", fingerprint="sha256:ft").save(
        tmp_path / "t-after")
    specs = []
    for name in coefficients:
        fp = "sha256:zzzz" if name == other_model else "sha256:aaaa"
        pattern_set(base, [name], name=name, fingerprint=fp).save(tmp_path / f"{name}-b")
        pattern_set(base + deltas[name], [name], name=name, fingerprint=f"sha256:{name}").save(
            tmp_path / f"{name}-a")
        data = write_rows(tmp_path / f"{name}.jsonl", [f"{name}{i}" for i in range(60)], name)
        specs += ["--basis", f"{name}={tmp_path / f'{name}-b'},{tmp_path / f'{name}-a'},{data}"]
    return ["mix", "--target", str(tmp_path / "t-before"), str(tmp_path / "t-after"), *specs]


def test_mix_cli_planted_proportions(tmp_path):
    args = _mix_inputs(tmp_path, {"math": 2.0, "code": 1.0, "text": -0.5})
    out = tmp_path / "mix.jsonl"
    assert main(args + ["--size", "90", "--out", str(out)]) == 0
    rows = read_jsonl(out)
    counts = {t: sum(r["source_task"] == t for r in rows) for t in ("math", "code", "text")}
    assert counts == {"math": 60, "code": 30, "text": 0}
    assert all(r["id"] == f"{r['source_task']}/{r['source_id']}" for r in rows)
    fit = json.loads((tmp_path / "mix.fit.json").read_text())
    assert fit["fit"]["r2"] == pytest.approx(1.0, abs=1e-5)
    assert fit["kept"].keys() == {"math", "code"} and "text" in fit["dropped"]
    assert fit["counts"] == {"math": 60, "code": 30}


def test_mix_cli_random_baseline(tmp_path):
    args = _mix_inputs(tmp_path, {"math": 2.0, "code": 1.0, "text": -0.5})
    out = tmp_path / "random.jsonl"
    assert main(args + ["--size", "90", "--random", "--seed", "3", "--out", str(out)]) == 0
    rows = read_jsonl(out)
    assert len(rows) == 90 and {r["source_task"] for r in rows} == {"math", "code", "text"}
    assert json.loads((tmp_path / "random.fit.json").read_text())["kind"] == "random"
    again = tmp_path / "again.jsonl"
    main(args + ["--size", "90", "--random", "--seed", "3", "--out", str(again)])
    assert read_jsonl(again) == rows


def test_mix_cli_uniform_and_nonneg(tmp_path, capsys):
    args = _mix_inputs(tmp_path, {"math": 2.0, "code": 1.0, "text": -0.5})
    out = tmp_path / "uniform.jsonl"
    assert main(args + ["--size", "30", "--by", "uniform", "--out", str(out)]) == 0
    fit = json.loads((tmp_path / "uniform.fit.json").read_text())
    assert fit["kind"] == "uniform" and fit["counts"] == {"math": 10, "code": 10, "text": 10}
    out = tmp_path / "nn.jsonl"
    assert main(args + ["--size", "30", "--nonneg", "--out", str(out)]) == 0
    fit = json.loads((tmp_path / "nn.fit.json").read_text())
    assert fit["nonnegative"] and fit["fit"]["nonnegative"]
    assert fit["r2"]["least_squares"] == pytest.approx(1.0, abs=1e-5)
    assert fit["r2"]["nonnegative"] < fit["r2"]["least_squares"]
    assert "(non-negative)" in capsys.readouterr().out


def test_mix_cli_basis_from_another_model(tmp_path, capsys):
    args = _mix_inputs(tmp_path, {"math": 2.0, "code": 1.0}, other_model="code")
    assert main(args + ["--size", "10", "--out", str(tmp_path / "m.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "basis 'code' before" in err and "sha256:aaaa" in err and "sha256:zzzz" in err


def test_mix_cli_bad_basis_spec(capsys):
    with pytest.raises(SystemExit):
        main(["mix", "--target", "a", "b", "--basis", "oops", "--size", "3", "--out", "x"])
    assert "NAME=BEFORE,AFTER,DATA" in capsys.readouterr().err
