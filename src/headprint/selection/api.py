"""Library calls behind ``headprint select`` and ``headprint mix``: pattern sets and data in,
training files (``.jsonl``, one row per line, each saying where it came from) and a JSON
record of the decision out.
"""
from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any, Mapping, Sequence

from headprint.io import atomic_write_json, atomic_write_text
from headprint.selection.mixture import CompositionMixture
from headprint.selection.provenance import SelectionError, check_comparable, check_same_model
from headprint.selection.sampling import random_baseline, random_mixture, tag_row
from headprint.selection.similarity import PatternSimilaritySelector, top_n

__all__ = ["select_data", "mix_data", "write_jsonl", "load_rows", "provenance"]


def write_jsonl(path: str | Path, rows: Sequence[Mapping[str, Any]]) -> Path:
    """Write rows as JSON lines, atomically."""
    return atomic_write_text(path, "".join(json.dumps(r, ensure_ascii=False, default=str)
                                           + "\n" for r in rows))


def load_rows(spec: str | None, pattern_set: Any = None, limit: int | None = None
              ) -> list[dict]:
    """Rows of a data spec (task name, ``task:split`` or file), or of the data recorded in
    ``pattern_set``'s manifest when ``spec`` is None (with the split, limit and seed it
    records, so that exactly the rows the patterns were computed on come back); ``limit``
    as in ``load_data``."""
    from headprint.data import load_data

    if spec is None:
        data = (pattern_set.manifest.get("data") if pattern_set is not None else None) or {}
        source = data.get("source") if isinstance(data, dict) else data
        if not source:
            raise SelectionError("no --data given and the pattern set does not record its data")
        if not isinstance(data, dict):
            return list(load_data(source).rows)
        kept = {k: data[k] for k in ("split", "limit", "seed") if data.get(k) is not None}
        if kept.get("split") and ":" in source and source.rsplit(":", 1)[1] == kept["split"]:
            kept.pop("split")  # the source names its split already
        return list(load_data(source, **kept).rows)
    return list(load_data(spec, limit=limit).rows)


def provenance(pattern_set: Any, path: str | Path) -> dict[str, Any]:
    """What a decision was made from: path, model, fingerprint, method, data, size."""
    m = pattern_set.manifest
    return {"path": str(path), "name": pattern_set.name, "model": m.get("model"),
            "model_fingerprint": m.get("model_fingerprint"), "method": m.get("method"),
            "loss": m.get("loss"), "data": m.get("data"), "n_samples": m.get("n_samples")}


def select_data(target: str | Path, pool: str | Path, sizes: Sequence[int], out: str | Path,
                data: str | None = None, seed: int = 0) -> dict[str, Any]:
    """Rank a pool by pattern similarity to a target set; write top-n and random-n files.

    Writes into ``out``: ``top-<n>.jsonl`` and ``random-<n>.jsonl`` for every ``n`` (rows
    with ``score`` = Pearson r and ``rank``), ``scores.jsonl`` (every candidate with its
    score and rank, so no row is dropped unseen) and ``selection.json`` (inputs, excluded
    ids, per-size mean scores).

    Args:
        target: pattern-set folder of the target set (mean pattern used).
        pool: pattern-set folder of the pool, with per-sample patterns.
        sizes: the ``n`` to select, e.g. ``[100, 300, 500]``.
        data: the pool's rows (task or file); default: the data recorded in the pool.
        seed: seed of the random baselines.

    Raises:
        SelectionError: see :class:`PatternSimilaritySelector`; pool ids missing from data.
    """
    from headprint.patterns.artifact import PatternSet

    target_set, pool_set = PatternSet.load(target), PatternSet.load(pool)
    scores = PatternSimilaritySelector().fit(target_set).score(pool_set)
    sizes = sorted({int(n) for n in sizes})
    for n in sizes:  # validate every size before writing anything
        top_n(scores, n)
    rows = {str(r["id"]): r for r in load_rows(data, pool_set)}
    missing = [i for i in scores.ids if i not in rows]
    if missing:
        raise SelectionError(f"{len(missing)} pool ids are not in the pool data "
                             f"({', '.join(missing[:5])}); pass the data the pool patterns "
                             "were computed on with --data")
    pool_ids = set(pool_set.sample_ids)
    unscored = [i for i in rows if i not in pool_ids]
    if unscored:
        warnings.warn(
            f"{len(unscored)} rows of the pool data have no pattern in {pool} (e.g. "
            f"{', '.join(unscored[:3])}; the pattern stage excludes rows whose response was "
            "truncated away, see its manifest); they cannot be ranked and are listed in "
            "selection.json under 'not_scored'", UserWarning, stacklevel=2)
    rank = scores.rank_of()
    score_of = dict(zip(scores.ids, scores.scores.tolist()))
    task = pool_set.name
    out = Path(out)

    def tagged(ids: list[str]) -> list[dict]:
        return [tag_row(rows[i], task, score=score_of[i], rank=rank[i]) for i in ids]

    def mean(ids: list[str]) -> float:
        vals = [score_of[i] for i in ids if score_of[i] == score_of[i]]
        return sum(vals) / len(vals) if vals else float("nan")

    per_size = {}
    for n in sizes:
        chosen = top_n(scores, n).ids
        drawn = random_baseline(scores.ids, n, seed)
        write_jsonl(out / f"top-{n}.jsonl", tagged(chosen))
        write_jsonl(out / f"random-{n}.jsonl", tagged(drawn))
        per_size[str(n)] = {"top": f"top-{n}.jsonl", "random": f"random-{n}.jsonl",
                            "mean_score_top": mean(chosen), "mean_score_random": mean(drawn)}
    ranked = [scores.ids[i] for i in scores.order]
    write_jsonl(out / "scores.jsonl", [{"id": i, "score": score_of[i], "rank": rank[i]}
                                       for i in ranked])
    summary = {
        "method": "pearson(per-sample pattern, target mean pattern) over L*H heads (Eq. 5)",
        "target": provenance(target_set, target), "pool": provenance(pool_set, pool),
        "data": data, "seed": seed, "n_pool": len(pool_set.sample_ids),
        "n_candidates": len(scores.ids), "excluded_overlap": scores.excluded,
        "not_scored": unscored,
        "n_undefined_scores": int(sum(1 for s in score_of.values() if s != s)),
        "sizes": per_size,
    }
    atomic_write_json(out / "selection.json", summary)
    return summary


