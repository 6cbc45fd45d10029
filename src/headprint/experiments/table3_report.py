"""Markdown sections of Table 3's report: every pairwise comparison of the three selection
methods (accuracy and gold-choice probability, over seeds), and what each method cost.

Pure functions of already computed results: no model, no files.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np

from headprint.analysis.tables import markdown_table
from headprint.experiments.replicates import format_mean_sd

__all__ = ["comparisons_section", "cost_section", "PAIRS"]

#: Comparisons reported at every size: (arm letter, other arm letter or "Base").
PAIRS = (("T", "R"), ("T", "E"), ("E", "R"), ("T", "Base"), ("E", "Base"))


def _arm(letter: str, n: int) -> str:
    return "Base" if letter == "Base" else f"{letter}{n}"


def comparisons_section(sizes: Sequence[int], correct: Mapping[str, Any],
                        gold: Mapping[str, Any], versus: Callable[..., Any]) -> str:
    """Markdown: one row per size and pair, the accuracy comparison (and the gold-choice
    probability's, when every arm has it) with its verdict.

    Args:
        correct, gold: arm -> ``{seed: {row id: value}}``.
        versus: ``versus(a, b, values)`` -> a :class:`SeededComparison`.
    """
    with_gold = all(any(v for v in gold[a].values()) for a in gold)
    rows = []
    for n in sizes:
        for x, y in PAIRS:
            a, b = _arm(x, n), _arm(y, n)
            acc = versus(a, b, correct)
            row = [f"{a} vs {b}", acc.text("%", 100), acc.verdict()]
            if with_gold:
                g = versus(a, b, gold)
                row += [g.text("%", 100, ".2f"), g.verdict()]
            rows.append(row)
    head = ["comparison", "accuracy", "verdict"]
    if with_gold:
        head += ["p(gold choice)", "verdict"]
    means = ""
    if with_gold:
        arms = list(gold)
        means = ("Mean probability of the gold choice (%, mean ± sd over seeds; chance: 100 / "
                 "number of choices), continuous, so it can separate arms whose accuracy "
                 "sits at chance:\n\n" + markdown_table(arms, [[format_mean_sd(
                     [float(np.mean(list(v.values()))) for v in gold[a].values() if v], 100,
                     ".2f") for a in arms]]) + "\n")
    return ("\n## Comparisons over seeds and test rows\n\n"
            "Each arm's rows pooled over the domains; a verdict needs the difference beyond "
            "the noise over test rows (paired, seed-averaged) and beyond the spread between "
            "seeds (Welch). The findings above use accuracy.\n\n"
            + means + "\n" + markdown_table(head, rows))


def cost_section(domains: Mapping[str, Mapping[int, Mapping[str, Any]]],
                 sizes: Sequence[int]) -> str:
    """Markdown: per method, its cost in seconds (mean over domains and seeds: the
    representations plus scoring, model loading excluded) and the mean pattern similarity
    (Pearson r with the target pattern) of the rows it chose at each size."""
    runs = [x for per_seed in domains.values() for x in per_seed.values()]
    rows = []
    for by in ("pattern", "embedding", "random"):
        cost = [float(x["selections"][by]["cost"]["seconds"]) for x in runs]
        r = [[x["pattern_r"][by][str(n)] for x in runs] for n in sizes]
        rows.append([by, f"{np.mean(cost):.2f}", *(format_mean_sd(v, 1, ".3f") for v in r)])
    return ("\n## What each method cost, and how pattern-similar its rows are\n\n"
            "Cost: seconds per selection (mean over domains and seeds), the work the method "
            "needs: for *pattern* the pattern stage's forward and backward passes over the "
            "target and pool rows, for *embedding* forward passes over the same rows, plus "
            "the scoring. Pattern r: mean Pearson r of the chosen rows' patterns with the "
            "target's (mean ± sd over domains and seeds).\n\n"
            + markdown_table(["method", "cost (s)", *(f"pattern r, n = {n}" for n in sizes)],
                             rows))
