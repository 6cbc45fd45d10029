"""Table 3 (paper Section 5.2): pool rows selected by pattern similarity stand in for
private data.

Per MMLU domain (math, physics, chemistry, biology; the paper's Appendix A subject groups):
the domain's test rows are the private data; its dev + validation rows the small
pseudo-private set; the pool is MMLU test rows of every other subject (``t3_pool`` of them,
seeded). Steps: SFT on the pseudo-private rows; with that model, the pattern of the
pseudo-private set and the per-sample patterns of the pool;
:func:`headprint.selection.api.select_data` keeps the top ``n`` pool rows by Pearson
correlation (T_n) and draws ``n`` random candidates (R_n); the base model is fine-tuned on
each and evaluated on the private test rows (multiple-choice accuracy by log-likelihood).
The paper averages over the four domains; so does the table, with per-domain rows below.
"""
from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import numpy as np

from headprint.analysis.tables import markdown_table
from headprint.experiments import blocks
from headprint.experiments.context import Context
from headprint.experiments.findings import Finding, combine, compare_paired
from headprint.experiments.paper import TABLE3
from headprint.experiments.plots import plot_arms
from headprint.experiments.reporting import write_experiment

__all__ = ["run", "NAME", "TITLE"]

NAME = "table3"
TITLE = "Table 3: selecting pool rows by pattern similarity to a small private-like set"


def _pool(ctx: Context, domain: str) -> str:
    """Step writing ``pool.jsonl``: MMLU test rows of the subjects outside ``domain``."""
    from headprint.data import load_data
    from headprint.data.multiple_choice import MMLU_GROUPS
    from headprint.selection.api import write_jsonl

    s = ctx.scale
    settings = {"kind": "pool", "domain": domain, "size": s.t3_pool, "seed": s.seed}

    def make(folder: Path) -> dict[str, Any]:
        subjects = set(MMLU_GROUPS[domain])
        rows = [r for r in load_data("mmlu", split="test").rows
                if r["meta"]["subject"] not in subjects]
        rows.sort(key=lambda r: hashlib.sha256(f"{s.seed}:{r['id']}".encode()).hexdigest())
        rows = rows[: s.t3_pool] if s.t3_pool else rows
        write_jsonl(folder / "pool.jsonl", rows)
        return {"n_rows": len(rows), "excluded_subjects": sorted(subjects)}

    return ctx.steps.rel(ctx.steps.run("data", f"t3-{domain}-pool", settings, make))


def _selection(ctx: Context, domain: str, target: str, pool: str, pool_file: str) -> str:
    from headprint.selection.api import select_data

    s = ctx.scale
    settings = {"kind": "selection", "target": target, "pool": pool, "data": pool_file,
                "sizes": list(s.t3_sizes), "seed": s.seed}

    def make(folder: Path) -> dict[str, Any]:
        summary = select_data(ctx.steps.path(target), ctx.steps.path(pool), s.t3_sizes,
                              folder, data=str(ctx.steps.path(pool_file)), seed=s.seed)
        return {"sizes": summary["sizes"], "n_candidates": summary["n_candidates"],
                "excluded": len(summary["excluded_overlap"])}

    return ctx.steps.rel(ctx.steps.run("selection", f"t3-{domain}", settings, make))


def _domain(ctx: Context, domain: str) -> dict[str, Any]:
    """Every arm of one domain: ``{arm: eval result}`` plus the selection summary."""
    s = ctx.scale
    task = f"mmlu:{domain}"
    pseudo = blocks.sft(ctx, f"t3-{domain}-pseudo", task, s.t3_pseudo, epochs=s.t3_epochs)
    pool_step = _pool(ctx, domain)
    pool_file = f"{pool_step}/pool.jsonl"
    target = blocks.patterns(ctx, f"t3-{domain}-target", task, model=pseudo,
                             limit=s.t3_pseudo)
    pool = blocks.patterns(ctx, f"t3-{domain}-pool", pool_file, model=pseudo, per_sample=True)
    selection = _selection(ctx, domain, target, pool, pool_file)

    def evaluate(label: str, model: str | None = None) -> dict[str, Any]:
        return blocks.evaluation(ctx, f"t3-{domain}-{label}", task, model=model,
                                 limit=s.t3_test, gold_prob=True)

    results = {"Base": evaluate("base"), "Pseudo": evaluate("pseudo", pseudo)}
    ctx.prune_weights(pseudo)
    for n in s.t3_sizes:
        for arm, file in ((f"T{n}", f"top-{n}.jsonl"), (f"R{n}", f"random-{n}.jsonl")):
            ref = blocks.sft(ctx, f"t3-{domain}-{arm}", f"{selection}/{file}", None,
                             epochs=s.t3_epochs)
            results[arm] = evaluate(arm, ref)
            ctx.prune_weights(ref)
    return {"arms": results, "selection": ctx.steps.result(ctx.steps.path(selection)),
            "inputs": [ctx.steps.path(target), ctx.steps.path(pool)]}


def _per_row(domains: dict[str, Any], arms: list[str], key: str) -> dict[str, dict[str, float]]:
    """``{arm: {row id: value}}`` of the evaluations' per-row ``key`` over every domain."""
    return {a: {i: float(v) for d in domains.values()
                for i, v in d["arms"][a].get(key, {}).items()} for a in arms}


