"""Transfer (beyond the paper): does SFT on one task help another more when the two rely on
the same heads?

The paper's thesis is that SFT adapts fast because tasks share attention heads. Tested here
on the per-task SFT runs Table 1 already makes (:mod:`.shared`; nothing is retrained):

- for every fine-tuned model ``i`` and every task ``j``, the held-out response loss on task
  ``j``'s pattern rows (its test rows the patterns are tracked on), against the base
  model's: ``transfer[i, j] = (loss_ij − loss_base_j) / loss_base_j`` (negative: SFT on
  ``i`` lowers the loss on ``j``). The losses are measured right after each run, before its
  weights are pruned (:func:`heldout_losses`, called from :func:`.shared.task_runs`);
- the off-diagonal benefit ``−transfer`` is correlated with (a) the Pearson similarity of
  the tasks' patterns before SFT and (b) that of their change rates ``Δ / before``; a Mantel
  test permutes the task labels of the similarity matrix (every permutation up to 7 tasks,
  9,999 random ones beyond) and counts how often the correlation is as large (one-sided:
  the thesis predicts a positive one).

Verdicts follow :mod:`.findings`: ``reproduced`` when r > 0 and the one-sided p < 0.05,
``not reproduced`` when r < 0 beyond noise (the lower tail's p < 0.05), ``inconclusive``
otherwise (within noise either way).
"""
from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from headprint.experiments.context import Context
from headprint.experiments.findings import Finding
from headprint.experiments.record import ExperimentResult, Record, save_experiment

__all__ = ["run", "NAME", "TITLE", "heldout_losses", "transfer_matrix", "mantel",
           "TransferNumbers"]

NAME = "transfer"
TITLE = "Transfer: does pattern similarity predict how SFT on one task helps another?"
MAX_EXACT = 10_000
N_RANDOM = 9_999
#: The experiment's figure, also shown on ``reproduce``'s index page.
FIGURE = "transfer-vs-similarity.png"


@dataclass
class TransferNumbers(Record):
    """The transfer experiment on this model.

    Attributes:
        tasks: task order of every matrix (clustering order of the before-SFT similarity).
        transfer: ``[K, K]`` relative change of the held-out loss on task j (column) after
            SFT on task i (row), against the base model.
        base_loss, tuned_loss: the held-out losses it is made from.
        similarity: ``before`` and ``change-rate`` ``[K, K]`` Pearson r, in ``tasks`` order.
        tests: similarity -> Pearson and Spearman Mantel tests of benefit vs similarity.
        mean_own, mean_other: mean diagonal (own task) and off-diagonal change.
        index_figure: the figure the index page shows.
    """

    tasks: list[str]
    transfer: Any
    base_loss: dict[str, float]
    tuned_loss: dict[str, dict[str, float]]
    similarity: dict[str, Any]
    tests: dict[str, dict[str, Any]]
    index_figure: str
    mean_own: float
    mean_other: float


def _tasks(ctx: Context) -> list[str]:
    s = ctx.scale
    return [*s.basic_tasks, s.complex_task]


def heldout_losses(ctx: Context, run: str | None) -> dict[str, Any] | None:
    """Held-out loss of the base model (``run`` None) or of SFT step ``run``'s final model on
    every task's pattern rows; a step, so it is made once. Returns None (and skips) when the
    run's weights were pruned before this step existed."""
    from headprint.data import load_data
    from headprint.experiments.heldout import heldout_loss

    s = ctx.scale
    tasks = _tasks(ctx)
    settings = ctx.with_format({
        "kind": "heldout-loss", "model": ctx.base() if run is None else {"sft": run},
        "tasks": tasks, "split": "test", "limit": s.n_patterns, "max_length": s.max_length})
    label = "base" if run is None else Path(run).name.rsplit("-", 1)[0]
    folder = ctx.steps.folder("heldout-loss", label, settings)
    if not ctx.steps.is_done(folder) and run is not None:
        final = ctx.steps.path(run) / "run" / "final"
        if not any(final.glob("*.safetensors")):
            return None

    def make(_folder: Path) -> dict[str, Any]:
        from headprint.models import load_model

        loaded = load_model(ctx.model_path(run), dtype=ctx.dtype)
        out: dict[str, Any] = {"loss": {}, "per_row": {}, "ids": {}}
        for task in tasks:
            rows = load_data(task, split="test", limit=s.n_patterns).rows
            scored = heldout_loss(loaded.model, loaded.tokenizer, rows, s.max_length,
                                  batch_size=s.batch_size, prompt_format=ctx.format)
            out["loss"][task] = scored["loss"]
            out["per_row"][task] = scored["per_row"]
            # Rows whose response the length limit cuts away entirely are excluded here, as
            # the pattern stage excludes them: the ids are the rows actually scored.
            out["ids"][task] = [str(r["id"]) for r in rows if str(r["id"]) in scored["per_row"]]
        return out

    return ctx.steps.result(ctx.steps.run("heldout-loss", label, settings, make))


def transfer_matrix(base: dict[str, float], tuned: dict[str, dict[str, float]],
                    tasks: Sequence[str]) -> np.ndarray:
    """``[K, K]``: ``(loss of the model tuned on task i, on task j − base loss on j) / base
    loss on j``."""
    return np.array([[(tuned[i][j] - base[j]) / base[j] for j in tasks] for i in tasks])


def _off(m: np.ndarray) -> np.ndarray:
    return m[~np.eye(m.shape[0], dtype=bool)]


