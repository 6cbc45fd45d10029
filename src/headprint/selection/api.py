"""Library call behind ``headprint select``: a pool ranked by one of three methods, the top
``n`` rows of each size written as training files with a JSON record of the decision.

``headprint mix`` lives in :mod:`headprint.selection.api_mix` (re-exported here).
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from headprint.io import atomic_write_json
from headprint.selection.api_mix import mix_data
from headprint.selection.provenance import SelectionError, check_same_model
from headprint.selection.ranking import METHODS, Ranking
from headprint.selection.rows import load_rows, provenance, write_jsonl
from headprint.selection.sampling import tag_row
from headprint.selection.similarity import PatternSimilaritySelector, PoolScores, top_n

__all__ = ["select", "SelectionResult", "mix_data", "write_jsonl", "load_rows", "provenance",
           "METHODS"]


@dataclass
class SelectionResult:
    """What :func:`select` chose and wrote.

    Attributes:
        by: the method (``pattern``, ``embedding`` or ``random``).
        chosen: size ``n`` -> the ``n`` chosen ids, best first.
        scores: the ranking of every candidate (:class:`PoolScores`).
        summary: the JSON record written to ``out/selection.json``.
        out: the output folder.
    """

    by: str
    chosen: dict[int, list[str]]
    scores: PoolScores
    summary: dict[str, Any]
    out: Path

    @property
    def seconds(self) -> float:
        """The method's cost in seconds (representations plus scoring)."""
        return float(self.summary["cost"]["seconds"])


def _model(model: str | None, target_set: Any) -> Any:
    """Load ``model`` (default: the model the target patterns were measured with) and check
    it is that model when the target pattern set is known."""
    from headprint.models import load_model

    name = model or (target_set.manifest.get("model") if target_set is not None else None)
    if not name:
        raise SelectionError("embedding selection needs a model: pass --model, or --target "
                             "(a pattern set that records its model)")
    loaded = load_model(str(name))
    expected = target_set.manifest.get("model_fingerprint") if target_set is not None else None
    if expected and loaded.fingerprint != expected:
        raise SelectionError(
            f"model {name} has fingerprint {loaded.fingerprint[:23]} but the target patterns "
            f"were measured with {expected[:23]}; embed with the same model the patterns "
            "(and so the pattern selection) used")
    return loaded


def _rank(by: str, pool_rows: list[dict], target_set: Any, pool_set: Any,
          target_rows: list[dict] | None, model: str | None, seed: int,
          max_length: int | None, batch_size: int) -> tuple[Ranking, dict[str, Any]]:
    from headprint.selection import ranking

    pool_ids = [str(r["id"]) for r in pool_rows]
    if by == "pattern":
        return ranking.rank_by_pattern(target_set, pool_set, pool_ids), {}
    if by == "random":
        target_ids = (target_set.sample_ids if target_set is not None else
                      [str(r["id"]) for r in target_rows or []])
        return ranking.rank_randomly(pool_ids, target_ids, seed), {}
    loaded = _model(model, target_set)
    if target_rows is None:
        if target_set is None:
            raise SelectionError("--by embedding needs the target rows: --target-data or "
                                 "--target (a pattern set that records its data)")
        target_rows = load_rows(None, target_set)
    recorded = [s.manifest.get("max_length") for s in (pool_set, target_set) if s is not None]
    length = int(max_length or next((m for m in recorded if m), 1024))
    # The rows are read in the format the patterns were (chat or raw), so every method
    # sees the same text.
    formats = [s.manifest.get("format") for s in (pool_set, target_set) if s is not None]
    prompt_format = str(next((f for f in formats if f), "raw"))
    ranked = ranking.rank_by_embedding(loaded.model, loaded.tokenizer, target_rows, pool_rows,
                                       length, batch_size, prompt_format)
    return ranked, {"model": {"name": loaded.name, "fingerprint": loaded.fingerprint},
                    "max_length": length, "format": prompt_format,
                    "n_target_rows": len(target_rows)}


