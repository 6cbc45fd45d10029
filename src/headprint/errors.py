"""The one base class of headprint's user-facing errors.

Every error that a user can act on (bad input, a missing file, an unsupported model, an
output folder in use) derives from :class:`HeadprintError`. The CLI prints such an error as
one line and exits 2; any other exception is a bug and keeps its traceback.
"""
from __future__ import annotations

__all__ = ["HeadprintError", "UsageError", "EXIT_USER_ERROR", "EXIT_INTERRUPTED"]

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130


class HeadprintError(Exception):
    """An error caused by the user's input or environment; its message says what to do."""


class UsageError(HeadprintError, ValueError):
    """A setting or argument that cannot work (a size below 1, a missing required flag)."""
