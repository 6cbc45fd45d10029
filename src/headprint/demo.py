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

import importlib.util
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from headprint.errors import UsageError
from headprint.models import DEFAULT_MODEL
from headprint.settings import MODEL_HELP, HfArg

__all__ = ["DEMO_TASKS", "DemoConfig", "run_demo", "register"]

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


@dataclass(kw_only=True)
class DemoConfig:
    """Settings of ``headprint demo`` (arguments of :func:`run_demo`).

    Raises:
        UsageError: on construction, for no tasks or a size below 1.
    """

    model: str = HfArg(default=DEFAULT_MODEL, help=MODEL_HELP)
    out: str = HfArg(default="runs/demo", help="output folder")
    limit: int = HfArg(default=16, help="samples per task")
    tasks: list[str] = HfArg(default_factory=lambda: list(DEMO_TASKS), help="tasks to measure")
    batch_size: int = HfArg(default=4, help="samples per forward and backward pass")
    max_length: int = HfArg(default=512, help="tokens per sample")
    training: bool = HfArg(default=True, help="run the SFT step")
    experiments: bool = HfArg(default=True, help="run the five tiny experiments")

    def __post_init__(self) -> None:
        self.tasks = [self.tasks] if isinstance(self.tasks, str) else list(self.tasks)
        if not self.tasks:
            raise UsageError("give at least one task")
        for name in ("limit", "batch_size", "max_length"):
            if getattr(self, name) < 1:
                raise UsageError(f"{name} must be at least 1, got {getattr(self, name)}")


def register(subparsers) -> None:
    from headprint.cli_parser import add_command

    add_command(subparsers, "demo", (DemoConfig,), _run,
                help="the main job on the embedded default: patterns, analysis, report")


def _run(config: DemoConfig) -> int:
    run_demo(config.out, config.model, config.limit, tuple(config.tasks),
             batch_size=config.batch_size, max_length=config.max_length,
             training=config.training, experiments=config.experiments)
    return 0
