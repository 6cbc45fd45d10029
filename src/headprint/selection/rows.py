"""Rows in and out of the selection stage: reading a data spec (or the data a pattern set
records), writing training files (``.jsonl``, atomically) and the provenance of pattern sets
that every decision record carries.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Sequence

from headprint.io import atomic_write_text
from headprint.selection.provenance import SelectionError

__all__ = ["write_jsonl", "load_rows", "provenance"]


def write_jsonl(path: str | Path, rows: Sequence[Mapping[str, Any]]) -> Path:
    """Write rows as JSON lines, atomically."""
    return atomic_write_text(path, "".join(json.dumps(r, ensure_ascii=False, default=str)
                                           + "\n" for r in rows))


def load_rows(spec: str | None, pattern_set: Any = None, limit: int | None = None
              ) -> list[dict]:
    """Rows of a data spec (task name, ``task:split`` or file), or of the data recorded in
    ``pattern_set``'s manifest when ``spec`` is None (with the split, limit and seed it
    records, so that exactly the rows the patterns were computed on come back); ``limit``
    as in ``load_data``."""
    from headprint.data import load_data

    if spec is None:
        data = (pattern_set.manifest.get("data") if pattern_set is not None else None) or {}
        source = data.get("source") if isinstance(data, dict) else data
        if not source:
            raise SelectionError("no --data given and the pattern set does not record its data")
        if not isinstance(data, dict):
            return list(load_data(source).rows)
        kept = {k: data[k] for k in ("split", "limit", "seed") if data.get(k) is not None}
        if kept.get("split") and ":" in source and source.rsplit(":", 1)[1] == kept["split"]:
            kept.pop("split")  # the source names its split already
        return list(load_data(source, **kept).rows)
    return list(load_data(spec, limit=limit).rows)


def provenance(pattern_set: Any, path: str | Path) -> dict[str, Any]:
    """What a decision was made from: path, model, fingerprint, method, data, size, and
    the seconds the pattern stage spent computing the set (its share of the method's cost)."""
    m = pattern_set.manifest
    return {"path": str(path), "name": pattern_set.name, "model": m.get("model"),
            "model_fingerprint": m.get("model_fingerprint"), "method": m.get("method"),
            "loss": m.get("loss"), "data": m.get("data"), "n_samples": m.get("n_samples"),
            "seconds": m.get("seconds")}
