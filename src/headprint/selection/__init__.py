"""headprint selection stage: patterns turned into data decisions (paper Section 5).

- :class:`PatternSimilaritySelector` (Eq. 5): rank pool rows by the correlation of their
  per-sample pattern with a target set's pattern.
- :class:`CompositionMixture` (Eq. 4): a mixture of basic tasks in proportion to their
  composition coefficients.
- :func:`random_baseline`, :func:`random_mixture`, :func:`uniform_mixture`: seeded
  baselines; :func:`rank_by_embedding` (representation similarity, as in RDS+).

File-level calls: :func:`select` (``headprint select --by pattern|embedding|random``) and
:func:`mix_data` (``headprint mix --by composition|random|uniform``).
"""
from headprint.selection.mixture import ZERO_RTOL, CompositionMixture, largest_remainder
from headprint.selection.provenance import SelectionError, check_comparable, check_same_model
from headprint.selection.ranking import (METHODS, Ranking, rank_by_embedding, rank_by_pattern,
                                        rank_randomly)
from headprint.selection.sampling import (draw_rows, random_baseline, random_mixture, tag_row,
                                          uniform_mixture)
from headprint.selection.similarity import (PatternSimilaritySelector, PoolScores, Selection,
                                            pearson_rows, top_n)

__all__ = [
    "PatternSimilaritySelector", "PoolScores", "Selection", "pearson_rows", "top_n",
    "CompositionMixture", "largest_remainder", "ZERO_RTOL",
    "random_baseline", "random_mixture", "uniform_mixture", "draw_rows", "tag_row",
    "METHODS", "Ranking", "rank_by_pattern", "rank_by_embedding", "rank_randomly",
    "select", "SelectionResult", "mix_data",
    "SelectionError", "check_same_model", "check_comparable",
]


def __getattr__(name: str):  # the file-level calls import models lazily
    if name in ("select", "SelectionResult", "mix_data"):
        from headprint.selection import api

        return getattr(api, name)
    raise AttributeError(f"module 'headprint.selection' has no attribute {name!r}")
