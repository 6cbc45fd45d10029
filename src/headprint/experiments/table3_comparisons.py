"""Table 3's numbers beyond the main table: every pairwise comparison of the three
selection methods (accuracy and gold-choice probability, over seeds), and what each method
cost.

Pure functions of already computed results: no model, no files, no text layout (the
report's ``experiments/table3.j2`` lays them out).
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np

from headprint.experiments.replicates import mean_sd

__all__ = ["comparisons", "selection_costs", "PAIRS", "METHODS"]

#: Comparisons reported at every size: (arm letter, other arm letter or "Base").
PAIRS = (("T", "R"), ("T", "E"), ("E", "R"), ("T", "Base"), ("E", "Base"))
METHODS = ("pattern", "embedding", "random")


def _arm(letter: str, n: int) -> str:
    return "Base" if letter == "Base" else f"{letter}{n}"


def comparisons(sizes: Sequence[int], correct: Mapping[str, Any], gold: Mapping[str, Any],
                versus: Callable[..., Any]) -> dict[str, Any]:
    """Every pair of :data:`PAIRS` at every size, on accuracy and (when every arm has it)
    on the gold choice's probability.

    Args:
        correct, gold: arm -> ``{seed: {row id: value}}``.
        versus: ``versus(a, b, values)`` -> a :class:`SeededComparison`.

    Returns:
        ``{"with_gold": bool, "rows": [{"pair", "accuracy", "verdict", "gold"?,
        "gold_verdict"?}]}``: each comparison as its evidence text and verdict.
    """
    with_gold = all(any(v for v in gold[a].values()) for a in gold)
    rows = []
    for n in sizes:
        for x, y in PAIRS:
            a, b = _arm(x, n), _arm(y, n)
            acc = versus(a, b, correct)
            row = {"pair": f"{a} vs {b}", "accuracy": acc.text("%", 100),
                   "verdict": acc.verdict()}
            if with_gold:
                g = versus(a, b, gold)
                row.update(gold=g.text("%", 100, ".2f"), gold_verdict=g.verdict())
            rows.append(row)
    return {"with_gold": with_gold, "rows": rows}


def selection_costs(domains: Mapping[str, Mapping[int, Mapping[str, Any]]],
                    sizes: Sequence[int]) -> dict[str, dict[str, Any]]:
    """Per method: its cost in seconds (mean over domains and seeds: the representations
    plus scoring, model loading excluded) and the ``(mean, sd)`` over domains and seeds of
    the pattern similarity (Pearson r with the target pattern) of the rows it chose, per
    size."""
    runs = [x for per_seed in domains.values() for x in per_seed.values()]
    return {by: {"seconds": float(np.mean([float(x["selections"][by]["cost"]["seconds"])
                                           for x in runs])),
                 "pattern_r": {str(n): mean_sd([x["pattern_r"][by][str(n)] for x in runs])
                               for n in sizes}}
            for by in METHODS}
