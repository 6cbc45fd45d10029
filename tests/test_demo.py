"""``headprint demo`` end to end on a tiny random model: every stage writes its artifacts and
the top page links pages that exist. Slow (a minute: it runs the five experiments at tiny
scale), so marked; ``make test`` still runs it."""
from __future__ import annotations

import json
import re
import shutil

import pytest

from headprint.demo import run_demo
from headprint.experiments.api import EXPERIMENTS

pytestmark = pytest.mark.slow


def test_demo_runs_every_stage_and_links_its_pages(tiny_model_dir, tiny_reproduce_all,
                                                   tmp_path):
    out = tmp_path / "demo"
    tasks = ("gsm8k", "arc-challenge")
    # The experiments' steps from the session's tiny "reproduce all" (tested on their own in
    # tests/experiments): the demo must find and reuse them, so this test checks the demo's
    # wiring and pages rather than computing the five experiments a second time.
    shutil.copytree(tiny_reproduce_all[0] / "steps", out / "reproduce" / "steps")
    report = run_demo(out, model=str(tiny_model_dir), limit=4, tasks=tasks, max_length=128)

    assert report == out / "report.html"
    for task in tasks:  # stage 1: one pattern set per task, per-sample kept
        assert (out / "patterns" / task / "patterns.safetensors").exists()
    # stage 2: a heatmap per task and the task x task similarity table
    assert len(list((out / "analysis" / "stats").rglob("*.png"))) >= len(tasks)
    similarity = (out / "analysis" / "similarity")
    assert list(similarity.glob("*.md")) and list(similarity.glob("*.png"))
    # stage 3: short SFT with tracking, read back by `track`
    assert (out / "sft-gsm8k" / "final").is_dir()
    assert list((out / "analysis" / "track").glob("*.png"))
    # stage 4: the five experiments share one folder with an index
    assert (out / "reproduce" / "index.html").exists()
    for name in EXPERIMENTS:  # ... from the copied steps: none computed again
        saved = json.loads((out / "reproduce" / name / "results.json").read_text())
        assert saved["steps"]["ran"] == [], (name, saved["steps"]["ran"])

    page = report.read_text(encoding="utf-8")
    contents = page[page.index('id="contents"'):page.index('id="provenance"')]
    hrefs = re.findall(r'href="([^"]+)"', contents)
    assert hrefs[0] == "reproduce/index.html"
    assert hrefs[1:] == [f"reproduce/{name}/report.html" for name in EXPERIMENTS]
    for href in hrefs:  # every link resolves to a page the demo wrote
        assert (out / href).stat().st_size > 500, href
    # started again with the same arguments, the demo reuses what it computed
    again = run_demo(out, model=str(tiny_model_dir), limit=4, tasks=tasks, max_length=128)
    assert again == report
