"""Stable digests of JSON-ready values: the one hashing rule behind every recorded key.

:func:`stable_hash` is ``sha256`` (hex) of ``json.dumps(value, sort_keys=True,
default=str)`` encoded as UTF-8; values that are not JSON types (paths, dtypes) hash as
their ``str``. Three spellings of that JSON are in use, and each stays exactly as it was,
because folders and files already on disk are keyed by these digests and a changed digest
would orphan them:

==============================  ===========================  ==============================
caller                          ``stable_hash`` arguments    JSON spelling
==============================  ===========================  ==============================
pattern run key, shard          (defaults)                   ``{"a": 1, "b": [1, 2]}``;
metadata, SFT ``run_key``,                                   non-ASCII as ``\\uXXXX``
sample-id digest
experiment step folder          ``compact=True``             ``{"a":1,"b":[1,2]}``
(``<label>-<key[:10]>``)
data fingerprint                ``compact=True,``            compact, non-ASCII kept as
(``DataBundle.fingerprint``)    ``ensure_ascii=False``       UTF-8
==============================  ===========================  ==============================

``tests/test_hashing.py`` pins one golden digest per spelling, computed with ``hashlib``
directly, so a change to this function that would invalidate recorded keys fails there.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["stable_hash", "canonical_json"]


def canonical_json(value: Any, *, compact: bool = False, ensure_ascii: bool = True) -> str:
    """``value`` as JSON with sorted keys (``str`` for non-JSON types).

    Args:
        compact: separators ``(",", ":")`` instead of json's default ``(", ", ": ")``.
        ensure_ascii: escape non-ASCII characters (json's default) or keep them.
    """
    separators = (",", ":") if compact else None
    return json.dumps(value, sort_keys=True, default=str, separators=separators,
                      ensure_ascii=ensure_ascii)


def stable_hash(value: Any, *, compact: bool = False, ensure_ascii: bool = True) -> str:
    """sha256 hex digest (64 characters) of :func:`canonical_json` of ``value``.

    The same value gives the same digest in every process and on every machine (key order
    does not matter); see the module docstring for which caller uses which spelling.
    """
    text = canonical_json(value, compact=compact, ensure_ascii=ensure_ascii)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
