"""headprint training stage: SFT through trl's SFTTrainer, with pattern tracking.

Entry call: :func:`run_sft` (``headprint sft``) with an :class:`SFTConfig`. The run folder
layout is described in :mod:`headprint.training.api`; tracking in :mod:`.tracking`.
"""
from headprint.training.api import SFTResult, run_sft
from headprint.training.config import ConfigError, SFTConfig
from headprint.training.dataset import DatasetTooSmallError, build_training_set
from headprint.training.runs import RunConflictError

__all__ = ["run_sft", "SFTConfig", "SFTResult", "ConfigError", "DatasetTooSmallError",
           "RunConflictError", "build_training_set"]
