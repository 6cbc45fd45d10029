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


def test_all_five_at_tiny_scale(tiny_model_dir, tmp_path):
    out = tmp_path / "reproduce"
    results = reproduce("all", model=str(tiny_model_dir), scale="tiny", out=out)
    assert list(results) == ["table1", "fig4", "fig5", "table2", "table3", "transfer"]
    index = (out / "index.html").read_text()
    for name, result in results.items():
        page = out / name / "report.html"
        assert result["report"] == page and page.stat().st_size > 1000
        assert f'href="{name}/report.html"' in index
        saved = json.loads((out / name / "results.json").read_text())
        assert saved["findings"] and all(f["verdict"] in VERDICTS for f in saved["findings"])
        assert "paper" in (out / name / "report.md").read_text()
    # Table 2: a mixture whose rows say where they came from, drawn from the kept tasks
    mixture = next((out / "steps" / "mixture").glob("t2-mixtures-*"))
    fit = json.loads((mixture / "ours.fit.json").read_text())
    rows = read_jsonl(mixture / "ours.jsonl")
    assert len(rows) == SCALES["tiny"].t2_mixture
    assert {r["source_task"] for r in rows} <= set(fit["kept"])
    assert all(r["id"] == f"{r['source_task']}/{r['source_id']}" for r in rows)
    # Table 3: top-n and random-n files of every size, random drawn from the candidates
    selection = next((out / "steps" / "selection").glob("t3-biology-*"))
    summary = json.loads((selection / "selection.json").read_text())
    candidates = {r["id"] for r in read_jsonl(selection / "scores.jsonl")}
    for n in SCALES["tiny"].t3_sizes:
        assert len(read_jsonl(selection / f"top-{n}.jsonl")) == n
        assert {r["source_id"] for r in read_jsonl(selection / f"random-{n}.jsonl")} \
            <= candidates
    # every pool row is either ranked or reported as unscored (its answer was truncated
    # away at max_length 128, so the pattern stage had nothing to score)
    assert summary["n_candidates"] == len(candidates)
    assert len(candidates) + len(summary["not_scored"]) == SCALES["tiny"].t3_pool
    # Table 3 reports the gold choice's probability of every arm, a probability each
    saved3 = json.loads((out / "table3" / "results.json").read_text())
    assert set(saved3["mean_gold_prob"]) == {*saved3["arms"], "Pseudo"}
    assert all(0.0 < p < 1.0 for p in saved3["mean_gold_prob"].values())
    assert "Probability of the gold choice" in (out / "table3" / "report.md").read_text()
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
