"""Table 3 (paper Section 5.2): pool rows selected by pattern similarity stand in for
private data, against embedding similarity and random rows, over seeds.

Per MMLU domain (math, physics, chemistry, biology; the paper's Appendix A subject groups):
the domain's test rows are the private data; its dev + validation rows the small
pseudo-private set; the pool is ``t3_pool`` MMLU test rows of every other subject. Per seed:
SFT on the pseudo-private rows (*P*); with that model, the pattern of the pseudo-private
set and the per-sample patterns of the pool; :func:`headprint.selection.api.select` ranks
the pool three ways over the same candidates: by pattern similarity (T_n, Eq. 5), by
embedding similarity with the same model and rows (E_n, as in RDS+) and at random (R_n).
The base model is fine-tuned on each top-n and evaluated on the private test rows
(multiple-choice accuracy by log-likelihood, and the gold choice's probability). The seed
changes the pool draw, every training order and the random rows; arms are reported as
mean ± sd over seeds, averaged over domains as the paper does.
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
from headprint.experiments.findings import Finding, combine
from headprint.experiments.paper import TABLE3
from headprint.experiments.plots import plot_arms
from headprint.experiments.replicates import compare_seeds, format_mean_sd, mean_sd
from headprint.experiments.reporting import write_experiment
from headprint.experiments.table3_report import comparisons_section, cost_section

__all__ = ["run", "NAME", "TITLE", "LETTERS"]

NAME = "table3"
TITLE = "Table 3: selecting pool rows by pattern similarity to a small private-like set"
#: Selection method -> the letter of its arms.
LETTERS = {"pattern": "T", "embedding": "E", "random": "R"}


def _pool(ctx: Context, domain: str, seed: int) -> str:
    """Step writing ``pool.jsonl``: MMLU test rows of the subjects outside ``domain``."""
    from headprint.data import load_data
    from headprint.data.multiple_choice import MMLU_GROUPS
    from headprint.selection.api import write_jsonl

    s = ctx.scale
    settings = {"kind": "pool", "domain": domain, "size": s.t3_pool, "seed": seed}

    def make(folder: Path) -> dict[str, Any]:
        subjects = set(MMLU_GROUPS[domain])
        rows = [r for r in load_data("mmlu", split="test").rows
                if r["meta"]["subject"] not in subjects]
        rows.sort(key=lambda r: hashlib.sha256(f"{seed}:{r['id']}".encode()).hexdigest())
        rows = rows[: s.t3_pool] if s.t3_pool else rows
        write_jsonl(folder / "pool.jsonl", rows)
        return {"n_rows": len(rows), "excluded_subjects": sorted(subjects)}

    return ctx.steps.rel(ctx.steps.run("data", f"t3-{domain}-pool-s{seed}", settings, make))


def _selection(ctx: Context, label: str, by: str, target: str, pool: str, pool_file: str,
               model: str, seed: int) -> str:
    from headprint.selection.api import select

    s = ctx.scale
    settings = {"kind": "selection", "by": by, "target": target, "pool": pool,
                "data": pool_file, "sizes": list(s.t3_sizes), "seed": seed}
    if by == "embedding":
        settings.update(model={"sft": model}, max_length=s.max_length)

    def make(folder: Path) -> dict[str, Any]:
        result = select(folder, s.t3_sizes, by=by, target=ctx.steps.path(target),
                        pool=ctx.steps.path(pool),
                        data=str(ctx.steps.path(pool_file)), seed=seed,
                        model=ctx.model_path(model) if by == "embedding" else None,
                        max_length=s.max_length)
        return {"by": by, "sizes": result.summary["sizes"], "cost": result.summary["cost"],
                "n_candidates": result.summary["n_candidates"],
                "excluded": len(result.summary["excluded_overlap"]),
                "chosen": {str(n): ids for n, ids in result.chosen.items()}}

    return ctx.steps.rel(ctx.steps.run("selection", f"{label}-{by}", settings, make))


def _pattern_r(ctx: Context, selections: dict[str, str]) -> dict[str, dict[str, float]]:
    """Mean Pearson r (pattern similarity) of the rows each method chose, per size."""
    import json

    path = ctx.steps.path(selections["pattern"]) / "scores.jsonl"
    r = {row["id"]: row["score"] for row in map(json.loads, path.read_text().splitlines())}
    out = {}
    for by, step in selections.items():
        chosen = ctx.steps.result(ctx.steps.path(step))["chosen"]
        out[by] = {n: float(np.mean([r[i] for i in ids if r.get(i) is not None] or [np.nan]))
                   for n, ids in chosen.items()}
    return out


def _domain_seed(ctx: Context, domain: str, seed: int) -> dict[str, Any]:
    """Every trained arm of one domain and seed: ``{arm: eval result}`` and selections."""
    s = ctx.scale
    task = f"mmlu:{domain}"
    label = f"t3-{domain}"
    pseudo = blocks.sft(ctx, f"{label}-pseudo-s{seed}", task, s.t3_pseudo, epochs=s.t3_epochs,
                        seed=seed)
    pool_file = f"{_pool(ctx, domain, seed)}/pool.jsonl"
    target = blocks.patterns(ctx, f"{label}-target-s{seed}", task, model=pseudo,
                             limit=s.t3_pseudo)
    pool = blocks.patterns(ctx, f"{label}-pool-s{seed}", pool_file, model=pseudo,
                           per_sample=True)
    selections = {by: _selection(ctx, f"{label}-s{seed}", by, target, pool, pool_file, pseudo,
                                 seed) for by in LETTERS}

    def evaluate(arm: str, model: str) -> dict[str, Any]:
        return blocks.evaluation(ctx, f"{label}-{arm}-s{seed}", task, model=model,
                                 limit=s.t3_test, gold_prob=True)

    results = {"P": evaluate("pseudo", pseudo)}
    ctx.prune_weights(pseudo)
    for n in s.t3_sizes:
        for by, letter in LETTERS.items():
            ref = blocks.sft(ctx, f"{label}-{letter}{n}-s{seed}",
                             f"{selections[by]}/top-{n}.jsonl", None, epochs=s.t3_epochs,
                             seed=seed)
            results[f"{letter}{n}"] = evaluate(f"{letter}{n}", ref)
            ctx.prune_weights(ref)
    return {"arms": results,
            "selections": {by: ctx.steps.result(ctx.steps.path(step))
                           for by, step in selections.items()},
            "pattern_r": _pattern_r(ctx, selections),
            "inputs": [ctx.steps.path(target), ctx.steps.path(pool)]}


def _per_seed(domains: dict, base: dict, arm: str, key: str) -> dict[int, dict[str, float]]:
    """``{seed: {row id: value}}`` of ``arm`` pooled over every domain's test rows."""
    if arm == "Base":
        return {0: {i: float(v) for d in base.values() for i, v in d.get(key, {}).items()}}
    seeds = next(iter(domains.values()))
    return {seed: {i: float(v) for d in domains.values()
                   for i, v in d[seed]["arms"][arm].get(key, {}).items()} for seed in seeds}


