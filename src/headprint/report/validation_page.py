"""The page of ``headprint validate``: ``validate.json``, ``validate.md``, figures and
``report.html`` in the output folder (:func:`write_validation`)."""
from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

from headprint import __version__
from headprint.analysis.tables import jsonable, markdown_table
from headprint.io import atomic_write_json, atomic_write_text

__all__ = ["write_validation", "validation_markdown", "VALIDATE_FILE"]

VALIDATE_FILE = "validate.json"


def _p(v: Any) -> str:
    return "n/a" if v is None else (f"{v:.2g}" if v < 0.001 else f"{v:.3f}")


def _n(v: Any, spec: str = ".4f") -> str:
    return "n/a" if v is None else f"{v:{spec}}"


def validation_markdown(d: dict[str, Any]) -> str:
    """Summary, curve table and per-head table of a ``validate.json`` dictionary."""
    s, prov = d["summary"], d["provenance"]
    ps = prov.get("pattern_set") or {}
    lines = [f"# Causal validation of head scores ({d['ablation']} ablation)", "",
             f"Model `{prov.get('model')}`; pattern set `{ps.get('name')}` "
             f"({ps.get('n_samples')} rows of {_source(ps.get('data'))}); "
             f"{prov.get('n_rows')} validation rows; {d['num_layers']}×{d['num_heads']} "
             f"heads; {d['seeds']} random orders. Overlap with the pattern's rows: "
             f"{prov.get('n_overlap')} rows" + (" (allowed by --allow-overlap)"
                                               if prov.get("n_overlap") else "") + ".", "",
             "## Summary", "",
             markdown_table(["measure", "value"], [
                 ["loss, no head ablated", _n(s.get("loss_0"))],
                 ["loss, every head ablated", _n(s.get("loss_all"))],
                 ["area between top-first and random curves (k/(L·H) on [0,1], loss "
                  "rescaled so that no head = 0, all heads = 1)",
                  _n(s.get("area_top_vs_random"), "+.3f")],
                 ["same, equal weight per k interval",
                  _n(s.get("area_top_vs_random_per_interval"), "+.3f")],
                 ["area between bottom-first and random curves",
                  _n(s.get("area_bottom_vs_random"), "+.3f")],
                 ["smallest k reaching 50 % of the all-heads rise: top-first",
                  s.get("k50_top")],
                 ["… random orders (mean curve)", s.get("k50_random")],
                 ["… bottom-first", s.get("k50_bottom")]]), "",
             "## Curves", "",
             "Mean response loss over the rows; the paired test compares each row's "
             "top-first loss with its mean over the random orders.", "",
             markdown_table(["k", "top-first", "bottom-first", "random mean", "random sd",
                             "top − random", "t", "p (t-test)", "p (Wilcoxon)"],
                            [[k, _n(t), _n(b), _n(r), _n(sd), _n(x["mean_diff"], "+.4f"),
                              _n(x["t"], ".2f"), _p(x["p_ttest"]), _p(x["p_wilcoxon"])]
                             for k, t, b, r, sd, x in zip(
                                 d["ks"], d["curves"]["top"], d["curves"]["bottom"],
                                 d["curves"]["random_mean"], d["curves"]["random_sd"],
                                 d["tests"])])]
    single = d.get("single_head")
    if single:
        rows = []
        for label, key in (("actual Δ vs first-order estimate", "vs_estimate"),
                           ("actual Δ vs pattern score", "vs_score"),
                           ("|actual Δ| vs pattern score", "abs_vs_score"),
                           ("scores on these rows vs pattern score", "score_rows_vs_score")):
            c = single[key]
            rows.append([label, _n(c["spearman"], ".3f"), _p(c["spearman_p"]),
                         _n(c["pearson"], ".3f"), _p(c["pearson_p"])])
        lines += ["", "## Every head ablated alone", "",
                  f"{len(single['sample_ids'])} rows; loss with no head ablated "
                  f"{_n(single['loss_0'])}. The estimate's sign matches the actual change's "
                  f"for {_n(single['sign_agreement'], '.0%')} of the heads; largest |actual − estimate| {_n(single['max_abs_error'])}.",
                  "", markdown_table(["correlation over heads", "Spearman", "p", "Pearson",
                                      "p"], rows),
                  "### Heads whose ablation raises the loss most", "",
                  markdown_table(["layer", "head", "actual Δ", "estimate", "score",
                                  "score rank"],
                                 [[h["layer"], h["head"], _n(h["actual"], "+.4f"),
                                   _n(h["estimate"], "+.4f"), _n(h["score"], ".3g"),
                                   h["score_rank"]] for h in single["top_heads"]])]
    secs = d.get("seconds") or {}
    lines += ["", "Time: " + ", ".join(f"{k} {v:.0f} s" for k, v in secs.items()), ""]
    return "\n".join(lines) + "\n"


def _source(data: Any) -> str:
    if isinstance(data, dict):
        return f"{data.get('source')} ({data.get('split') or 'file'})"
    return str(data)


def write_validation(result: Any, out: str | Path) -> Path:
    """Write ``validate.json`` (atomically), ``validate.md``, the figures and
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
    atomic_write_text(out / "validate.md", validation_markdown(d))
    build_report(out, title=f"headprint validate: {name} on {prov.get('model')}")
    return path
