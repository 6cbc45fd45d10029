"""headprint experiments: the paper's five experiments, end to end, resumable.

``reproduce(name, model, scale, out)`` (:mod:`headprint.experiments.api`) runs Table 1 (with
Figure 2), Figure 4, Figure 5, Table 2 or Table 3 as a sequence of steps (:mod:`.steps`),
each one call into a stage (patterns, training, selection, evaluation), and returns an
:class:`~headprint.experiments.record.ExperimentResult`: its numbers, one finding per claim
of the paper (:mod:`.paper`, :mod:`.findings`), saved as ``results.json``, from which
:mod:`headprint.report.experiment_pages` makes the page that puts headprint's numbers
beside the paper's. Sizes per scale live in one table (:mod:`.scales`).
"""
from headprint.experiments.api import EXPERIMENTS, reproduce
from headprint.experiments.findings import Finding
from headprint.experiments.record import ExperimentResult
from headprint.experiments.scales import SCALES, Scale, get_scale

__all__ = ["reproduce", "EXPERIMENTS", "Scale", "SCALES", "get_scale", "Finding",
           "ExperimentResult"]
