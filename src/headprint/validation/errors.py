"""User-facing errors of ``headprint validate``: each names the problem in one line.

They derive from :class:`headprint.errors.HeadprintError` and, so that a CLI that still only
catches ``ValueError`` prints them as one line too, from ``ValueError``.
"""
from __future__ import annotations

from headprint.errors import HeadprintError

__all__ = ["ValidationError", "ModelMismatchError", "KOutOfRangeError", "NoTargetTokensError",
           "RowOverlapError"]


class ValidationError(HeadprintError, ValueError):
    """Bad input to ``validate``."""


class ModelMismatchError(ValidationError):
    """The pattern set was computed on other weights than the model given."""


class KOutOfRangeError(ValidationError):
    """A number of heads to ablate is negative or larger than L×H."""


class NoTargetTokensError(ValidationError):
    """No validation row has a response token left (within ``max_length``)."""


class RowOverlapError(ValidationError):
    """Validation rows overlap the rows the pattern set was computed on."""
