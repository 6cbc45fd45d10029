"""headprint experiments: the paper's five experiments, end to end, resumable.

``reproduce(name, model, scale, out)`` (:mod:`headprint.experiments.api`) runs Table 1 (with
Figure 2), Figure 4, Figure 5, Table 2 or Table 3 as a sequence of steps (:mod:`.steps`),
each one call into a stage (patterns, training, selection, evaluation), and writes a report
per experiment that puts headprint's numbers beside the paper's (:mod:`.paper`,
:mod:`.findings`). Sizes per scale live in one table (:mod:`.scales`).
"""
from headprint.experiments.api import EXPERIMENTS, reproduce
from headprint.experiments.findings import Finding
from headprint.experiments.scales import SCALES, Scale, get_scale

__all__ = ["reproduce", "EXPERIMENTS", "Scale", "SCALES", "get_scale", "Finding"]
