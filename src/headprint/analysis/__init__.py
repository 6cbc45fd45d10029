"""headprint analysis stage: the paper's Section 4 as pure functions over patterns.

Everything exported here takes tensors (torch or numpy; ``[L, H]`` patterns, ``[N, L, H]``
per-sample stacks) and returns numbers or small dataclasses: no model, no files, no
printing. The file-level commands (``headprint stats|compare|similarity|compose|track``)
live in :mod:`headprint.analysis.api`: each computes a typed output
(:mod:`headprint.analysis.outputs`) and saves its JSON; the report stage adds the Markdown
summary and the figures.
"""
from headprint.analysis.baselines import (PermutationBaseline, random_tasks_baseline,
                                          shuffled_heads_baseline)
from headprint.analysis.bootstrap import (BootstrapCI, bootstrap, bootstrap_ci,
                                          bootstrap_distribution, bootstrap_r2,
                                          bootstrap_similarity)
from headprint.analysis.change import change, change_rate, top_changes
from headprint.analysis.composition import (CompositionFit, count_subsets, fit_both,
                                            fit_composition, search_subsets)
from headprint.analysis.distribution import (DistributionStats, coefficient_of_variation,
                                             distribution_stats, gini, kurtosis)
from headprint.analysis.similarity import (SimilarityMatrix, cluster_order, mse, pearson,
                                           similarity_matrix)
from headprint.analysis.tracking import TrackingSeries, series_metrics

__all__ = [
    # distribution (Table 1)
    "gini", "coefficient_of_variation", "kurtosis", "distribution_stats", "DistributionStats",
    # similarity and change (Figures 2 and 5)
    "pearson", "mse", "similarity_matrix", "SimilarityMatrix", "cluster_order",
    "change", "change_rate", "top_changes",
    # composition (Eq. 3, Figure 4) and its null baselines
    "fit_composition", "fit_both", "search_subsets", "count_subsets", "CompositionFit",
    "shuffled_heads_baseline", "random_tasks_baseline", "PermutationBaseline",
    # bootstrap intervals over samples
    "bootstrap", "bootstrap_ci", "bootstrap_distribution", "bootstrap_similarity",
    "bootstrap_r2", "BootstrapCI",
    # checkpoint tracking (Figure 5)
    "series_metrics", "TrackingSeries",
]