def select(out: str | Path, sizes: Sequence[int], *, by: str = "pattern",
           target: str | Path | None = None, pool: str | Path | None = None,
           data: str | None = None, target_data: str | None = None,
           model: str | None = None, seed: int = 0, max_length: int | None = None,
           batch_size: int = 8) -> SelectionResult:
    """Rank a pool by ``by`` and write its top ``n`` rows for every ``n`` in ``sizes``.

    Writes into ``out`` (the same files for every method): ``top-<n>.jsonl`` (rows tagged
    with ``source_task``/``source_id``, ``score`` and ``rank``), ``scores.jsonl`` (every
    candidate, ranked) and ``selection.json`` (method, cost in seconds, inputs, excluded
    and unscored ids, mean score per size).

    Args:
        by: ``pattern`` (needs ``target`` and ``pool``), ``embedding`` (needs a model and
            the target rows: ``model``/``target_data``, or a ``target`` pattern set whose
            manifest records both), or ``random``.
        target, pool: pattern-set folders (pool with per-sample patterns for ``pattern``).
        data: the pool's rows (task or file); default: the data recorded in ``pool``.
        target_data: the target set's rows; default: the data recorded in ``target``.
        model: model for ``embedding``; default: the one recorded in ``target`` (checked
            by fingerprint).
        seed: seed of ``random``. max_length, batch_size: encoding of ``embedding``
            (default length: the pattern sets' own).

    Raises:
        SelectionError: unknown method, missing inputs, a size outside ``1 … candidates``
            (checked before anything is written), and as the rankers.
    """
    from headprint.patterns.artifact import PatternSet

    if by not in METHODS:
        raise SelectionError(f"unknown selection method {by!r}; choose one of "
                             f"{', '.join(METHODS)}")
    started = time.perf_counter()
    target_set = PatternSet.load(target) if target is not None else None
    pool_set = PatternSet.load(pool) if pool is not None else None
    if by == "pattern":  # cheap checks before any data is read
        if target_set is None or pool_set is None:
            raise SelectionError("--by pattern needs --target and --pool pattern sets")
        PatternSimilaritySelector().fit(target_set).check_pool(pool_set)
    if target_set is not None and pool_set is not None:
        check_same_model(target_set, pool_set, f"target {target_set.name!r}",
                         f"pool {pool_set.name!r}")
    if data is None and pool_set is None:
        raise SelectionError("give the pool's rows (--data) or its pattern set (--pool)")
    pool_rows = load_rows(data, pool_set)
    unusable: list[str] = []
    if pool_set is not None:  # one candidate set for every method: the rows with a pattern
        measured = set(pool_set.sample_ids)
        unusable = [str(r["id"]) for r in pool_rows if str(r["id"]) not in measured]
        pool_rows = [r for r in pool_rows if str(r["id"]) in measured]
        if unusable:
            warnings.warn(
                f"{len(unusable)} rows of the pool data have no pattern in {pool} (e.g. "
                f"{', '.join(unusable[:3])}; the pattern stage excludes rows whose response "
                "max_length cut away, so they cannot be trained on either); they are not "
                "candidates of any method and are listed under 'not_scored'", UserWarning,
                stacklevel=2)
    target_rows = load_rows(target_data) if target_data is not None else None
    ranked, extra = _rank(by, pool_rows, target_set, pool_set, target_rows, model, seed,
                          max_length, batch_size)
    rows = {str(r["id"]): r for r in pool_rows}  # ids are unique: the rankers checked
    scores = ranked.scores
    sizes = sorted({int(n) for n in sizes})
    chosen = {n: top_n(scores, n).ids for n in sizes}  # validates every size first
    rank = scores.rank_of()
    score_of = {i: (None if v != v else v) for i, v in zip(scores.ids, scores.scores.tolist())}
    task = pool_set.name if pool_set is not None else Path(str(data)).stem
    out = Path(out)
    per_size = {}
    for n, ids in chosen.items():
        write_jsonl(out / f"top-{n}.jsonl",
                    [tag_row(rows[i], task, score=score_of[i], rank=rank[i]) for i in ids])
        defined = [score_of[i] for i in ids if score_of[i] is not None]
        per_size[str(n)] = {"file": f"top-{n}.jsonl", "mean_score":
                            sum(defined) / len(defined) if defined else None}
    write_jsonl(out / "scores.jsonl", [{"id": scores.ids[i], "score": score_of[scores.ids[i]],
                                        "rank": rank[scores.ids[i]]} for i in scores.order])
    summary = {
        "by": by, "method": ranked.description,
        "cost": {**ranked.cost, "wall_seconds": time.perf_counter() - started},
        "target": provenance(target_set, target) if target_set is not None else None,
        "pool": provenance(pool_set, pool) if pool_set is not None else None,
        "data": data, "target_data": target_data, "seed": seed, **extra,
        "n_pool": len(rows) + len(unusable), "n_candidates": len(scores.ids),
        "excluded_overlap": scores.excluded,
        "not_scored": unusable + ranked.not_scored,
        "n_undefined_scores": (sum(1 for v in score_of.values() if v is None)
                               if by != "random" else 0),
        "sizes": per_size,
    }
    summary["seconds"] = summary["cost"]["seconds"]
    atomic_write_json(out / "selection.json", summary)
    return SelectionResult(by, chosen, scores, summary, out)
