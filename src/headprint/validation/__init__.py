"""headprint validation: do the head scores mean anything on this model?

:func:`validate` ablates heads at the point the scores read (the input of each attention
output projection) and measures the response loss: curves against the number of heads
ablated for top-scoring, bottom-scoring and random orders, and optionally every head alone
against its score and its signed first-order estimate. ``headprint validate`` is
:func:`run_validate`.
"""
from headprint.validation.api import (ValidateConfig, ValidationResult, run_validate, validate,
                                      validation_rows)
from headprint.validation.errors import (KOutOfRangeError, ModelMismatchError,
                                         NoTargetTokensError, RowOverlapError, ValidationError)

__all__ = ["validate", "ValidationResult", "ValidateConfig", "run_validate", "validation_rows",
           "ValidationError", "ModelMismatchError", "KOutOfRangeError", "NoTargetTokensError",
           "RowOverlapError"]
