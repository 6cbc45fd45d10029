"""Library calls behind ``headprint stats``, ``compare`` and ``similarity``.

Each ``run_*`` loads pattern-set folders, calls the pure functions of this package, and
writes ``<stem>.json`` + ``<stem>.md`` (+ PNG figures) into ``out``. The default ``out`` is
``<common parent of the inputs>/analysis/<command>``. Each returns the JSON payload.
``run_compose`` and ``run_track`` live in :mod:`~headprint.analysis.api_compose` and
:mod:`~headprint.analysis.api_track` and are re-exported here.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from headprint.analysis import inputs
from headprint.analysis.api_compose import run_compose
from headprint.analysis.api_track import run_track
from headprint.analysis.bootstrap import bootstrap_distribution, bootstrap_similarity
from headprint.analysis.change import change, change_rate, top_changes
from headprint.analysis.distribution import distribution_stats
from headprint.analysis.similarity import mse, pearson, similarity_matrix
from headprint.analysis.tables import (check_bootstrap_args, ci_legend, fmt, fmt_ci,
                                       markdown_table, notes_markdown, write_result)
from headprint.errors import UsageError

__all__ = ["run_stats", "run_compare", "run_similarity", "run_compose", "run_track"]


def run_stats(paths: Sequence[str | Path], out: str | Path | None = None, *,
              n_boot: int = 1000, confidence: float = 0.95, seed: int = 0,
              ci_method: str = "basic", figures: bool = True) -> dict[str, Any]:
    """Table 1: Gini, CV and kurtosis of each pattern set, with bootstrap intervals when
    the set holds per-sample patterns. Writes ``stats.json``, ``stats.md`` and one
    ``heatmap-<name>.png`` per set."""
    check_bootstrap_args(n_boot, confidence, ci_method)
    if not paths:
        raise UsageError("stats needs at least one pattern set")
    items = [inputs.load(p) for p in paths]
    inputs.unique_labels(items)
    out = Path(out) if out else inputs.default_out(paths, "stats")
    rows, table, notes, files = [], [], [], []
    for item in items:
        st = distribution_stats(item.patterns.mean)
        cis = (bootstrap_distribution(item.patterns.per_sample, n_boot=n_boot,
                                      confidence=confidence, seed=seed, method=ci_method)
               if item.has_samples and n_boot > 0 else None)
        if cis is None and n_boot > 0:
            notes.append(f"{item.label}: no per-sample patterns, so no intervals")
        notes += [f"{item.label}: {reason}" for reason in st.notes.values()]
        notes += [f"{item.label}, {k}: {ci.warning}" for k, ci in (cis or {}).items()
                  if ci.warning]
        rows.append({"label": item.label, "path": str(item.path), **st.as_dict(), "ci": cis})
        table.append([item.label, item.patterns.model, inputs.data_label(item),
                      item.patterns.manifest.get("n_samples", "?"),
                      *(fmt_ci(getattr(st, k), cis and cis[k]) for k in ("gini", "cv",
                                                                          "kurtosis"))])
        if figures:
            name = f"heatmap-{inputs.slug(item.label)}.png"
            from headprint.report.figures import plot_heatmap

            plot_heatmap(item.patterns.mean, f"Activation pattern: {item.label}\n"
                         f"{item.patterns.model}", out / name)
            files.append(name)
    md = ("# Distribution of activation patterns (Table 1)\n\n"
          "Gini, coefficient of variation (std/mean) and Pearson kurtosis (normal = 3) over "
          "the L·H heads of each pattern. "
          + ci_legend(confidence, ci_method, n_boot, seed) + "\n\n"
          + markdown_table(["pattern set", "model", "data", "N", "Gini", "CV", "kurtosis"],
                           table)
          + "\n" + inputs.inputs_markdown(items) + "\n" + notes_markdown(notes))
    payload = {"params": {"n_boot": n_boot, "confidence": confidence, "seed": seed,
                          "ci_method": ci_method},
               "inputs": [inputs.provenance(i) for i in items], "rows": rows,
               "notes": notes, "files": files}
    return write_result(out, "stats", "stats", payload, md)


def run_compare(a: str | Path, b: str | Path, out: str | Path | None = None, *,
                top: int = 10, n_boot: int = 1000, confidence: float = 0.95, seed: int = 0,
                ci_method: str = "basic", figures: bool = True) -> dict[str, Any]:
    """Correlation and MSE between two pattern sets (e.g. before and after SFT), the heads
    that changed most, and heatmaps of both and of the change ``B − A``."""
    check_bootstrap_args(n_boot, confidence, ci_method)
    items = [inputs.load(a), inputs.load(b)]
    inputs.unique_labels(items)
    inputs.check_compatible(items, "compare")
    ia, ib = items
    out = Path(out) if out else inputs.default_out(
        [a, b], f"compare-{inputs.slug(ia.label)}-vs-{inputs.slug(ib.label)}")
    pa, pb = ia.patterns, ib.patterns
    paired = bool(pa.sample_ids) and pa.sample_ids == pb.sample_ids
    cis = (bootstrap_similarity(pa.per_sample, pb.per_sample, paired=paired, n_boot=n_boot,
                                confidence=confidence, seed=seed, method=ci_method)
           if ia.has_samples and ib.has_samples and n_boot > 0 else None)
    delta = change(pa.mean, pb.mean)
    summary = {"corr": pearson(pa.mean, pb.mean), "mse": mse(pa.mean, pb.mean),
               "mean_a": float(pa.mean.mean()), "mean_b": float(pb.mean.mean()),
               "mean_change": float(delta.mean()),
               "mean_change_rate": float(change_rate(pa.mean, pb.mean).mean()),
               "heads_up": int((delta > 0).sum()), "heads_down": int((delta < 0).sum()),
               "paired_bootstrap": paired, "ci": cis,
               "stats_a": distribution_stats(pa.mean), "stats_b": distribution_stats(pb.mean)}
    heads = top_changes(pa.mean, pb.mean, k=top)
    notes = [] if cis or n_boot == 0 else ["no per-sample patterns in both sets, so no "
                                           "intervals"]
    if pa.manifest.get("data") != pb.manifest.get("data"):
        notes.append("A and B were computed on different data")
    notes += [f"{k}: {ci.warning}" for k, ci in (cis or {}).items() if ci.warning]
    files = []
    if figures:
        from headprint.report.figures import plot_change, plot_heatmap

        for tag, item in (("a", ia), ("b", ib)):
            plot_heatmap(item.patterns.mean, f"{tag.upper()}: {item.label}\n"
                         f"{item.patterns.model}", out / f"heatmap-{tag}.png")
        plot_change(delta, f"Change B − A\n{ib.label} − {ia.label}", out / "change.png")
        files = ["heatmap-a.png", "heatmap-b.png", "change.png"]
    sa, sb = summary["stats_a"], summary["stats_b"]
    md = (f"# Comparison: {ia.label} → {ib.label}\n\n"
          f"A = {ia.label}, B = {ib.label}; {'paired' if paired else 'independent'} "
          "resampling of samples. " + ci_legend(confidence, ci_method, n_boot, seed) + "\n\n"
          + markdown_table(["metric", "value"], [
              ["Pearson r", fmt_ci(summary["corr"], cis and cis["corr"])],
              ["MSE", fmt_ci(summary["mse"], cis and cis["mse"])],
              ["mean score A", summary["mean_a"]], ["mean score B", summary["mean_b"]],
              ["mean change B − A", summary["mean_change"]],
              ["heads up / down", f"{summary['heads_up']} / {summary['heads_down']}"],
              ["Gini A → B", f"{fmt(sa.gini)} → {fmt(sb.gini)}"],
              ["CV A → B", f"{fmt(sa.cv)} → {fmt(sb.cv)}"],
              ["kurtosis A → B", f"{fmt(sa.kurtosis)} → {fmt(sb.kurtosis)}"]])
          + f"\n## Top {len(heads)} changed heads\n\n"
          + markdown_table(["layer", "head", "A", "B", "Δ", "rate"],
                           [[h["layer"], h["head"], h["before"], h["after"], h["delta"],
                             h["rate"]] for h in heads])
          + "\n" + inputs.inputs_markdown(items) + "\n" + notes_markdown(notes))
    payload = {"params": {"top": top, "n_boot": n_boot, "confidence": confidence,
                          "seed": seed, "ci_method": ci_method},
               "inputs": [inputs.provenance(i) for i in items], "summary": summary,
               "top_changes": heads, "notes": notes, "files": files}
    return write_result(out, "compare", "compare", payload, md)


def _similarity_inputs(items: Sequence[Any], names: Sequence[str | None] | None):
    """Load items: each a path, or a (before, after) pair of paths."""
    names = list(names) if names else [None] * len(items)
    loaded, pairs = [], []
    for spec, name in zip(items, names):
        if isinstance(spec, (tuple, list)):
            before, after = (inputs.load(p) for p in spec)
            inputs.check_compatible([before, after], "take the change between")
            loaded.append(inputs.Loaded(after.path, after.patterns, name or after.label))
            pairs.append((before, after))
        else:
            item = inputs.load(spec, name)
            loaded.append(item)
            pairs.append(None)
    if len({p is None for p in pairs}) > 1:
        raise UsageError("similarity inputs must be all pattern sets or all BEFORE,AFTER "
                         "pairs, not a mix")
    return loaded, pairs


def run_similarity(items: Sequence[Any], out: str | Path | None = None, *,
                   names: Sequence[str | None] | None = None, of: str | None = None,
                   figures: bool = True) -> dict[str, Any]:
    """Task × task correlation and MSE matrices (Figure 2), in clustering order.

    Args:
        items: pattern-set folders, or ``(before, after)`` folder pairs.
        names: optional label per item (default: the pattern sets' names).
        of: ``"pattern"`` for folders; for pairs ``"change"`` (Δ) or ``"change-rate"``
            (Δ / before, the default, as in the paper's Figure 2).
    """
    loaded, pairs = _similarity_inputs(items, names)
    if len(loaded) < 2:
        raise UsageError(f"a similarity matrix needs at least two tasks, got {len(loaded)}"
                         + (f" ({loaded[0].label})" if loaded else ""))
    is_pairs = pairs[0] is not None
    of = of or ("change-rate" if is_pairs else "pattern")
    if (of == "pattern") == is_pairs or of not in ("pattern", "change", "change-rate"):
        raise UsageError(f"of={of!r} does not fit the inputs: use 'pattern' for pattern "
                         "sets and 'change' or 'change-rate' for BEFORE,AFTER pairs")
    everything = [p for pair in pairs for p in pair] if is_pairs else loaded
    inputs.check_compatible(everything, "build a similarity matrix of")
    inputs.unique_labels(loaded)
    if is_pairs:
        inputs.unique_labels(everything)
    fn = {"change": change, "change-rate": change_rate}.get(of)
    matrices = [i.patterns.mean if fn is None else fn(p[0].patterns.mean, p[1].patterns.mean)
                for i, p in zip(loaded, pairs)]
    sim = similarity_matrix(matrices, [i.label for i in loaded]).ordered()
    out = Path(out) if out else inputs.default_out(
        [str(i.path) for i in everything],
        "similarity" if of == "pattern" else f"similarity-{of}")
    files = []
    what = {"pattern": "patterns", "change": "changes", "change-rate": "change rates"}[of]
    if figures:
        from headprint.report.figures import plot_similarity

        plot_similarity(sim.corr, sim.names, out / "similarity-corr.png",
                        f"Similarity of {what} (Pearson r)")
        plot_similarity(sim.mse, sim.names, out / "similarity-mse.png",
                        f"Distance between {what} (MSE)", kind="mse")
        files = ["similarity-corr.png", "similarity-mse.png"]
    md = (f"# Task similarity of {what} (Figure 2)\n\n"
          "Pearson correlation and MSE over the L·H heads for every pair; rows and columns "
          "in average-linkage clustering order (distance 1 − r).\n\n## Pearson r\n\n"
          + markdown_table(["", *sim.names], [[n, *row] for n, row in zip(sim.names, sim.corr)])
          + "\n## MSE\n\n"
          + markdown_table(["", *sim.names], [[n, *row] for n, row in zip(sim.names, sim.mse)])
          + "\n" + inputs.inputs_markdown(everything) + "\n" + notes_markdown(sim.notes))
    payload = {"params": {"of": of}, "names": sim.names, "corr": sim.corr, "mse": sim.mse,
               "inputs": [inputs.provenance(i) for i in everything], "notes": sim.notes,
               "files": files}
    return write_result(out, "similarity", "similarity", payload, md)
