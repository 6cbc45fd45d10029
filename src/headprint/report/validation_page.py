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
    ``report.html`` into ``out``; return the JSON's path.

    The JSON is written first: the numbers cost the forward passes, the figures do not, so a
    failure while drawing (a missing plotting backend, a full disk) never loses them.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    d = jsonable(result.to_dict())
    prov = d["provenance"]
    ps = prov.get("pattern_set") or {}
    name = ps.get("name") or "patterns"
    files = ["curves.png"] + (["single-head.png"] if d.get("single_head") else [])
    d = {"headprint": {"kind": "validate", "version": __version__,
                       "created": _dt.datetime.now(_dt.timezone.utc).isoformat(
                           timespec="seconds")},
         "files": files,
         "inputs": ([{"path": ps.get("path"), **ps, "num_layers": d["num_layers"],
                      "num_heads": d["num_heads"]}] if ps.get("path") else []),
         **d}
    path = atomic_write_json(out / VALIDATE_FILE, d)

    from headprint.report.html import build_report
    from headprint.report.validation_figures import plot_ablation_curves, plot_single_head

    plot_ablation_curves(d["ks"], d["curves"], out / files[0],
                         f"{prov.get('model')}: {d['ablation']} ablation, "
                         f"heads ranked by {name} pattern")
    if d.get("single_head"):
        plot_single_head(d["single_head"], out / files[1],
                         f"{prov.get('model')}: every head ablated alone ({d['ablation']})")
    write_summary("validate", d, out / "validate.md")
    build_report(out, title=f"headprint validate: {name} on {prov.get('model')}")
    return path
