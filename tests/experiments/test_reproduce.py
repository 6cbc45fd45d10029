"""The five experiments end to end at ``--scale tiny`` on a tiny random model, and resume
after a kill. Slow (minutes on 2 CPU cores), so marked; ``make test`` still runs them."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace

import pytest

from headprint.experiments import SCALES, reproduce
from headprint.experiments.findings import VERDICTS

pytestmark = pytest.mark.slow


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_all_five_at_tiny_scale(tiny_model_dir, tiny_reproduce_all):
    out, results = tiny_reproduce_all
    assert list(results) == ["table1", "fig4", "fig5", "table2", "table3", "transfer"]
    index = (out / "index.html").read_text()
    for name, result in results.items():
        page = out / name / "report.html"
        assert result["report"] == page and page.stat().st_size > 1000
        assert f'href="{name}/report.html"' in index
        saved = json.loads((out / name / "results.json").read_text())
        assert saved["findings"] and all(f["verdict"] in VERDICTS for f in saved["findings"])
        assert "paper" in (out / name / "report.md").read_text()
    # Table 2: per seed, three mixtures of N rows whose rows say where they came from
    tiny = SCALES["tiny"]
    mixtures = sorted((out / "steps" / "mixture").glob("t2-mixtures-*"))
    assert len(mixtures) == len(tiny.seeds)
    for mixture in mixtures:
        fit = json.loads((mixture / "ours.fit.json").read_text())
        rows = read_jsonl(mixture / "ours.jsonl")
        assert len(rows) == tiny.t2_mixture
        assert {r["source_task"] for r in rows} <= set(fit["kept"])
        assert all(r["id"] == f"{r['source_task']}/{r['source_id']}" for r in rows)
        assert set(fit["r2"]) == {"least_squares", "nonnegative"}
        uniform = json.loads((mixture / "uniform.fit.json").read_text())["counts"]
        assert sorted(uniform.values()) == [2, 3, 3]  # 8 rows over 3 basic tasks
    saved2 = json.loads((out / "table2" / "results.json").read_text())
    assert set(saved2["summary"]) == {"Base", "SFT", "Random", "Uniform", "Ours"}
    assert saved2["summary"]["Ours"]["n_seeds"] == len(tiny.seeds)
    assert set(saved2["arms"]["Ours"]) == {str(s) for s in tiny.seeds}
    # Table 3: per seed, the three methods over the same candidates, the same files
    for seed in tiny.seeds:
        chosen = {}
        for by in ("pattern", "embedding", "random"):
            selection = next((out / "steps" / "selection").glob(f"t3-biology-s{seed}-{by}-*"))
            summary = json.loads((selection / "selection.json").read_text())
            assert summary["by"] == by and summary["cost"]["seconds"] >= 0
            candidates = {r["id"] for r in read_jsonl(selection / "scores.jsonl")}
            chosen[by] = candidates
            for n in tiny.t3_sizes:
                assert len(read_jsonl(selection / f"top-{n}.jsonl")) == n
            # every pool row is either a candidate or reported as unscored (its answer was
            # truncated away at max_length 128, so the pattern stage had nothing to score)
            assert len(candidates) + len(summary["not_scored"]) == tiny.t3_pool
        assert chosen["pattern"] == chosen["embedding"] == chosen["random"]
    saved3 = json.loads((out / "table3" / "results.json").read_text())
    arms = {"Base", "P", *(f"{x}{n}" for n in tiny.t3_sizes for x in "TER")}
    assert set(saved3["summary"]) == arms
    assert all(0.0 < saved3["summary"][a]["gold_prob"][0] < 1.0 for a in arms)
    report3 = (out / "table3" / "report.md").read_text()
    assert "Probability of the gold choice" not in report3  # folded into the comparisons
    assert "probability of the gold choice" in report3 and "What each method cost" in report3
    assert {f["claim"] for f in saved3["findings"]} == {
        "T3.beats_random", "T3.beats_embedding", "T3.beats_base"}
    # Figure 4 reports both nulls
    assert "random-tasks null" in (out / "fig4" / "report.md").read_text()
    # the fine-tuned weights of leaf arms are deleted once evaluated
    assert not list((out / "steps").rglob("final/*.safetensors"))
    # a second call reuses every step
    again = reproduce("fig4", model=str(tiny_model_dir), scale="tiny", out=out)
    assert again["fig4"]["findings"][0].evidence == results["fig4"]["findings"][0].evidence


_SCRIPT = """
import sys
from dataclasses import replace
from headprint.experiments import SCALES, reproduce
scale = replace(SCALES["tiny"], name="tiny", basic_tasks=("gsm8k", "arc-challenge"),
                n_train=4, track_at=())
reproduce("table1", model=sys.argv[1], scale=scale, out=sys.argv[2])
"""


def test_killed_run_resumes_reusing_finished_steps(tiny_model_dir, tmp_path):
    out = tmp_path / "killed"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen([sys.executable, "-c", _SCRIPT, str(tiny_model_dir), str(out)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 600
    first = None
    while time.time() < deadline and proc.poll() is None:
        done = sorted((out / "steps").glob("sft/*/step.json")) if out.exists() else []
        if done:
            first = done[0]
            break
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert first is not None, "no step finished before the deadline"
    assert not (out / "table1" / "results.json").exists()  # killed mid-way
    stamp = first.stat().st_mtime_ns
    scale = replace(SCALES["tiny"], basic_tasks=("gsm8k", "arc-challenge"), n_train=4,
                    track_at=())
    result = reproduce("table1", model=str(tiny_model_dir), scale=scale, out=out)
    assert first.stat().st_mtime_ns == stamp  # the finished step was not redone
    saved = json.loads((out / "table1" / "results.json").read_text())
    assert first.parent.relative_to(out / "steps").as_posix() in saved["steps"]["reused"]
    assert len(saved["steps"]["ran"]) >= 1 and result["table1"]["findings"]
