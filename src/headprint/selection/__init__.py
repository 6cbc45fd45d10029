"""headprint selection stage: patterns turned into data decisions (paper Section 5).

- :class:`PatternSimilaritySelector` (Eq. 5): rank pool rows by the correlation of their
  per-sample pattern with a target set's pattern.
- :class:`CompositionMixture` (Eq. 4): a mixture of basic tasks in proportion to their
  composition coefficients.
- :func:`random_baseline`, :func:`random_mixture`: the seeded baselines of each.

File-level calls (``headprint select``, ``headprint mix``) live in
:mod:`headprint.selection.api`.
"""
from headprint.selection.mixture import ZERO_RTOL, CompositionMixture, largest_remainder
from headprint.selection.provenance import SelectionError, check_comparable, check_same_model
from headprint.selection.sampling import draw_rows, random_baseline, random_mixture, tag_row
from headprint.selection.similarity import (PatternSimilaritySelector, PoolScores, Selection,
                                            pearson_rows, top_n)

__all__ = [
    "PatternSimilaritySelector", "PoolScores", "Selection", "pearson_rows", "top_n",
    "CompositionMixture", "largest_remainder", "ZERO_RTOL",
    "random_baseline", "random_mixture", "draw_rows", "tag_row",
    "SelectionError", "check_same_model", "check_comparable",
]
