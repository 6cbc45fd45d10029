"""Table 2 (paper Section 5.1): a mixture of basic tasks chosen by composition, then the
scarce target data.

Target: the complex task (GSM8K as Python programs) with ``t2_target_train`` training rows
(the paper: 100 MathBench rows). Its change ``Δ`` comes from SFT on those rows; the basic
tasks' changes from the shared task runs. :func:`headprint.selection.api.mix_data` fits
``Δ_target ≈ Σ β_k Δ_k`` over all basic tasks, keeps the top-k positive β and draws
``N_k = N·β_k/Σβ`` rows; the random baseline draws ``N`` rows uniformly from the same
candidate rows of all basic tasks. Arms, evaluated on the target's test rows:

- Base: the base model; SFT: SFT on the target rows only;
- Random: SFT on the random mixture, then on the target rows;
- Ours: SFT on the composition mixture, then on the target rows.

Accuracy is pass@1 of the generated program (greedy); the held-out loss of the gold program
is reported beside it, and decides a comparison only when both arms' accuracy is 0.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from headprint.analysis.tables import markdown_table
from headprint.experiments import blocks
from headprint.experiments.context import Context
from headprint.experiments.findings import Finding, compare_paired
from headprint.experiments.paper import TABLE2
from headprint.experiments.plots import plot_arms
from headprint.experiments.reporting import write_experiment
from headprint.experiments.shared import before_after, family_of, task_runs

__all__ = ["run", "NAME", "TITLE", "ARMS"]

NAME = "table2"
TITLE = "Table 2: a basic-task mixture from pattern composition, then the target data"
ARMS = ("Base", "SFT", "Random", "Ours")


def _mixtures(ctx: Context, target: tuple[Path, Path], basis: dict[str, tuple[Path, Path]]
              ) -> str:
    """Step writing ``ours.jsonl`` and ``random.jsonl`` (and their ``.fit.json``)."""
    from headprint.selection.api import mix_data

    s = ctx.scale
    rel = ctx.steps.rel
    settings = {"kind": "mixture", "target": [rel(p) for p in target],
                "basis": {t: [rel(p) for p in pair] for t, pair in basis.items()},
                "size": s.t2_mixture, "top_k": s.t2_top_k, "seed": s.seed,
                "pool_per_task": s.t2_mixture}

    def make(folder: Path) -> dict[str, Any]:
        spec = {t: (str(b), str(a), t) for t, (b, a) in basis.items()}
        common = dict(size=s.t2_mixture, top_k=s.t2_top_k, seed=s.seed,
                      pool_per_task=s.t2_mixture)
        ours = mix_data(tuple(str(p) for p in target), spec, out=folder / "ours.jsonl",
                        **common)
        rand = mix_data(tuple(str(p) for p in target), spec, out=folder / "random.jsonl",
                        random=True, **common)
        return {"kept": ours["kept"], "coefficients": ours["fit"]["coefficients"],
                "r2": ours["fit"]["r2"], "counts": ours["counts"],
                "random_counts": rand["counts"]}

    return rel(ctx.steps.run("mixture", "t2-mixtures", settings, make))


def _compare(claim: str, a: dict, b: dict, names: tuple[str, str]) -> Finding:
    acc = compare_paired({i: float(v) for i, v in a["correct"].items()},
                         {i: float(v) for i, v in b["correct"].items()})
    loss = compare_paired(a["loss_per_row"], b["loss_per_row"], higher_is_better=False)
    text = (f"{names[0]} vs {names[1]}: accuracy {acc.text('%', 100)}; held-out loss "
            f"{loss.text('', 1, '.4g')}")
    if acc.a == 0 and acc.b == 0:
        return Finding(claim, loss.verdict(), text + " — accuracy at 0 for both, so the "
                       "verdict is on held-out loss")
    return Finding(claim, acc.verdict(), text)


def run(ctx: Context) -> dict[str, Any]:
    """Run (or resume) the experiment; return its results."""
    started = time.perf_counter()
    s = ctx.scale
    complex_task = s.complex_task
    basis = before_after(ctx, task_runs(ctx, s.basic_tasks))
    sft_target = blocks.sft(ctx, "t2-target", complex_task, s.t2_target_train,
                            track=[complex_task], track_limit=s.n_patterns)
    before_after_target = before_after(ctx, {complex_task: sft_target})[complex_task]
    mix = _mixtures(ctx, before_after_target, basis)
    mix_info = ctx.steps.result(ctx.steps.path(mix))
    arms: dict[str, str | None] = {"Base": None, "SFT": sft_target}
    for arm, file in (("Random", "random.jsonl"), ("Ours", "ours.jsonl")):
        stage1 = blocks.sft(ctx, f"t2-{arm.lower()}-stage1", f"{mix}/{file}", None)
        arms[arm] = blocks.sft(ctx, f"t2-{arm.lower()}", complex_task, s.t2_target_train,
                               init=stage1)
        ctx.prune_weights(stage1)
    results = {}
    for arm, ref in arms.items():
        results[arm] = blocks.evaluation(ctx, f"t2-{arm.lower()}", complex_task, model=ref,
                                         limit=s.t2_test, max_gen_toks=s.t2_max_gen_toks,
                                         loss=True)
        if ref is not None:
            ctx.prune_weights(ref)
    folder = ctx.exp_dir(NAME)
    plot_arms({"accuracy (%)": {a: 100 * results[a]["accuracy"] for a in ARMS}},
              folder / "accuracy.png", f"Table 2: {complex_task} test accuracy", "%")
    plot_arms({"held-out loss": {a: results[a]["loss"] for a in ARMS}},
              folder / "heldout-loss.png", f"Table 2: loss of the gold program "
              f"(lower is better)", "mean response-token loss")
    kept = list(mix_info["kept"])
    families = {family_of(t) for t in kept}
    findings = [
        _compare("T2.beats_sft", results["Ours"], results["SFT"], ("Ours", "SFT")),
        _compare("T2.beats_random", results["Ours"], results["Random"], ("Ours", "Random")),
        _compare("T2.sft_helps", results["SFT"], results["Base"], ("SFT", "Base")),
        Finding("T2.kept", "reproduced" if {"math", "code"} <= families else
                "partly" if families & {"math", "code"} else "not reproduced",
                "kept " + ", ".join(f"{t} (β {mix_info['kept'][t]:.3g}, {family_of(t)})"
                                    for t in kept)
                + f" for {complex_task}, which combines math and code"),
    ]
    rows = [[f"{m} (paper, MathBench)", *v] for m, v in TABLE2.items()]
    rows.append([f"**{ctx.model}** (headprint, {complex_task})",
                 *(100 * results[a]["accuracy"] for a in ARMS)])
    rows.append(["held-out loss of the gold program (lower is better)",
                 *(results[a]["loss"] for a in ARMS)])
    mixture_rows = [[t, mix_info["coefficients"][t], mix_info["counts"].get(t, 0),
                     mix_info["random_counts"].get(t, 0)] for t in mix_info["coefficients"]]
    body = ("## Table 2: accuracy (%) on the complex task\n\n"
            + markdown_table(["model", *ARMS], rows)
            + f"\nTest rows: {results['Base']['n']} of `{complex_task}:test`; target "
            f"training rows: {s.t2_target_train}; mixture size N = {s.t2_mixture}.\n\n"
            "## The mixture\n\n"
            f"Composition fit over all basic tasks: R² {mix_info['r2']:.3f}; kept the top "
            f"{s.t2_top_k} positive coefficients.\n\n"
            + markdown_table(["basic task", "β", "rows (Ours)", "rows (Random)"],
                             mixture_rows))
    payload = {"arms": {a: {k: v for k, v in r.items() if k not in ("correct",
                                                                     "loss_per_row")}
                        for a, r in results.items()},
               "mixture": mix_info, "paper": TABLE2, "complex_task": complex_task}
    inputs = [*before_after_target, *(p for pair in basis.values() for p in pair)]
    page = write_experiment(ctx, NAME, TITLE, body, findings, payload, inputs,
                            time.perf_counter() - started)
    return {"report": page, "findings": findings, **payload}