def mantel(a: np.ndarray, b: np.ndarray, *, method: str = "pearson", seed: int = 0
           ) -> dict[str, Any]:
    """Correlation of the off-diagonal entries of ``a`` and ``b`` (``[K, K]``, ``a`` may be
    asymmetric) and its one-sided permutation p-value: the share of relabellings of ``b``
    (rows and columns permuted together) whose correlation is at least the observed one.
    Exact (every permutation, the identity included) when ``K! ≤ 10,000``, else 9,999
    random permutations with p = (count + 1) / 10,000."""
    from scipy.stats import pearsonr, spearmanr

    k = a.shape[0]
    corr = (lambda x, y: pearsonr(x, y).statistic) if method == "pearson" else \
        (lambda x, y: spearmanr(x, y).statistic)
    x = _off(a)
    observed = float(corr(x, _off(b)))
    if not math.isfinite(observed):
        return {"r": None, "p": None, "n_permutations": 0, "exact": False, "method": method}
    exact = math.factorial(k) <= MAX_EXACT
    if exact:
        perms = itertools.permutations(range(k))
    else:
        rng = np.random.default_rng(seed)
        perms = (rng.permutation(k) for _ in range(N_RANDOM))
    count = total = 0
    for p in perms:
        p = list(p)
        total += 1
        count += float(corr(x, _off(b[np.ix_(p, p)]))) >= observed - 1e-12
    p_value = count / total if exact else (count + 1) / (total + 1)
    return {"r": observed, "p": p_value, "n_permutations": total, "exact": exact,
            "method": method}


def _verdict(test: dict[str, Any]) -> str:
    r, p = test["r"], test["p"]
    if r is None or not math.isfinite(r):
        return "inconclusive"
    if r > 0 and p < 0.05:
        return "reproduced"
    # p counts permutations at least as large as observed; the lower tail's p is at most
    # 1 − p plus the observed permutation's own share (conservative at ties).
    lower = 1.0 - p + 1.0 / test["n_permutations"]
    if r < 0 and lower < 0.05:
        return "not reproduced"
    return "inconclusive"


def run(ctx: Context) -> ExperimentResult:
    """Run (or resume) the experiment; return its results."""
    from headprint.analysis import change_rate, similarity_matrix
    from headprint.experiments.shared import before_after, task_runs
    from headprint.patterns.artifact import PatternSet

    started = time.perf_counter()
    runs = task_runs(ctx)  # computes each run's held-out losses before pruning its weights
    tasks = list(runs)
    base = heldout_losses(ctx, None)
    tuned = {}
    for task, ref in runs.items():
        got = heldout_losses(ctx, ref)
        if got is None:
            raise FileNotFoundError(
                f"the SFT run of {task} ({ctx.steps.path(ref)}) was pruned before its held-out "
                f"losses were measured (a run made by an older headprint); delete that step "
                f"folder to train it again")
        tuned[task] = got["loss"]
    pairs = before_after(ctx, runs)
    before = {t: PatternSet.load(b).mean for t, (b, _) in pairs.items()}
    after = {t: PatternSet.load(a).mean for t, (_, a) in pairs.items()}
    for t, (b, _) in pairs.items():  # the losses are on the rows the patterns are tracked on
        ids = PatternSet.load(b).sample_ids
        if sorted(ids) != sorted(base["ids"][t]):
            raise RuntimeError(f"{t}: held-out loss rows differ from the pattern rows")
    sim_before = similarity_matrix(before)
    sim_change = similarity_matrix({t: change_rate(before[t], after[t]) for t in tasks})
    order = list(sim_before.ordered().names)
    idx = [tasks.index(t) for t in order]
    matrix = transfer_matrix(base["loss"], tuned, tasks)[np.ix_(idx, idx)]
    benefit = -matrix
    sims = {"before": _reorder(sim_before, order), "change-rate": _reorder(sim_change, order)}
    tests = {w: {m: mantel(benefit, s, method=m, seed=ctx.scale.seed)
                 for m in ("pearson", "spearman")} for w, s in sims.items()}
    findings = [
        Finding("X.transfer_patterns", _verdict(tests["before"]["pearson"]),
                _evidence(tests["before"])),
        Finding("X.transfer_change", _verdict(tests["change-rate"]["pearson"]),
                _evidence(tests["change-rate"])),
    ]
    numbers = TransferNumbers(order, matrix, base["loss"], tuned, dict(sims), tests, FIGURE,
                              float(np.mean(np.diag(matrix))), float(np.mean(_off(matrix))))
    inputs = [p for pair in pairs.values() for p in pair]
    return save_experiment(ctx, NAME, TITLE, numbers, findings, inputs,
                           time.perf_counter() - started)


def _reorder(sim: Any, order: list[str]) -> np.ndarray:
    idx = [list(sim.names).index(t) for t in order]
    return np.asarray(sim.corr, float)[np.ix_(idx, idx)]


def _evidence(tests: dict[str, Any]) -> str:
    p, s = tests["pearson"], tests["spearman"]
    f = (lambda v: "n/a" if v is None else f"{v:.3f}")
    return (f"benefit of SFT on task i for task j vs similarity of i and j: Pearson r "
            f"{f(p['r'])} (Mantel p {f(p['p'])}, {p['n_permutations']} permutations), "
            f"Spearman ρ {f(s['r'])} (p {f(s['p'])})")
