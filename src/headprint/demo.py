"""``headprint demo``: the main job on the embedded default model, one folder, one report.

Steps (each saves its artifact; a demo started again with the same arguments reuses them):

1. patterns of a handful of tasks (per-sample, so statistics get bootstrap intervals);
2. Table 1 statistics with one L×H heatmap per task, and the task × task similarity matrix;
3. a short SFT run with pattern tracking, and its dynamics (Figure 5), when the training
   stage is installed;
4. the paper's five experiments at ``--scale tiny``, when the experiments stage is installed;
5. one HTML report over everything.
"""
from __future__ import annotations

import argparse
import importlib.util
import logging
import time
from pathlib import Path

from headprint.models import DEFAULT_MODEL

__all__ = ["DEMO_TASKS", "run_demo", "register"]

log = logging.getLogger(__name__)
DEMO_TASKS = ("gsm8k", "gsm8k-py", "pycode", "arc-challenge", "hellaswag")


def _stage(title: str) -> None:
    print(f"\n== {title}", flush=True)


def run_demo(out: str | Path = "runs/demo", model: str = DEFAULT_MODEL, limit: int = 16,
             tasks: tuple[str, ...] = DEMO_TASKS, batch_size: int = 4, max_length: int = 512,
             training: bool = True, experiments: bool = True) -> Path:
    """Run the demo into ``out`` and return the path of its HTML report."""
    from headprint.analysis.api import run_similarity, run_stats
    from headprint.patterns.api import PatternConfig, run_patterns
    from headprint.report import build_report

    out = Path(out)
    started = time.perf_counter()
    _stage(f"1. activation patterns of {len(tasks)} tasks, {limit} samples each ({model})")
    folders = []
    for task in tasks:
        folder = out / "patterns" / task.replace(":", "-")
        run_patterns(PatternConfig(model=model, data=task, limit=limit, batch_size=batch_size,
                                   max_length=max_length, per_sample=True), folder)
        folders.append(str(folder))
    _stage("2. distribution statistics (Table 1) and task similarity (Figure 2)")
    run_stats(folders, out / "analysis" / "stats", n_boot=200)
    run_similarity(folders, out / "analysis" / "similarity")
    if training and importlib.util.find_spec("headprint.training.api"):
        _stage("3. short SFT on gsm8k with pattern tracking (Figure 5)")
        from headprint.analysis.api import run_track
        from headprint.training.api import run_sft
        from headprint.training.config import SFTConfig

        run_dir = out / "sft-gsm8k"
        # resume=True: a finished run is reused, an interrupted one continued, a new one
        # started (training.runs.check_run_dir decides).
        run_sft(SFTConfig(model=model, data="gsm8k", limit=32, max_steps=8, batch_size=4,
                          save_at=[0, 2, 4, 8], track=["gsm8k"], track_limit=8,
                          max_length=max_length), run_dir, resume=True)
        run_track(run_dir, out / "analysis" / "track")
    links: list[tuple[str, str]] = []
    if experiments and importlib.util.find_spec("headprint.experiments.api"):
        _stage("4. the paper's five experiments at --scale tiny")
        from headprint.experiments.api import EXPERIMENTS, reproduce

        # One folder for all five: they share the per-task SFT runs and pattern sets, and
        # reproduce/index.html links each experiment's page with its findings.
        reproduce("all", model=model, scale="tiny", out=out / "reproduce")
        links.append(("The paper's five experiments: findings (index)", "reproduce/index.html"))
        links += [(f"{name}: {title}", f"reproduce/{name}/report.html")
                  for name, (title, _) in EXPERIMENTS.items()]
    _stage("5. report")
    report = build_report(out, title="headprint demo", links=links)
    minutes = (time.perf_counter() - started) / 60
    print(f"\ndemo finished in {minutes:.1f} min; everything is under {out.resolve()}")
    print(f"open the report: {report.resolve()}")
    return report


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo", help="the main job on the embedded default: patterns, analysis, report")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--out", default="runs/demo")
    parser.add_argument("--limit", type=int, default=16, help="samples per task")
    parser.add_argument("--tasks", nargs="+", default=list(DEMO_TASKS))
    parser.add_argument("--no-training", action="store_true", help="skip the SFT step")
    parser.add_argument("--no-experiments", action="store_true",
                        help="skip the five tiny experiments")
    parser.set_defaults(func=lambda a: run_demo(
        a.out, a.model, a.limit, tuple(a.tasks), training=not a.no_training,
        experiments=not a.no_experiments) and 0)
