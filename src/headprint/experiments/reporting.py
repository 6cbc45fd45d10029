"""Writing an experiment's outputs: Markdown tables, results JSON, its HTML page, the index.

``DIR/<name>/`` receives ``report.md`` (headprint's numbers beside the paper's, one line per
finding), ``results.json`` (every number, the findings, the steps used, provenance of the
pattern sets under ``inputs``) and ``report.html`` (:func:`headprint.report.build_report`
over the folder, figures embedded). ``DIR/index.html`` links every experiment in ``DIR``.
"""
from __future__ import annotations

import datetime as _dt
import html
import json
import platform
import shlex
from pathlib import Path
from typing import Any, Sequence

from headprint import __version__
from headprint.analysis.tables import jsonable
from headprint.experiments.context import Context
from headprint.experiments.findings import Finding, findings_markdown
from headprint.experiments.paper import CITATION
from headprint.io import atomic_write_json, atomic_write_text

__all__ = ["write_experiment", "write_index", "command_line", "pattern_inputs"]


def command_line(name: str, ctx: Context) -> str:
    return (f"headprint reproduce {name} --model {shlex.quote(ctx.model)} --scale "
            f"{ctx.scale.name} --out {shlex.quote(str(ctx.out))}")


def pattern_inputs(folders: Sequence[Path]) -> list[dict[str, Any]]:
    """Provenance entries (read by the report's provenance table) for pattern-set folders."""
    rows = []
    for folder in folders:
        m = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))
        rows.append({"path": str(folder), **{k: m.get(k) for k in (
            "model", "model_fingerprint", "method", "loss", "data", "split", "n_samples",
            "num_layers", "num_heads", "task", "step", "created")}})
    return rows


def write_experiment(ctx: Context, name: str, title: str, body_md: str,
                     findings: Sequence[Finding], payload: dict[str, Any],
                     inputs: Sequence[Path] = (), seconds: float | None = None) -> Path:
    """Write ``report.md``, ``results.json`` and ``report.html`` into ``DIR/<name>``;
    refresh ``DIR/index.html``. Returns the HTML page's path."""
    from headprint.report import build_report

    folder = ctx.exp_dir(name)
    steps = {"ran": list(ctx.steps.ran), "reused": list(ctx.steps.reused)}
    timing = f"{seconds / 60:.1f} min" if seconds is not None else "n/a"
    cost = ctx.steps.cost(steps["ran"] + steps["reused"])
    header = (f"# {title}\n\n"
              f"Model `{ctx.model}` ({ctx.fingerprint[:23]}), scale **{ctx.scale.name}**, "
              f"headprint {__version__}. Paper: {CITATION}\n\n"
              f"Command: `{command_line(name, ctx)}` — this call took {timing} "
              f"({len(steps['ran'])} steps ran, {len(steps['reused'])} reused from "
              f"`{ctx.steps.root}`). From scratch its steps take "
              f"{cost['seconds'] / 60:.1f} min ({cost['cpu_seconds'] / 60:.1f} CPU-min), "
              f"summed over the runs that made them.\n\n")
    notes = "".join(f"- scale note: {n}\n" for n in ctx.scale.notes)
    md = header + findings_markdown(findings, ctx.model) + body_md + ("\n" + notes if notes
                                                                     else "")
    atomic_write_text(folder / "report.md", md)
    results = {
        "headprint": {"kind": "experiment", "command": command_line(name, ctx),
                      "version": __version__, "python": platform.python_version(),
                      "created": _dt.datetime.now(_dt.timezone.utc).isoformat(
                          timespec="seconds")},
        "experiment": name, "model": ctx.model, "model_fingerprint": ctx.fingerprint,
        "scale": ctx.scale.as_dict(), "seconds": seconds, "steps": steps,
        "steps_cost": cost,
        "findings": [f.as_dict() for f in findings], "inputs": pattern_inputs(inputs),
        **jsonable(payload)}
    atomic_write_json(folder / "results.json", results)
    page = build_report(folder, title=f"headprint reproduce {name}: {title}")
    write_index(ctx.out)
    return page


_STYLE = ("body{font:15px/1.5 system-ui,sans-serif;margin:32px auto;max-width:1100px;"
          "color:#1d232b;padding:0 20px}h1{font-size:24px}h2{font-size:19px;margin-top:28px}"
          "li{margin:3px 0}.v{font-weight:600}.reproduced{color:#1a7f37}"
          ".inconclusive{color:#9a6700}.not{color:#cf222e}.muted{color:#5b6573}")


def _css_class(verdict: str) -> str:
    return verdict.split()[0]


def write_index(out: str | Path) -> Path:
    """``DIR/index.html``: one section per experiment found in ``DIR`` with its findings."""
    out = Path(out)
    sections = []
    for results_file in sorted(out.glob("*/results.json")):
        try:
            r = json.loads(results_file.read_text(encoding="utf-8"))
        except ValueError:
            continue
        if r.get("headprint", {}).get("kind") != "experiment":
            continue
        name = r["experiment"]
        minutes = f"{r['seconds'] / 60:.1f} min" if r.get("seconds") else "n/a"
        items = "".join(
            f'<li><span class="v {_css_class(f["verdict"])}">{html.escape(f["verdict"])}'
            f"</span> — {html.escape(f['where'])}: {html.escape(f['statement'])} "
            f'<span class="muted">{html.escape(f["evidence"])}</span></li>'
            for f in r.get("findings", []))
        figure = r.get("index_figure")  # an experiment's one figure shown on the index
        image = (f'<p><img src="{html.escape(name)}/{html.escape(figure)}" '
                 f'alt="{html.escape(name)}" style="max-width:100%"></p>' if figure else "")
        sections.append(
            f'<h2><a href="{html.escape(name)}/report.html">{html.escape(name)}</a></h2>'
            f'<p class="muted">model {html.escape(str(r.get("model")))}, scale '
            f'{html.escape(str(r.get("scale", {}).get("name")))}, {minutes}; '
            f"<code>{html.escape(r['headprint']['command'])}</code></p><ul>{items}</ul>{image}")
    body = "".join(sections) or "<p>No experiment has finished in this folder yet.</p>"
    page = (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>headprint reproduce: {html.escape(out.name)}</title>"
            f"<style>{_STYLE}</style></head><body><h1>headprint: the paper's experiments"
            f"</h1><p class=\"muted\">{html.escape(CITATION)}</p>{body}</body></html>\n")
    return atomic_write_text(out / "index.html", page)
