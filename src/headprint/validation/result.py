"""The typed result of :func:`headprint.validation.validate` (``headprint.validate``).

It holds numbers only; ``plot()`` and the notebook view are drawn by
:mod:`headprint.report.validation_figures` and :mod:`headprint.report.notebook_extra`
(stages compute, ``report/`` presents).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

__all__ = ["ValidationResult"]


@dataclass
class ValidationResult:
    """What :func:`validate` measured. Losses are per-row mean response-token losses
    (``--loss sample``), averaged over rows.

    Attributes:
        ablation: ``zero`` or ``mean``.
        sample_ids: the validation rows, in the order of the per-row arrays.
        ks: numbers of heads ablated; ``ks[0] = 0``, ``ks[-1] = L·H``.
        curves: ``top``, ``bottom``, ``random_mean``, ``random_sd`` (over seeds, ddof 1) and
            ``random`` (one curve per seed), each a list over ``ks``.
        summary: see :func:`headprint.validation.curves.curve_summary`.
        tests: paired test of top-first against random over rows at each k.
        single_head: with ``single_head``: per-head actual loss change, first-order
            estimate, pattern score and their correlations.
        provenance: model, fingerprint, pattern set, rows, overlap.
        row_losses: ``{"top": [K, N], "bottom": [K, N], "random": [S, K, N]}`` (numpy;
            not in :meth:`to_dict`).
    """

    ablation: str
    sample_ids: list[str]
    ks: list[int]
    curves: dict[str, Any]
    summary: dict[str, Any]
    tests: list[dict[str, Any]]
    num_layers: int
    num_heads: int
    seeds: int
    single_head: dict[str, Any] | None = None
    provenance: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    row_losses: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Everything but ``row_losses`` (the numbers ``validate.json`` holds)."""
        out = asdict(self)
        out.pop("row_losses")
        return out

    def plot(self):
        """Ablation curves (a matplotlib ``Figure``): top-first, bottom-first, random."""
        from headprint.report.validation_figures import ablation_curves_figure

        return ablation_curves_figure(self.ks, self.curves,
                                      f"Loss with heads ablated ({self.ablation} ablation)")

    def _repr_html_(self) -> str:
        from headprint.report.notebook_extra import validation_html

        return validation_html(self)
