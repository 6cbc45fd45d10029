"""The one error type of the data stage.

Every problem with user data or a task name raises :class:`DataError` with a message that
names *where* (file and line, row id, task name) and *what* (the missing or bad field, the
known tasks or splits). It subclasses ``ValueError`` so callers that only know the standard
exceptions still catch it; a missing file raises the standard ``FileNotFoundError`` instead.
"""
from __future__ import annotations

from headprint.errors import HeadprintError

__all__ = ["DataError"]


class DataError(HeadprintError, ValueError):
    """Bad data, an unknown task or split, or an unusable tokenizer for the given rows."""
