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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from headprint.experiments import blocks
from headprint.experiments.context import Context
from headprint.experiments.findings import Finding, combine
from headprint.experiments.paper import TABLE3
from headprint.experiments.record import ExperimentResult, Record, save_experiment
from headprint.experiments.replicates import compare_seeds, mean_sd
from headprint.experiments.table3_comparisons import comparisons, selection_costs

__all__ = ["run", "NAME", "TITLE", "LETTERS", "Table3Numbers"]

NAME = "table3"
TITLE = "Table 3: selecting pool rows by pattern similarity to a small private-like set"
#: Selection method -> the letter of its arms.
LETTERS = {"pattern": "T", "embedding": "E", "random": "R"}


@dataclass
class Table3Numbers(Record):
    """Table 3 on this model.

    Attributes:
        arms: the arms in table order (Base, T/E/R per size, P); ``sizes``, ``seeds``.
        summary: arm -> ``accuracy`` and ``gold_prob`` as ``(mean, sd)`` over seeds of the
            mean over domains, ``n_seeds``.
        domain_summary: domain -> arm -> ``(mean, sd)`` of its accuracy over seeds.
        base: domain -> the base model's evaluation; domains: domain -> seed -> every
            arm's evaluation, the selections (without chosen ids) and ``pattern_r``.
        comparisons: every pairwise comparison over seeds and test rows
            (:func:`~headprint.experiments.table3_comparisons.comparisons`).
        selection_cost: method -> seconds and pattern r of its rows per size.
        paper: the paper's Table 3.
    """

    arms: list[str]
    seeds: list[int]
    summary: dict[str, dict[str, Any]]
    base: dict[str, Any]
    domains: dict[str, Any]
    paper: dict[str, Any]
    sizes: list[int]
    domain_summary: dict[str, dict[str, Any]]
    comparisons: dict[str, Any]
    selection_cost: dict[str, Any]


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


def run(ctx: Context) -> ExperimentResult:
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
    domain_summary = {d: {"Base": mean_sd([base[d]["accuracy"]]),
                          **{a: mean_sd([r["arms"][a]["accuracy"] for r in per_seed.values()])
                             for a in arms[1:]}} for d, per_seed in domains.items()}
    strip = ("correct", "gold_prob")
    numbers = Table3Numbers(
        arms=arms, seeds=list(s.seeds),
        summary={a: {"accuracy": mean_sd(acc[a]), "n_seeds": len(acc[a]),
                     "gold_prob": mean_sd([float(np.mean(list(v.values())))
                                           for v in gold[a].values() if v])}
                 for a in arms},
        base={d: {k: v for k, v in b.items() if k not in strip} for d, b in base.items()},
        domains={d: {str(seed): {
            "arms": {a: {k: v for k, v in r.items() if k not in strip}
                     for a, r in x["arms"].items()},
            "selections": {by: {k: v for k, v in sel.items() if k != "chosen"}
                           for by, sel in x["selections"].items()},
            "pattern_r": x["pattern_r"]} for seed, x in per_seed.items()}
            for d, per_seed in domains.items()},
        paper=TABLE3, sizes=list(s.t3_sizes), domain_summary=domain_summary,
        comparisons=comparisons(s.t3_sizes, correct, gold, versus),
        selection_cost=selection_costs(domains, s.t3_sizes))
    inputs = [p for per_seed in domains.values() for x in per_seed.values()
              for p in x["inputs"]]
    return save_experiment(ctx, NAME, TITLE, numbers, findings, inputs,
                           time.perf_counter() - started)
