"""The outputs of ``headprint validate``: ``validate.json``, ``validate.md``, the figures and
``report.html`` in the output folder (:func:`write_validation`).

The JSON holds the :class:`~headprint.validation.api.ValidationResult`'s numbers under a
``headprint`` header; ``validate.md`` and the page render them with
``templates/results/validate.j2``.
"""
from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

from headprint import __version__
from headprint.analysis.tables import jsonable
from headprint.io import atomic_write_json
from headprint.report.summaries import write_summary

__all__ = ["write_validation", "VALIDATE_FILE"]

VALIDATE_FILE = "validate.json"


def write_validation(result: Any, out: str | Path) -> Path:
    """Write ``validate.json`` (atomically), the figures, ``validate.md`` and
    ``report.html`` into ``out``; return the JSON's path."""
    from headprint.report.html import build_report
    from headprint.report.validation_figures import plot_ablation_curves, plot_single_head

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    d = jsonable(result.to_dict())
    prov = d["provenance"]
    ps = prov.get("pattern_set") or {}
    name = ps.get("name") or "patterns"
    files = [plot_ablation_curves(d["ks"], d["curves"], out / "curves.png",
                                  f"{prov.get('model')}: {d['ablation']} ablation, "
                                  f"heads ranked by {name} pattern").name]
    if d.get("single_head"):
        files.append(plot_single_head(d["single_head"], out / "single-head.png",
                                      f"{prov.get('model')}: every head ablated alone "
                                      f"({d['ablation']})").name)
    d = {"headprint": {"kind": "validate", "version": __version__,
                       "created": _dt.datetime.now(_dt.timezone.utc).isoformat(
                           timespec="seconds")},
         "files": files,
         "inputs": ([{"path": ps.get("path"), **ps, "num_layers": d["num_layers"],
                      "num_heads": d["num_heads"]}] if ps.get("path") else []),
         **d}
    path = atomic_write_json(out / VALIDATE_FILE, d)
    write_summary("validate", d, out / "validate.md")
    build_report(out, title=f"headprint validate: {name} on {prov.get('model')}")
    return path
