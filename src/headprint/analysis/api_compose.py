"""Library call behind ``headprint compose`` (paper Eq. 3, Figure 4), with honest baselines.

Given the before/after pattern sets of a target (complex) task and of basic tasks, fits
the target's change on the basic tasks' changes: all of them at once, and every subset of
size ``k`` (default: every pair). The best subsets are judged against two null
distributions (:mod:`headprint.analysis.baselines`) and, when the sets hold per-sample
patterns, get bootstrap intervals for R².

:func:`compute_compose` computes (pattern sets as folders or objects in memory, nothing
written) and returns a :class:`~headprint.analysis.outputs.ComposeOutput`; :func:`run_compose`
saves it: ``compose.json``, ``compose.md``, ``r2-subsets.png`` and change heatmaps of the
target and each basic task. ``headprint.compose`` calls :func:`compute_compose` too.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

from headprint.analysis import inputs
from headprint.analysis.baselines import random_tasks_baseline, shuffled_heads_baseline
from headprint.analysis.bootstrap import bootstrap_r2
from headprint.analysis.change import change
from headprint.analysis.composition import count_subsets, fit_both, search_subsets
from headprint.analysis.outputs import ComposeOutput
from headprint.analysis.tables import check_bootstrap_args, write_result
from headprint.errors import UsageError

__all__ = ["run_compose", "compute_compose"]

Pair = tuple[inputs.Loaded, inputs.Loaded]
Source = Any  # a pattern-set folder (str or Path) or a PatternSet


def _load_pair(name: str, spec: Sequence[Source]) -> Pair:
    if len(spec) != 2:
        raise UsageError(f"{name}: expected BEFORE,AFTER (two pattern sets), got {list(spec)}")
    before = inputs.as_loaded(spec[0], f"{name} before")
    after = inputs.as_loaded(spec[1], f"{name} after")
    inputs.check_compatible([before, after], f"take the change of {name} between")
    return before, after


def _judge(fit: Any, target: Any, deltas: dict, pairs: dict[str, Pair], opts: dict,
           n_permutations: int, n_draws: int, n_boot: int, confidence: float, seed: int,
           ci_method: str, pool: dict | None) -> dict[str, Any]:
    """Baselines and bootstrap interval for one fit; reasons instead of numbers if absent."""
    basis = {n: deltas[n] for n in fit.names}
    row: dict[str, Any] = {**fit.summary()}
    row["shuffled_heads"] = shuffled_heads_baseline(
        target, basis, n_permutations=n_permutations, seed=seed, **opts).summary()
    try:
        row["random_tasks"] = random_tasks_baseline(
            target, deltas, fit.names, pool=pool, n_draws=n_draws, seed=seed,
            **opts).summary()
    except ValueError as err:
        row["random_tasks"] = {"kind": "random_tasks", "skipped": str(err)}
    used = [pairs["target"], *(pairs[n] for n in fit.names)]
    if n_boot > 0 and all(p.has_samples for pair in used for p in pair):
        row["ci"] = bootstrap_r2(
            (pairs["target"][0].patterns.per_sample, pairs["target"][1].patterns.per_sample),
            {n: (pairs[n][0].patterns.per_sample, pairs[n][1].patterns.per_sample)
             for n in fit.names},
            paired={n: bool(b.patterns.sample_ids) and
                    b.patterns.sample_ids == a.patterns.sample_ids
                    for n, (b, a) in pairs.items()},
            n_boot=n_boot, confidence=confidence, seed=seed, method=ci_method, **opts).as_dict()
    else:
        row["ci"] = None
    return row


def _load(target: Sequence[Source], basis: Mapping[str, Sequence[Source]],
          pool: Mapping[str, Sequence[Source]] | None
          ) -> tuple[dict[str, Pair], dict[str, Pair], list[inputs.Loaded]]:
    if not basis:
        raise UsageError("compose needs at least one basic task (--basis NAME=BEFORE,AFTER)")
    pairs = {"target": _load_pair("target", target)}
    for name, spec in basis.items():
        if name in pairs:
            raise UsageError(f"basic task name {name!r} is reserved or used twice")
        pairs[name] = _load_pair(name, spec)
    extra = {n: _load_pair(f"pool task {n}", s) for n, s in (pool or {}).items()}
    everything = [p for pair in [*pairs.values(), *extra.values()] for p in pair]
    inputs.check_compatible(everything, "combine")
    return pairs, extra, everything


def compute_compose(target: Sequence[Source], basis: Mapping[str, Sequence[Source]], *,
                    k: int | Sequence[int] = 2, max_subsets: int | None = 1000,
                    intercept: bool = False, nonnegative: bool = False, top: int = 5,
                    n_permutations: int = 200, n_draws: int = 200, n_boot: int = 1000,
                    confidence: float = 0.95, seed: int = 0, ci_method: str = "basic",
                    pool: Mapping[str, Sequence[Source]] | None = None) -> ComposeOutput:
    """Fit the target's change on basic tasks' changes; judge the best subsets.

    Args:
        target: (before, after) pattern sets of the complex task (folders or PatternSets).
        basis: name -> (before, after) of each basic task.
        k: subset size(s) to search; sizes above the number of basic tasks are dropped.
        max_subsets: cap on subsets per size (a seeded random sample beyond it).
        intercept, nonnegative: fit variant (see :func:`fit_composition`).
        top: number of best subsets that get baselines and intervals.
        n_permutations, n_draws, n_boot: sizes of the shuffled-heads null, the
            random-tasks null and the bootstrap.
        seed: one seed for every random draw (recorded in the output).
        ci_method: ``"basic"`` (bias-corrected, default) or ``"percentile"`` interval.
        pool: name -> (before, after) of extra tasks used only as random replacements in
            the random-tasks baseline (default: the basic tasks outside the subset).

    Raises:
        UsageError: no basic task, a name used twice, or no subset size that fits.
        PatternSetError: sets of different shapes, or non-finite entries.
    """
    params = {"k": [k] if isinstance(k, int) else list(k), "max_subsets": max_subsets,
              "intercept": intercept, "nonnegative": nonnegative, "top": top,
              "n_permutations": n_permutations, "n_draws": n_draws, "n_boot": n_boot,
              "confidence": confidence, "seed": seed, "ci_method": ci_method}
    check_bootstrap_args(n_boot, confidence, ci_method)
    pairs, extra, everything = _load(target, basis, pool)
    t_delta = change(pairs["target"][0].patterns.mean, pairs["target"][1].patterns.mean)
    deltas = {n: change(b.patterns.mean, a.patterns.mean)
              for n, (b, a) in pairs.items() if n != "target"}
    pool_deltas = ({n: change(b.patterns.mean, a.patterns.mean)
                    for n, (b, a) in extra.items()} if extra else None)
    opts = {"intercept": intercept, "nonnegative": nonnegative}
    notes = [f"subset size {s} dropped: only {len(deltas)} basic tasks"
             for s in params["k"] if s > len(deltas)]
    sizes = [s for s in params["k"] if s <= len(deltas)]
    if not sizes:
        raise UsageError(f"no subset size in k={k} fits {len(deltas)} basic task(s)")
    both = fit_both(t_delta, deltas, intercept=intercept)
    full = both["nonnegative" if nonnegative else "least_squares"]
    subsets = search_subsets(t_delta, deltas, k=sizes, max_subsets=max_subsets, seed=seed,
                             **opts)
    n_possible = count_subsets(len(deltas), sizes)
    if len(subsets) < n_possible:
        notes.append(f"{len(subsets)} of {n_possible} subsets fitted (random sample, "
                     f"seed {seed})")
    judge = dict(n_permutations=n_permutations, n_draws=n_draws, n_boot=n_boot,
                 confidence=confidence, seed=seed, ci_method=ci_method, pool=pool_deltas)
    full_row = _judge(full, t_delta, deltas, pairs, opts, **judge)
    full_row["r2_by_fit"] = {k: f.r2 for k, f in both.items()}
    best = [_judge(f, t_delta, deltas, pairs, opts, **judge) for f in subsets[:top]]
    notes += full.notes + [n for f in subsets[:top] for n in f.notes]
    notes += [f"random-tasks null of {' + '.join(r['basis']) if r is not full_row else 'all'}"
              f": {r['random_tasks']['skipped']}"
              for r in [full_row, *best] if "skipped" in r["random_tasks"]]
    if full_row["ci"] is None and n_boot > 0:
        notes.append("not every set holds per-sample patterns, so no intervals for R²")
    return ComposeOutput(
        {**params, "k": sizes}, pairs["target"][1].patterns.name,
        [inputs.provenance(p) for p in everything], full_row, best,
        [{"basis": f.names, "r2": f.r2, "coefficients": f.coefficients,
          "intercept": f.intercept} for f in subsets], n_possible, notes,
        target_delta=t_delta, deltas=deltas)


def run_compose(target: Sequence[Source], basis: Mapping[str, Sequence[Source]],
                out: str | Path | None = None, *, figures: bool = True,
                **options: Any) -> dict[str, Any]:
    """:func:`compute_compose` (``options``: its keyword arguments), saved into ``out``
    (default ``<common parent>/analysis/compose-<target>``)."""
    output = compute_compose(target, basis, **options)
    out = Path(out) if out else inputs.default_out(
        [i["path"] for i in output.inputs], f"compose-{inputs.slug(output.target)}")
    return write_result(out, "compose", output, figures)
