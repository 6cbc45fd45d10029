"""Saving analysis results: one JSON (numbers, provenance, parameters) per command; its
Markdown twin and figures come from the report stage.

JSON has no NaN: undefined values become ``null`` and the reason is written next to them,
so any JSON reader (including a browser's ``JSON.parse``) accepts the files.
"""
from __future__ import annotations

import datetime as _dt
import math
from pathlib import Path
from typing import Any

import numpy as np

from headprint import __version__
from headprint.errors import UsageError
from headprint.io import atomic_write_json
# fmt: a number in a sentence (e.g. a finding's evidence); one rule for text and tables.
from headprint.report.formatting import fmt

__all__ = ["fmt", "check_bootstrap_args", "jsonable", "write_result", "RESULT_KIND"]

#: Value of ``payload["headprint"]["kind"]`` in every JSON written here.
RESULT_KIND = "analysis"


def check_bootstrap_args(n_boot: int, confidence: float, method: str) -> None:
    """Reject bad interval settings before any file is loaded (``n_boot = 0``: none)."""
    if n_boot < 0 or not 0 < confidence < 1 or method not in ("basic", "percentile"):
        raise UsageError(f"need n_boot >= 0 (0: no intervals), 0 < confidence < 1 and "
                         f"ci_method 'basic' or 'percentile'; got {n_boot}, {confidence}, "
                         f"{method!r}")


def jsonable(obj: Any) -> Any:
    """Recursively convert numpy/torch values to JSON types; non-finite floats to None."""
    if hasattr(obj, "as_dict"):
        obj = obj.as_dict()
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if hasattr(obj, "detach"):
        obj = obj.detach().cpu().numpy()
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def write_result(out: str | Path, stem: str, output: Any, figures: bool = True
                 ) -> dict[str, Any]:
    """Save an analysis output: ``out/stem.json`` (its numbers, atomically), the figures
    and ``out/stem.md`` (both made by the report stage from the output and its JSON).

    The JSON gains a ``headprint`` header (kind, command, version, creation time) and the
    list of files written, figures first in the order the report shows them, so a reader
    can tell which command made a file. Returns the JSON payload plus ``out``.
    """
    from headprint.report.analysis_figures import draw_analysis
    from headprint.report.summaries import write_summary

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = draw_analysis(output, out) if figures else []
    header = {"kind": RESULT_KIND, "command": output.command, "version": __version__,
              "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
    full = {"headprint": header, **output.to_dict()}
    full["files"] = list(dict.fromkeys([*files, f"{stem}.json", f"{stem}.md"]))
    atomic_write_json(out / f"{stem}.json", full)
    write_summary(output.command, full, out / f"{stem}.md")
    full["out"] = str(out)
    return full