def run(ctx: Context) -> dict[str, Any]:
    """Run (or resume) the experiment; return its results."""
    started = time.perf_counter()
    s = ctx.scale
    base = {d: blocks.evaluation(ctx, f"t3-{d}-base", f"mmlu:{d}", limit=s.t3_test,
                                 gold_prob=True) for d in s.t3_domains}
    domains = {d: {seed: _domain_seed(ctx, d, seed) for seed in s.seeds}
               for d in s.t3_domains}
    arms = ["Base", *(f"{LETTERS[by]}{n}" for n in s.t3_sizes for by in LETTERS), "P"]
    # per seed, the mean over domains of each domain's accuracy (the paper's average)
    acc = {a: [float(np.mean([base[d]["accuracy"] for d in domains]))] if a == "Base" else
           [float(np.mean([domains[d][seed]["arms"][a]["accuracy"] for d in domains]))
            for seed in s.seeds] for a in arms}
    correct = {a: _per_seed(domains, base, a, "correct") for a in arms}
    gold = {a: _per_seed(domains, base, a, "gold_prob") for a in arms}

    def versus(a: str, b: str, values: dict = correct):
        return compare_seeds(values[a], values[b], fixed_b=b == "Base")

    def claim(key: str, other: str) -> Finding:
        parts = {n: versus(f"T{n}", f"{other}{n}" if other != "Base" else "Base")
                 for n in s.t3_sizes}
        return Finding(key, combine([c.verdict() for c in parts.values()]),
                       "; ".join(f"T{n} vs {other}{n if other != 'Base' else ''}: "
                                 f"{c.text('%', 100)}" for n, c in parts.items()))

    findings = [claim("T3.beats_random", "R"), claim("T3.beats_embedding", "E"),
                claim("T3.beats_base", "Base")]
    plot_arms({f"n = {n}": {"pattern (T)": 100 * mean_sd(acc[f"T{n}"])[0],
                            "embedding (E)": 100 * mean_sd(acc[f"E{n}"])[0],
                            "random (R)": 100 * mean_sd(acc[f"R{n}"])[0],
                            "base": 100 * acc["Base"][0]} for n in s.t3_sizes},
              ctx.exp_dir(NAME) / "accuracy.png",
              f"Table 3: MMLU accuracy, mean of {len(domains)} domains and "
              f"{len(s.seeds)} seeds", "%")
    paper_cols = ["Base", "T100", "R100", "T300", "R300", "T500", "R500"]
    paper_rows = [[f"{m} (paper)", *(v[c] for c in paper_cols)] for m, v in TABLE3.items()]
    ours = [[f"**{ctx.model}** (headprint, mean of {len(domains)} domains)",
             *(format_mean_sd(acc[a], 100) for a in arms)]]
    for d, per_seed in domains.items():
        ours.append([d, f"{100 * base[d]['accuracy']:.1f}",
                     *(format_mean_sd([r["arms"][a]["accuracy"] for r in per_seed.values()],
                                      100) for a in arms[1:])])
    n_test = {d: b["n"] for d, b in base.items()}
    body = ("## Table 3: MMLU accuracy (%) on the private test rows\n\n"
            "The paper (mean of math, physics, chemistry, biology):\n\n"
            + markdown_table(["model", *paper_cols], paper_rows)
            + f"\nheadprint, mean ± sd over seeds {', '.join(map(str, s.seeds))} (selection "
            f"sizes {', '.join(map(str, s.t3_sizes))}; pool {s.t3_pool or 'all'} rows per "
            "domain; test rows per domain: " + ", ".join(f"{d} {n}" for d, n in n_test.items())
            + "; *T*: pattern similarity (Eq. 5), *E*: embedding similarity, *R*: random, "
            "*P*: the model fine-tuned on the pseudo-private rows, which picks the rows; Base "
            "is not trained, one evaluation):\n\n" + markdown_table(["model / domain", *arms],
                                                                    ours)
            + comparisons_section(s.t3_sizes, correct, gold, versus)
            + cost_section(domains, s.t3_sizes))
    strip = ("correct", "gold_prob")
    payload = {"arms": arms, "seeds": list(s.seeds),
               "summary": {a: {"accuracy": mean_sd(acc[a]), "n_seeds": len(acc[a]),
                               "gold_prob": mean_sd([float(np.mean(list(v.values())))
                                                     for v in gold[a].values() if v])}
                           for a in arms},
               "base": {d: {k: v for k, v in b.items() if k not in strip}
                        for d, b in base.items()},
               "domains": {d: {str(seed): {
                   "arms": {a: {k: v for k, v in r.items() if k not in strip}
                            for a, r in x["arms"].items()},
                   "selections": {by: {k: v for k, v in sel.items() if k != "chosen"}
                                  for by, sel in x["selections"].items()},
                   "pattern_r": x["pattern_r"]} for seed, x in per_seed.items()}
                   for d, per_seed in domains.items()},
               "paper": TABLE3}
    inputs = [p for per_seed in domains.values() for x in per_seed.values()
              for p in x["inputs"]]
    page = write_experiment(ctx, NAME, TITLE, body, findings, payload, inputs,
                            time.perf_counter() - started)
    return {"report": page, "findings": findings, **payload}
