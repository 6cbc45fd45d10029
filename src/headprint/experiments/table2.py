"""Table 2 (paper Section 5.1): a mixture of basic tasks chosen by composition, then the
scarce target data, against two mixtures of the same size, over seeds.

Target: the complex task (GSM8K as Python programs) with ``t2_target_train`` training rows
(the paper: 100 MathBench rows). Per seed: SFT on those rows gives the target's change
``Δ``; the basic tasks' changes come from the shared task runs.
:func:`headprint.selection.api.mix_data` fits ``Δ_target ≈ Σ β_k Δ_k`` over all basic
tasks (least squares, or NNLS with the scale's ``t2_nonneg``; both R² recorded), keeps the
top-k positive β and draws ``N_k = N·β_k/Σβ`` rows. Arms, evaluated on the target's test
rows:

- Base: the base model (not trained: one evaluation); SFT: SFT on the target rows only;
- Random: SFT on ``N`` rows drawn uniformly from the union of the basic tasks' candidate
  rows, then on the target rows;
- Uniform: the same with ``N/K`` rows from each of the ``K`` basic tasks;
- Ours: the same with the composition mixture.

Every trained arm runs once per seed of the scale (training order and every draw change
with the seed) and is reported as mean ± sd; verdicts weigh the noise over test rows and
the spread between seeds (:mod:`headprint.experiments.replicates`). Every seed's arms are
trained before any is evaluated, so another process can evaluate finished arms meanwhile
(:func:`evaluate_arm` makes the same steps). Accuracy is pass@1 of
the generated program (greedy); the held-out loss of the gold program is reported beside
it, and decides a comparison only when both arms' accuracy is 0 on every seed.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from headprint.experiments import blocks
from headprint.experiments.context import Context
from headprint.experiments.findings import Finding, combine
from headprint.experiments.paper import TABLE2
from headprint.experiments.record import ExperimentResult, Record, save_experiment
from headprint.experiments.replicates import compare_seeds, mean_sd
from headprint.experiments.shared import before_after, family_of, task_runs

__all__ = ["run", "evaluate_arm", "NAME", "TITLE", "ARMS", "MIXTURES", "Table2Numbers"]

NAME = "table2"
TITLE = "Table 2: a basic-task mixture from pattern composition, then the target data"
ARMS = ("Base", "SFT", "Random", "Uniform", "Ours")
#: Mixture arm -> (``mix_data``'s ``by``, file in the mixture step).
MIXTURES = {"Random": ("random", "random.jsonl"), "Uniform": ("uniform", "uniform.jsonl"),
            "Ours": ("composition", "ours.jsonl")}


@dataclass
class Table2Numbers(Record):
    """Table 2 on this model.

    Attributes:
        arms: ``Base`` -> its evaluation; every trained arm -> seed -> its evaluation
            (accuracy, n, loss, ...; per-row values left out).
        summary: arm -> ``accuracy`` and ``loss`` as ``(mean, sd)`` over seeds, ``n_seeds``.
        mixtures: seed -> the composition fit (kept tasks, β, R² of both fits) and the
            rows each mixture arm drew per basic task.
        seeds, paper, complex_task: the seeds, the paper's Table 2, the target task.
    """

    arms: dict[str, Any]
    summary: dict[str, dict[str, Any]]
    mixtures: dict[str, dict[str, Any]]
    seeds: list[int]
    paper: dict[str, Any]
    complex_task: str


def _mixtures(ctx: Context, target: tuple[Path, Path], basis: dict[str, tuple[Path, Path]],
              seed: int) -> str:
    """Step writing ``ours.jsonl``, ``random.jsonl`` and ``uniform.jsonl`` (and fits)."""
    from headprint.selection.api import mix_data

    s = ctx.scale
    rel = ctx.steps.rel
    settings = {"kind": "mixture", "target": [rel(p) for p in target],
                "basis": {t: [rel(p) for p in pair] for t, pair in basis.items()},
                "size": s.t2_mixture, "top_k": s.t2_top_k, "seed": seed,
                "pool_per_task": s.t2_mixture, "nonneg": s.t2_nonneg}

    def make(folder: Path) -> dict[str, Any]:
        spec = {t: (str(b), str(a), t) for t, (b, a) in basis.items()}
        common = dict(size=s.t2_mixture, top_k=s.t2_top_k, seed=seed,
                      pool_per_task=s.t2_mixture, nonnegative=s.t2_nonneg)
        made = {arm: mix_data(tuple(str(p) for p in target), spec, out=folder / file, by=by,
                              **common) for arm, (by, file) in MIXTURES.items()}
        ours = made["Ours"]
        return {"kept": ours["kept"], "coefficients": ours["fit"]["coefficients"],
                "r2": ours["fit"]["r2"], "r2_by_fit": ours["r2"],
                "nonnegative": ours["nonnegative"],
                "counts": {arm: m["counts"] for arm, m in made.items()}}

    return rel(ctx.steps.run("mixture", f"t2-mixtures-s{seed}", settings, make))


def _train_seed(ctx: Context, seed: int, basis: dict[str, tuple[Path, Path]]
                ) -> dict[str, Any]:
    """Train every arm of one seed: ``{"refs": {arm: SFT step}, "mixture": info,
    "target": (pattern sets before, after)}``."""
    s = ctx.scale
    task = s.complex_task
    sft_target = blocks.sft(ctx, f"t2-target-s{seed}", task, s.t2_target_train,
                            track=[task], track_limit=s.n_patterns, seed=seed)
    target = before_after(ctx, {task: sft_target})[task]
    mix = _mixtures(ctx, target, basis, seed)
    refs = {"SFT": sft_target}
    for arm, (_, file) in MIXTURES.items():
        stage1 = blocks.sft(ctx, f"t2-{arm.lower()}-stage1-s{seed}", f"{mix}/{file}", None,
                            seed=seed)
        refs[arm] = blocks.sft(ctx, f"t2-{arm.lower()}-s{seed}", task, s.t2_target_train,
                               init=stage1, seed=seed)
        ctx.prune_weights(stage1)
    return {"refs": refs, "mixture": ctx.steps.result(ctx.steps.path(mix)),
            "target": target}


def evaluate_arm(ctx: Context, seed: int, arm: str, ref: str) -> dict[str, Any]:
    """Evaluate the trained ``arm`` of ``seed`` (SFT step ``ref``) on the target's test
    rows, then delete its weights (nothing else is made from them)."""
    s = ctx.scale
    result = blocks.evaluation(ctx, f"t2-{arm.lower()}-s{seed}", s.complex_task, model=ref,
                               limit=s.t2_test, max_gen_toks=s.t2_max_gen_toks, loss=True)
    ctx.prune_weights(ref)
    return result


def _per_seed(runs: dict[int, dict], base: dict, arm: str, key: str) -> dict[int, dict]:
    if arm == "Base":
        return {0: {i: float(v) for i, v in base[key].items()}}
    return {seed: {i: float(v) for i, v in r["arms"][arm][key].items()}
            for seed, r in runs.items()}


def _compare(claim: str, runs: dict, base: dict, a: str, b: str) -> Finding:
    acc = compare_seeds(_per_seed(runs, base, a, "correct"),
                        _per_seed(runs, base, b, "correct"), fixed_b=b == "Base")
    loss = compare_seeds(_per_seed(runs, base, a, "loss_per_row"),
                         _per_seed(runs, base, b, "loss_per_row"), higher_is_better=False,
                         fixed_b=b == "Base")
    text = f"{a} vs {b}: accuracy {acc.text('%', 100)}; held-out loss {loss.text('', 1, '.4g')}"
    if max(acc.a + acc.b, default=0.0) == 0.0:
        return Finding(claim, loss.verdict(), text + " — accuracy at 0 for both on every "
                       "seed, so the verdict is on held-out loss")
    return Finding(claim, acc.verdict(), text)


def _kept_verdict(kept: dict[str, float]) -> str:
    families = {family_of(t) for t in kept}
    return ("reproduced" if {"math", "code"} <= families else "inconclusive"
            if families & {"math", "code"} else "not reproduced")


def run(ctx: Context) -> ExperimentResult:
    """Run (or resume) the experiment; return its results."""
    started = time.perf_counter()
    s = ctx.scale
    task = s.complex_task
    basis = before_after(ctx, task_runs(ctx, s.basic_tasks))
    # Every seed is trained before anything is evaluated, so that a second process can
    # evaluate finished arms (the same steps) while training goes on.
    runs = {seed: _train_seed(ctx, seed, basis) for seed in s.seeds}
    base = blocks.evaluation(ctx, "t2-base", task, limit=s.t2_test,
                             max_gen_toks=s.t2_max_gen_toks, loss=True)
    for seed, trained in runs.items():
        trained["arms"] = {arm: evaluate_arm(ctx, seed, arm, ref)
                           for arm, ref in trained["refs"].items()}
    acc = {a: [base["accuracy"]] if a == "Base" else [r["arms"][a]["accuracy"]
                                                      for r in runs.values()] for a in ARMS}
    loss = {a: [base["loss"]] if a == "Base" else [r["arms"][a]["loss"] for r in runs.values()]
            for a in ARMS}
    kept = {seed: r["mixture"]["kept"] for seed, r in runs.items()}
    findings = [
        _compare("T2.beats_sft", runs, base, "Ours", "SFT"),
        _compare("T2.beats_random", runs, base, "Ours", "Random"),
        _compare("T2.beats_uniform", runs, base, "Ours", "Uniform"),
        _compare("T2.sft_helps", runs, base, "SFT", "Base"),
        Finding("T2.kept", combine([_kept_verdict(k) for k in kept.values()]),
                "; ".join(f"seed {seed}: kept " + ", ".join(
                    f"{t} (β {b:.3g}, {family_of(t)})" for t, b in k.items())
                    for seed, k in kept.items()) + f" for {task}, which combines math and code"),
    ]
    strip = ("correct", "loss_per_row")
    numbers = Table2Numbers(
        arms={"Base": {k: v for k, v in base.items() if k not in strip},
              **{a: {str(seed): {k: v for k, v in r["arms"][a].items() if k not in strip}
                     for seed, r in runs.items()} for a in ARMS[1:]}},
        summary={a: {"accuracy": mean_sd(acc[a]), "loss": mean_sd(loss[a]),
                     "n_seeds": len(acc[a])} for a in ARMS},
        mixtures={str(seed): r["mixture"] for seed, r in runs.items()},
        seeds=list(s.seeds), paper=TABLE2, complex_task=task)
    inputs = [*(p for r in runs.values() for p in r["target"]),
              *(p for pair in basis.values() for p in pair)]
    return save_experiment(ctx, NAME, TITLE, numbers, findings, inputs,
                           time.perf_counter() - started)
