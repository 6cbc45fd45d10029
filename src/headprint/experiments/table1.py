"""Table 1 and Figure 2 (paper Section 4.1): heads are selectively activated by SFT.

Per task (basic tasks and the complex task): the pattern of held-out rows under the base
model (before) and after SFT on the task's training rows (after), from the shared task runs.
Table 1: Gini, CV and kurtosis of each pattern, averaged over tasks as the paper's rows
are. Figure 2: task × task Pearson correlations of the patterns before, after, and of the
change rates ``Δ / before``, in clustering order. Returns an
:class:`~headprint.experiments.record.ExperimentResult` holding :class:`Table1Numbers`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from headprint.analysis import change_rate, distribution_stats, similarity_matrix
from headprint.analysis.tables import fmt
from headprint.experiments.context import Context
from headprint.experiments.findings import Finding
from headprint.experiments.paper import TABLE1
from headprint.experiments.record import ExperimentResult, Record, figure_field, save_experiment
from headprint.experiments.shared import before_after, family_of, task_runs

__all__ = ["run", "NAME", "TITLE", "Table1Numbers"]

NAME = "table1"
TITLE = "Table 1 and Figure 2: SFT selectively activates attention heads"
STATS = ("gini", "cv", "kurtosis")


@dataclass
class Table1Numbers(Record):
    """Table 1 and Figure 2 on this model.

    Attributes:
        per_task: task -> state (before/after) -> Gini, CV, kurtosis (and notes).
        mean: state -> statistic -> mean over tasks (the paper's rows).
        similarity: matrix (before, after, change-rate) -> names, ``[K, K]`` Pearson r
            (task order) and ``order`` (clustering order, as the figures show them).
        mean_off_diagonal: matrix -> mean Pearson r between different tasks.
        tasks, families: the tasks and each one's family (math, code, reasoning, ...).
        paper: the paper's Table 1.
        patterns: state -> ``[L, H]`` pattern averaged over tasks (figures only).
    """

    per_task: dict[str, Any]
    mean: dict[str, dict[str, float]]
    similarity: dict[str, dict[str, Any]]
    tasks: list[str]
    paper: dict[str, Any]
    families: dict[str, str]
    mean_off_diagonal: dict[str, float]
    patterns: dict[str, Any] = figure_field(dict)


def _groups(tasks: list[str]) -> list[str]:
    """The paper's two groups: math/code vs text reasoning (anything else)."""
    return ["math/code" if family_of(t) in ("math", "code") else "text" for t in tasks]


def _off_diagonal(corr: np.ndarray) -> np.ndarray:
    return corr[~np.eye(corr.shape[0], dtype=bool)]


def _two_clusters(corr: np.ndarray) -> list[int]:
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    dist = np.clip(1.0 - np.nan_to_num(corr, nan=0.0), 0.0, 2.0)
    dist = (dist + dist.T) / 2.0
    np.fill_diagonal(dist, 0.0)
    return [int(c) for c in fcluster(linkage(squareform(dist, checks=False), "average"),
                                     2, "maxclust")]


def _grouping(corr: np.ndarray, tasks: list[str]) -> tuple[str, str]:
    groups = _groups(tasks)
    same = np.array([[a == b for b in groups] for a in groups])
    off = ~np.eye(len(tasks), dtype=bool)
    within, between = np.nanmean(corr[same & off]), np.nanmean(corr[~same])
    clusters = _two_clusters(corr)
    split = [sorted(t for t, c in zip(tasks, clusters) if c == k) for k in (1, 2)]
    truth = [sorted(t for t, g in zip(tasks, groups) if g == k) for k in ("math/code", "text")]
    exact = sorted(split) == sorted(truth)
    verdict = ("reproduced" if exact else "inconclusive" if within > between else "not reproduced")
    evidence = (f"change-rate correlation within groups {within:.3f} vs between {between:.3f}; "
                f"two clusters: {{{', '.join(split[0])}}} | {{{', '.join(split[1])}}}")
    return verdict, evidence


def _stats_findings(mean_b: dict, mean_a: dict, n: int) -> list[Finding]:
    concentrated = [mean_b["gini"] > 0.4, mean_b["cv"] > 1, mean_b["kurtosis"] > 3]
    lower = [mean_a[k] < mean_b[k] for k in STATS]
    nums = lambda m: ", ".join(f"{k} {fmt(m[k], 3)}" for k in STATS)  # noqa: E731
    return [
        Finding("T1.concentrated", "reproduced" if all(concentrated) else
                "inconclusive" if any(concentrated) else "not reproduced",
                f"before SFT (mean of {n} tasks): {nums(mean_b)}"),
        Finding("T1.flatter", "reproduced" if all(lower) else
                "inconclusive" if any(lower) else "not reproduced",
                f"after SFT: {nums(mean_a)}; decreased: "
                + (", ".join(k for k, d in zip(STATS, lower) if d) or "none")),
        Finding("T1.still_skewed", "reproduced" if mean_a["kurtosis"] > 3 else
                "not reproduced", f"kurtosis after SFT {fmt(mean_a['kurtosis'], 3)}"),
    ]


def run(ctx: Context) -> ExperimentResult:
    """Run (or resume) the experiment; return its results."""
    from headprint.patterns.artifact import PatternSet

    started = time.perf_counter()
    pairs = before_after(ctx, task_runs(ctx))
    tasks = list(pairs)
    before = {t: PatternSet.load(b).mean for t, (b, _) in pairs.items()}
    after = {t: PatternSet.load(a).mean for t, (_, a) in pairs.items()}
    per_task = {t: {"before": distribution_stats(before[t]).as_dict(),
                    "after": distribution_stats(after[t]).as_dict()} for t in tasks}
    mean = {state: {k: float(np.nanmean([per_task[t][state][k] for t in tasks]))
                    for k in STATS} for state in ("before", "after")}
    matrices = {"before": similarity_matrix(before), "after": similarity_matrix(after),
                "change-rate": similarity_matrix({t: change_rate(before[t], after[t])
                                                  for t in tasks})}
    off = {w: float(np.nanmean(_off_diagonal(m.corr))) for w, m in matrices.items()}
    grouping = _grouping(matrices["change-rate"].corr, matrices["change-rate"].names)
    findings = _stats_findings(mean["before"], mean["after"], len(tasks)) + [
        Finding("F2.groups", *grouping),
        Finding("F2.specific", "reproduced" if off["after"] < off["before"] else
                "not reproduced", f"mean correlation between tasks' patterns "
                f"{off['before']:.3f} before, {off['after']:.3f} after SFT"),
    ]
    numbers = Table1Numbers(
        per_task, mean, {w: {"names": m.names, "corr": m.corr, "order": m.ordered().names}
                         for w, m in matrices.items()},
        tasks, TABLE1, {t: family_of(t) for t in tasks}, off,
        patterns={"before": np.mean([before[t].numpy() for t in tasks], axis=0),
                  "after": np.mean([after[t].numpy() for t in tasks], axis=0)})
    inputs = [p for pair in pairs.values() for p in pair]
    return save_experiment(ctx, NAME, TITLE, numbers, findings, inputs,
                           time.perf_counter() - started)