def _fit_path(out: Path) -> Path:
    return out.with_name(out.stem + ".fit.json")


def mix_data(target: tuple[str | Path, str | Path],
             basis: Mapping[str, tuple[str | Path, str | Path, str]], size: int,
             out: str | Path, top_k: int = 2, random: bool = False, seed: int = 0,
             pool_per_task: int | None = None) -> dict[str, Any]:
    """Build a training mixture of basic tasks (Eq. 4) or its random baseline.

    Args:
        target: ``(before, after)`` pattern-set folders of the complex task.
        basis: name -> ``(before, after, data)``: the basic task's pattern sets and rows.
        size: number of rows ``N``.
        out: the ``.jsonl`` training file; the fit goes beside it as ``<stem>.fit.json``.
        random: draw ``N`` rows uniformly from the union of every basic task instead.
        pool_per_task: candidate rows per basic task (``load_data``'s seeded ``limit``);
            the same candidates serve both the mixture and its random baseline, so a large
            task does not crowd the random baseline (default: all rows).

    Raises:
        SelectionError: a basic task's "before" pattern comes from another model than the
            target's, patterns of another shape or method, too few rows.
    """
    from headprint.analysis import change
    from headprint.patterns.artifact import PatternSet

    if not basis:
        raise SelectionError("a mixture needs at least one --basis task")
    t_before, t_after = PatternSet.load(target[0]), PatternSet.load(target[1])
    check_comparable(t_before, t_after, "target before", "target after")
    deltas, inputs = {}, {}
    for name, (before, after, spec) in basis.items():
        b_before, b_after = PatternSet.load(before), PatternSet.load(after)
        check_same_model(t_before, b_before, "target before", f"basis {name!r} before")
        check_comparable(t_after, b_after, "target after", f"basis {name!r} after")
        deltas[name] = change(b_before.mean, b_after.mean)
        inputs[name] = {"before": provenance(b_before, before),
                        "after": provenance(b_after, after), "data": spec}
    mixture = CompositionMixture(top_k=top_k).fit(change(t_before.mean, t_after.mean), deltas)
    if random:
        rows_by_task = {name: load_rows(basis[name][2], limit=pool_per_task)
                        for name in basis}
        rows = random_mixture(rows_by_task, int(size), seed)
    else:
        counts = mixture.allocate(int(size))
        rows_by_task = {name: load_rows(basis[name][2], limit=pool_per_task)
                        for name, c in counts.items() if c}
        rows = mixture.draw(rows_by_task, int(size), seed)
    out = Path(out)
    write_jsonl(out, rows)
    counts_drawn: dict[str, int] = {}
    for row in rows:
        counts_drawn[row["source_task"]] = counts_drawn.get(row["source_task"], 0) + 1
    summary = {"kind": "random" if random else "composition", "size": int(size),
               "seed": seed, "pool_per_task": pool_per_task, "counts": counts_drawn,
               "file": out.name,
               "target": {"before": provenance(t_before, target[0]),
                          "after": provenance(t_after, target[1])},
               "basis": inputs, **mixture.summary()}
    atomic_write_json(_fit_path(out), summary)
    return summary
