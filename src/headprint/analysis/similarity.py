"""Similarity between patterns (paper Figure 2, Figure 5, Appendix C Eq. 6).

- :func:`pearson`: Pearson correlation over the ``L·H`` entries of two patterns.
- :func:`mse`: mean squared difference over the ``L·H`` entries.
- :func:`similarity_matrix`: both, for every pair of ``K`` patterns, with an order of the
  patterns from hierarchical clustering so that similar tasks sit next to each other in a
  figure (average linkage on the distance ``1 − corr``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from headprint.analysis.arrays import as_array, as_pattern, check_same_shape

__all__ = ["pearson", "pearson_unchecked", "mse", "SimilarityMatrix", "similarity_matrix",
           "cluster_order"]


def pearson_unchecked(a: np.ndarray, b: np.ndarray) -> float:
    """:func:`pearson` of two float arrays with the same number of entries, without
    conversion or shape checks (for loops over many pairs); ``nan`` if either is constant."""
    a = a.ravel() - a.mean()
    b = b.ravel() - b.mean()
    denom = np.sqrt(np.dot(a, a) * np.dot(b, b))
    if denom == 0:
        return float("nan")
    return float(np.clip(np.dot(a, b) / denom, -1.0, 1.0))


def pearson(a: Any, b: Any) -> float:
    """Pearson correlation of the entries of ``a`` and ``b`` (same shape, e.g. ``[L, H]``).

    ``nan`` when either pattern is constant (its variance is 0, so correlation is undefined).
    """
    x, y = as_pattern(a, "a"), as_pattern(b, "b")
    check_same_shape(x, y, "a", "b")
    return pearson_unchecked(x, y)


def mse(a: Any, b: Any) -> float:
    """Mean of ``(a − b)²`` over all entries of two same-shape patterns (e.g. ``[L, H]``)."""
    x, y = as_pattern(a, "a"), as_pattern(b, "b")
    check_same_shape(x, y, "a", "b")
    return float(np.mean((x - y) ** 2))


def cluster_order(corr: Any) -> list[int]:
    """Leaf order of average-linkage clustering on ``1 − corr`` (``corr``: ``[K, K]``).

    Undefined correlations (``nan``, from constant patterns) count as 0 (distance 1):
    they should not pull a pattern towards any cluster. ``K ≤ 2`` keeps the input order.
    """
    c = np.array(corr, dtype=np.float64)
    k = c.shape[0]
    if k <= 2:
        return list(range(k))
    from scipy.cluster.hierarchy import leaves_list, linkage
    from scipy.spatial.distance import squareform

    dist = 1.0 - np.nan_to_num(c, nan=0.0)
    dist = np.clip((dist + dist.T) / 2.0, 0.0, 2.0)  # symmetric, non-negative for scipy
    np.fill_diagonal(dist, 0.0)
    tree = linkage(squareform(dist, checks=False), method="average", optimal_ordering=True)
    return [int(i) for i in leaves_list(tree)]


@dataclass
class SimilarityMatrix:
    """Pairwise similarity of ``K`` patterns.

    Attributes:
        names: ``K`` labels, in input order.
        corr: ``[K, K]`` Pearson correlations (diagonal 1, ``nan`` for constant patterns).
        mse: ``[K, K]`` mean squared differences (diagonal 0).
        order: permutation of ``range(K)`` from hierarchical clustering.
        notes: human-readable remarks (e.g. which patterns are constant).
    """

    names: list[str]
    corr: np.ndarray
    mse: np.ndarray
    order: list[int]
    notes: list[str] = field(default_factory=list)

    def ordered(self) -> "SimilarityMatrix":
        """The same matrix with rows, columns and names in clustering order."""
        o = self.order
        return SimilarityMatrix([self.names[i] for i in o], self.corr[np.ix_(o, o)],
                                self.mse[np.ix_(o, o)], list(range(len(o))), list(self.notes))


def _collect(patterns: Any, names: Sequence[str] | None) -> tuple[list[str], np.ndarray]:
    if isinstance(patterns, Mapping):
        names = list(patterns.keys()) if names is None else list(names)
        patterns = list(patterns.values())
    if isinstance(patterns, (list, tuple)):
        items = [as_pattern(p, f"pattern {i}") for i, p in enumerate(patterns)]
        if names is None:
            names = [f"pattern {i}" for i in range(len(items))]
        for i, item in enumerate(items[1:], start=1):
            check_same_shape(items[0], item, repr(names[0]), repr(names[i]))
        stack = np.stack([i.reshape(-1) for i in items]) if items else np.zeros((0, 1))
    else:
        arr = as_array(patterns, "patterns")
        stack = arr.reshape(arr.shape[0], -1)
        if names is None:
            names = [f"pattern {i}" for i in range(stack.shape[0])]
    names = [str(n) for n in names]
    if len(names) != stack.shape[0]:
        raise ValueError(f"got {len(names)} names for {stack.shape[0]} patterns")
    return names, stack


def similarity_matrix(patterns: Any, names: Sequence[str] | None = None) -> SimilarityMatrix:
    """Correlation and MSE between every pair of patterns.

    Args:
        patterns: ``[K, L, H]`` tensor, a sequence of ``K`` ``[L, H]`` patterns, or a dict
            name -> ``[L, H]`` pattern (names taken from the keys).
        names: labels for the ``K`` patterns (default: the dict keys or ``pattern i``).

    Raises:
        ValueError: fewer than two patterns, shapes differ, or non-finite entries.
    """
    names, x = _collect(patterns, names)
    k = x.shape[0]
    if k < 2:
        raise ValueError(
            f"a similarity matrix needs at least two patterns, got {k}"
            + (f" ({names[0]})" if names else ""))
    corr = np.eye(k)
    dist = np.zeros((k, k))
    notes = [f"{names[i]} is constant: its correlations are undefined"
             for i in range(k) if x[i].max() == x[i].min()]
    for i in range(k):
        if x[i].max() == x[i].min():
            corr[i, i] = np.nan
        for j in range(i + 1, k):
            corr[i, j] = corr[j, i] = pearson_unchecked(x[i], x[j])
            dist[i, j] = dist[j, i] = float(np.mean((x[i] - x[j]) ** 2))
    return SimilarityMatrix(names, corr, dist, cluster_order(corr), notes)
