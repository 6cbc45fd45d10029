"""Writing analysis results: one JSON (numbers, provenance, parameters) plus one Markdown
file (the same results as tables a human reads and ``headprint report`` renders).

JSON has no NaN: undefined values become ``null`` and the reason is written next to them,
so any JSON reader (including a browser's ``JSON.parse``) accepts the files.
"""
from __future__ import annotations

import datetime as _dt
import math
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from headprint import __version__
from headprint.errors import UsageError
from headprint.io import atomic_write_json, atomic_write_text

__all__ = ["fmt", "fmt_ci", "ci_legend", "check_bootstrap_args", "markdown_table",
           "notes_markdown", "jsonable", "write_result", "RESULT_KIND"]

#: Value of ``payload["headprint"]["kind"]`` in every JSON written here.
RESULT_KIND = "analysis"


def fmt(x: Any, digits: int = 4) -> str:
    """A number for a table: 4 significant digits, ``n/a`` when undefined."""
    if x is None:
        return "n/a"
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return str(int(x))
    x = float(x)
    if not math.isfinite(x):
        return "n/a"
    return f"{x:.{digits}g}"


def fmt_ci(estimate: Any, ci: Any | None, digits: int = 4) -> str:
    """``estimate [low, high]`` from a BootstrapCI (or its dict); a ``⚠`` marks an estimate
    outside its interval (see :class:`headprint.analysis.BootstrapCI`)."""
    text = fmt(estimate, digits)
    if ci is None:
        return text
    get = ci.get if isinstance(ci, dict) else (lambda k: getattr(ci, k))
    low, high = get("low"), get("high")
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return text
    flag = " ⚠" if get("warning") else ""
    return f"{text} [{fmt(low, 3)}, {fmt(high, 3)}]{flag}"


def check_bootstrap_args(n_boot: int, confidence: float, method: str) -> None:
    """Reject bad interval settings before any file is loaded (``n_boot = 0``: none)."""
    if n_boot < 0 or not 0 < confidence < 1 or method not in ("basic", "percentile"):
        raise UsageError(f"need n_boot >= 0 (0: no intervals), 0 < confidence < 1 and "
                         f"ci_method 'basic' or 'percentile'; got {n_boot}, {confidence}, "
                         f"{method!r}")


def ci_legend(confidence: float, method: str, n_boot: int, seed: int) -> str:
    """One sentence saying what the brackets and the ⚠ in a table mean."""
    if n_boot == 0:
        return "No bootstrap intervals (n_boot = 0)."
    kind = "bias-corrected (basic)" if method == "basic" else "percentile"
    return (f"Brackets: {confidence:.0%} {kind} bootstrap interval over samples ({n_boot} "
            f"replicates, seed {seed}). ⚠: sampling noise biases this value by more than its "
            "spread, so read the interval rather than the point value.")


def _cell(value: Any) -> str:
    text = value if isinstance(value, str) else fmt(value)
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub-style pipe table; numbers go through :func:`fmt`."""
    lines = ["| " + " | ".join(_cell(c) for c in columns) + " |",
             "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def notes_markdown(lines: Sequence[str]) -> str:
    """A ``## Notes`` bullet list, or nothing when there are no notes."""
    return "## Notes\n\n" + "".join(f"- {n}\n" for n in lines) if lines else ""


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


def write_result(out: str | Path, stem: str, command: str, payload: dict[str, Any],
                 markdown: str) -> dict[str, Any]:
    """Write ``out/stem.json`` and ``out/stem.md`` atomically; return the JSON payload.

    The payload gains a ``headprint`` header (kind, command, version, creation time) and
    the list of files written, so a reader can tell which command made a file.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    header = {"kind": RESULT_KIND, "command": command, "version": __version__,
              "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
    full = {"headprint": header, **jsonable(payload)}
    # Keep the command's order (the report shows figures in it), then the two tables.
    full["files"] = list(dict.fromkeys([*full.get("files", []), f"{stem}.json", f"{stem}.md"]))
    atomic_write_json(out / f"{stem}.json", full)
    atomic_write_text(out / f"{stem}.md", markdown)
    full["out"] = str(out)
    return full