def _gold_prob_section(gold_prob: dict[str, dict[str, float]],
                       mean_gold_prob: dict[str, float | None], arms: list[str],
                       sizes: tuple[int, ...]) -> str:
    """Markdown: mean probability of the gold choice per arm, and T vs R paired on it."""
    if not all(gold_prob[a] for a in arms):
        return ""
    means = [[f"{100 * mean_gold_prob[a]:.2f}" for a in arms]]
    pairs = "".join(
        f"- T{n} vs R{n}: "
        f"{compare_paired(gold_prob[f'T{n}'], gold_prob[f'R{n}']).text('%', 100, '.2f')}\n"
        for n in sizes)
    return ("\n## Probability of the gold choice (%, all domains' test rows)\n\n"
            "The choices' log-likelihoods normalised over the choices (chance: 100 / number "
            "of choices). Continuous, so it can separate arms whose accuracy sits at chance; "
            "reported beside the findings, which stay on accuracy.\n\n"
            + markdown_table(arms, means) + "\n" + pairs)


def run(ctx: Context) -> dict[str, Any]:
    """Run (or resume) the experiment; return its results."""
    started = time.perf_counter()
    s = ctx.scale
    domains = {d: _domain(ctx, d) for d in s.t3_domains}
    arms = ["Base", *(f"{p}{n}" for n in s.t3_sizes for p in "TR")]
    pooled = _per_row(domains, [*arms, "Pseudo"], "correct")
    mean = {a: float(np.mean([d["arms"][a]["accuracy"] for d in domains.values()]))
            for a in [*arms, "Pseudo"]}
    gold_prob = _per_row(domains, [*arms, "Pseudo"], "gold_prob")
    mean_gold_prob = {a: float(np.mean(list(p.values()))) if p else None
                      for a, p in gold_prob.items()}
    vs_random = {n: compare_paired(pooled[f"T{n}"], pooled[f"R{n}"]) for n in s.t3_sizes}
    vs_base = {n: compare_paired(pooled[f"T{n}"], pooled["Base"]) for n in s.t3_sizes}
    findings = [
        Finding("T3.beats_random", combine([c.verdict() for c in vs_random.values()]),
                "; ".join(f"T{n} vs R{n}: {c.text('%', 100)}" for n, c in vs_random.items())),
        Finding("T3.beats_base", combine([c.verdict() for c in vs_base.values()]),
                "; ".join(f"T{n} vs Base: {c.text('%', 100)}" for n, c in vs_base.items())),
    ]
    plot_arms({f"n = {n}": {"selected (T)": 100 * mean[f"T{n}"],
                            "random (R)": 100 * mean[f"R{n}"], "base": 100 * mean["Base"]}
               for n in s.t3_sizes}, ctx.exp_dir(NAME) / "accuracy.png",
              f"Table 3: MMLU accuracy, mean of {len(domains)} domains", "%")
    paper_cols = ["Base", "T100", "R100", "T300", "R300", "T500", "R500"]
    paper_rows = [[f"{m} (paper)", *(v[c] for c in paper_cols)] for m, v in TABLE3.items()]
    ours = [[f"**{ctx.model}** (headprint, mean of {len(domains)} domains)",
             *(100 * mean[a] for a in arms), 100 * mean["Pseudo"]]]
    ours += [[f"{d}", *(100 * r["arms"][a]["accuracy"] for a in arms),
              100 * r["arms"]["Pseudo"]["accuracy"]] for d, r in domains.items()]
    sim_rows = [[d, n, info["mean_score_top"], info["mean_score_random"]]
                for d, r in domains.items() for n, info in r["selection"]["sizes"].items()]
    n_test = {d: r["arms"]["Base"]["n"] for d, r in domains.items()}
    body = ("## Table 3: MMLU accuracy (%) on the private test rows\n\n"
            "The paper (mean of math, physics, chemistry, biology):\n\n"
            + markdown_table(["model", *paper_cols], paper_rows)
            + f"\nheadprint (selection sizes {', '.join(map(str, s.t3_sizes))}; pool "
            f"{s.t3_pool or 'all'} rows per domain; test rows per domain: "
            + ", ".join(f"{d} {n}" for d, n in n_test.items())
            + "; *P*: the model fine-tuned on the pseudo-private rows, which picks the rows):"
            "\n\n" + markdown_table(["model / domain", *arms, "P"], ours)
            + _gold_prob_section(gold_prob, mean_gold_prob, arms, s.t3_sizes)
            + "\n## Pattern similarity of the chosen rows (mean Pearson r with the target)"
            "\n\n" + markdown_table(["domain", "n", "top-n", "random-n"], sim_rows))
    payload = {"mean": mean, "arms": arms,
               "mean_gold_prob": mean_gold_prob,
               "domains": {d: {"arms": {a: {k: v for k, v in r.items()
                                        if k not in ("correct", "gold_prob")}
                                        for a, r in x["arms"].items()},
                               "selection": x["selection"]} for d, x in domains.items()},
               "paper": TABLE3}
    inputs = [p for x in domains.values() for p in x["inputs"]]
    page = write_experiment(ctx, NAME, TITLE, body, findings, payload, inputs,
                            time.perf_counter() - started)
    return {"report": page, "findings": findings, **payload}
