"""Library calls behind ``headprint stats``, ``compare`` and ``similarity``.

Each ``compute_*`` loads pattern-set folders, calls the pure functions of this package and
returns a typed output (:mod:`headprint.analysis.outputs`); each ``run_*`` computes and
saves it (:func:`~headprint.analysis.tables.write_result`: ``<stem>.json``, and from the
report stage ``<stem>.md`` and PNG figures) into ``out``. The default ``out`` is
``<common parent of the inputs>/analysis/<command>``. Each ``run_*`` returns the JSON
payload. ``run_compose`` and ``run_track`` live in :mod:`~headprint.analysis.api_compose`
and :mod:`~headprint.analysis.api_track` and are re-exported here.
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
from headprint.analysis.outputs import CompareOutput, SimilarityOutput, StatsOutput
from headprint.analysis.similarity import mse, pearson, similarity_matrix
from headprint.analysis.tables import check_bootstrap_args, write_result
from headprint.errors import UsageError

__all__ = ["run_stats", "run_compare", "run_similarity", "run_compose", "run_track",
           "compute_stats", "compute_compare", "compute_similarity"]


def compute_stats(paths: Sequence[str | Path], *, n_boot: int = 1000,
                  confidence: float = 0.95, seed: int = 0, ci_method: str = "basic"
                  ) -> StatsOutput:
    """Table 1: Gini, CV and kurtosis of each pattern set, with bootstrap intervals when
    the set holds per-sample patterns."""
    check_bootstrap_args(n_boot, confidence, ci_method)
    if not paths:
        raise UsageError("stats needs at least one pattern set")
    items = [inputs.load(p) for p in paths]
    inputs.unique_labels(items)
    rows, notes = [], []
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
    params = {"n_boot": n_boot, "confidence": confidence, "seed": seed,
              "ci_method": ci_method}
    return StatsOutput(params, [inputs.provenance(i) for i in items], rows, notes,
                       patterns={i.label: i.patterns.mean for i in items})


def run_stats(paths: Sequence[str | Path], out: str | Path | None = None, *,
              n_boot: int = 1000, confidence: float = 0.95, seed: int = 0,
              ci_method: str = "basic", figures: bool = True) -> dict[str, Any]:
    """:func:`compute_stats`, saved: ``stats.json``, ``stats.md`` and one
    ``heatmap-<name>.png`` per set."""
    output = compute_stats(paths, n_boot=n_boot, confidence=confidence, seed=seed,
                           ci_method=ci_method)
    out = Path(out) if out else inputs.default_out(paths, "stats")
    return write_result(out, "stats", output, figures)


def compute_compare(a: str | Path, b: str | Path, *, top: int = 10, n_boot: int = 1000,
                    confidence: float = 0.95, seed: int = 0, ci_method: str = "basic"
                    ) -> CompareOutput:
    """Correlation and MSE between two pattern sets (e.g. before and after SFT), with
    intervals when both hold per-sample patterns, and the heads that changed most."""
    check_bootstrap_args(n_boot, confidence, ci_method)
    items = [inputs.load(a), inputs.load(b)]
    inputs.unique_labels(items)
    inputs.check_compatible(items, "compare")
    pa, pb = items[0].patterns, items[1].patterns
    paired = bool(pa.sample_ids) and pa.sample_ids == pb.sample_ids
    cis = (bootstrap_similarity(pa.per_sample, pb.per_sample, paired=paired, n_boot=n_boot,
                                confidence=confidence, seed=seed, method=ci_method)
           if items[0].has_samples and items[1].has_samples and n_boot > 0 else None)
    delta = change(pa.mean, pb.mean)
    summary = {"corr": pearson(pa.mean, pb.mean), "mse": mse(pa.mean, pb.mean),
               "mean_a": float(pa.mean.mean()), "mean_b": float(pb.mean.mean()),
               "mean_change": float(delta.mean()),
               "mean_change_rate": float(change_rate(pa.mean, pb.mean).mean()),
               "heads_up": int((delta > 0).sum()), "heads_down": int((delta < 0).sum()),
               "paired_bootstrap": paired, "ci": cis,
               "stats_a": distribution_stats(pa.mean), "stats_b": distribution_stats(pb.mean)}
    notes = [] if cis or n_boot == 0 else ["no per-sample patterns in both sets, so no "
                                           "intervals"]
    if pa.manifest.get("data") != pb.manifest.get("data"):
        notes.append("A and B were computed on different data")
    notes += [f"{k}: {ci.warning}" for k, ci in (cis or {}).items() if ci.warning]
    params = {"top": top, "n_boot": n_boot, "confidence": confidence, "seed": seed,
              "ci_method": ci_method}
    return CompareOutput(params, [inputs.provenance(i) for i in items], summary,
                         top_changes(pa.mean, pb.mean, k=top), notes,
                         means=(pa.mean, pb.mean), delta=delta)


def run_compare(a: str | Path, b: str | Path, out: str | Path | None = None, *,
                top: int = 10, n_boot: int = 1000, confidence: float = 0.95, seed: int = 0,
                ci_method: str = "basic", figures: bool = True) -> dict[str, Any]:
    """:func:`compute_compare`, saved: ``compare.json``, ``compare.md``, heatmaps of both
    patterns and of the change ``B − A``."""
    output = compute_compare(a, b, top=top, n_boot=n_boot, confidence=confidence, seed=seed,
                             ci_method=ci_method)
    la, lb = (i["label"] for i in output.inputs)
    out = Path(out) if out else inputs.default_out(
        [a, b], f"compare-{inputs.slug(la)}-vs-{inputs.slug(lb)}")
    return write_result(out, "compare", output, figures)


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


def compute_similarity(items: Sequence[Any], *, names: Sequence[str | None] | None = None,
                       of: str | None = None) -> SimilarityOutput:
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
    return SimilarityOutput({"of": of}, sim.names, sim.corr, sim.mse,
                            [inputs.provenance(i) for i in everything], sim.notes)


def run_similarity(items: Sequence[Any], out: str | Path | None = None, *,
                   names: Sequence[str | None] | None = None, of: str | None = None,
                   figures: bool = True) -> dict[str, Any]:
    """:func:`compute_similarity`, saved: ``similarity.json``, ``similarity.md`` and the
    two matrices as figures."""
    output = compute_similarity(items, names=names, of=of)
    of = output.params["of"]
    out = Path(out) if out else inputs.default_out(
        [i["path"] for i in output.inputs], "similarity" if of == "pattern"
        else f"similarity-{of}")
    return write_result(out, "similarity", output, figures)
