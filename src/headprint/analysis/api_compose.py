"""Library call behind ``headprint compose`` (paper Eq. 3, Figure 4), with honest baselines.

Given the before/after pattern sets of a target (complex) task and of basic tasks, fits
the target's change on the basic tasks' changes: all of them at once, and every subset of
size ``k`` (default: every pair). The best subsets are judged against two null
distributions (:mod:`headprint.analysis.baselines`) and, when the sets hold per-sample
patterns, get bootstrap intervals for R². Writes ``compose.json``, ``compose.md``,
``r2-subsets.png`` and change heatmaps of the target and each basic task.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

from headprint.analysis import inputs
from headprint.analysis.baselines import random_tasks_baseline, shuffled_heads_baseline
from headprint.analysis.bootstrap import bootstrap_r2
from headprint.analysis.change import change
from headprint.analysis.composition import count_subsets, fit_both, search_subsets
from headprint.analysis.tables import (check_bootstrap_args, ci_legend, fmt, fmt_ci,
                                       markdown_table, notes_markdown, write_result)
from headprint.errors import UsageError

__all__ = ["run_compose"]

Pair = tuple[inputs.Loaded, inputs.Loaded]
MAX_ROWS = 50  # subsets listed in the Markdown table; the JSON has all


def _load_pair(name: str, spec: Sequence[str | Path]) -> Pair:
    if len(spec) != 2:
        raise UsageError(f"{name}: expected BEFORE,AFTER (two pattern sets), got {list(spec)}")
    before, after = inputs.load(spec[0], f"{name} before"), inputs.load(spec[1], f"{name} after")
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


def _null_text(b: dict[str, Any]) -> str:
    if "skipped" in b:
        return "n/a"
    return f"{fmt(b['null_mean'], 3)} (q95 {fmt(b['null_q95'], 3)}), p={fmt(b['p_value'], 2)}"


def _load(target: Sequence[str | Path], basis: Mapping[str, Sequence[str | Path]],
          pool: Mapping[str, Sequence[str | Path]] | None
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


def _draw(out: Path, t_delta: Any, deltas: dict, subsets: list, best: list) -> list[str]:
    from headprint.report.figures import plot_change, plot_r2_bars

    shown = subsets[:25]
    plot_r2_bars({" + ".join(f.names): f.r2 for f in shown}, out / "r2-subsets.png",
                 f"Composition R² of the target change ({len(shown)} best subsets)",
                 null_q95={" + ".join(r["basis"]): r["shuffled_heads"]["null_q95"]
                           for r in best})
    plot_change(t_delta, "Change of the target task", out / "change-target.png")
    files = ["r2-subsets.png", "change-target.png"]
    for name, d in deltas.items():
        files.append(f"change-{inputs.slug(name)}.png")
        plot_change(d, f"Change of basic task {name}", out / files[-1])
    return files


def _markdown(full_row: dict, best: list, subsets: list, everything: list, notes: list,
              p: dict) -> str:
    def coef(row: dict[str, Any]) -> str:
        return ", ".join(f"{n} {fmt(v, 3)}" for n, v in row["coefficients"].items())

    def line(label: Any, row: dict[str, Any]) -> list[Any]:
        return [*label, coef(row), row["intercept"], fmt_ci(row["r2"], row["ci"]),
                _null_text(row["shuffled_heads"]), _null_text(row["random_tasks"])]

    cols = ["coefficients", "intercept", "R²", "shuffled-heads null", "random-tasks null"]
    variant = ("with intercept" if p["intercept"] else "no intercept") + (
        ", non-negative β" if p["nonnegative"] else "")
    return ("# Composition of the target change (Eq. 3, Figure 4)\n\n"
            f"Least squares of Δ target on Δ basic tasks over the L·H heads ({variant}). "
            f"Nulls: R² with shuffled head positions ({p['n_permutations']} permutations) "
            f"and with random other tasks (up to {p['n_draws']} draws), shown as mean (95th "
            f"percentile) and p = (1 + #null ≥ R²) / (1 + n); seed {p['seed']}. "
            + ci_legend(p["confidence"], p["ci_method"], p["n_boot"], p["seed"])
            + "\n\n## All basic tasks\n\n"
            + markdown_table(["basis", *cols], [line(["all"], full_row)])
            + "\nR² of this fit by least squares "
            f"{fmt(full_row['r2_by_fit']['least_squares'], 3)}, with non-negative β (NNLS) "
            f"{fmt(full_row['r2_by_fit']['nonnegative'], 3)}.\n"
            + f"\n## Best subsets (of {len(subsets)} fitted)\n\n"
            + markdown_table(["rank", "subset", *cols],
                             [line([i + 1, " + ".join(r["basis"])], r)
                              for i, r in enumerate(best)])
            + f"\n## R² of the {min(len(subsets), MAX_ROWS)} best of {len(subsets)} subsets\n\n"
            + markdown_table(["subset", "R²"],
                             [[" + ".join(f.names), f.r2] for f in subsets[:MAX_ROWS]])
            + ("(every subset is listed in compose.json)\n" if len(subsets) > MAX_ROWS else "")
            + "\n" + inputs.inputs_markdown(everything) + "\n" + notes_markdown(notes))


def run_compose(target: Sequence[str | Path], basis: Mapping[str, Sequence[str | Path]],
                out: str | Path | None = None, *, k: int | Sequence[int] = 2,
                max_subsets: int | None = 1000, intercept: bool = False,
                nonnegative: bool = False, top: int = 5, n_permutations: int = 200,
                n_draws: int = 200, n_boot: int = 1000, confidence: float = 0.95,
                seed: int = 0, ci_method: str = "basic",
                pool: Mapping[str, Sequence[str | Path]] | None = None,
                figures: bool = True) -> dict[str, Any]:
    """Fit the target's change on basic tasks' changes; judge the best subsets.

    Args:
        target: (before, after) pattern-set folders of the complex task.
        basis: name -> (before, after) folders of each basic task.
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
    target_name = pairs["target"][1].patterns.name
    out = Path(out) if out else inputs.default_out(
        [str(p.path) for p in everything], f"compose-{inputs.slug(target_name)}")
    files = _draw(out, t_delta, deltas, subsets, best) if figures else []
    payload = {"params": {**params, "k": sizes}, "target": target_name,
               "inputs": [inputs.provenance(p) for p in everything],
               "full": full_row, "best": best,
               "subsets": [{"basis": f.names, "r2": f.r2, "coefficients": f.coefficients,
                            "intercept": f.intercept} for f in subsets],
               "n_possible_subsets": n_possible, "notes": notes, "files": files}
    md = _markdown(full_row, best, subsets, everything, notes, params)
    return write_result(out, "compose", "compose", payload, md)
