"""headprint's public API: every stage as one call on objects already in memory.

Start from a model in memory (or a name) and rows (a task name, a file, or a list of dicts in
trl's formats); every call returns a typed result with ``to_dict()``, ``.plot()`` where a
figure exists, and an HTML view in notebooks. The CLI's commands call the same functions.

    >>> import headprint as hp
    >>> loaded = hp.load_model("smollm2-135m")
    >>> gsm8k = hp.compute_patterns(loaded.model, loaded.tokenizer, "gsm8k", limit=16,
    ...                             per_sample=True)
    >>> hp.stats(gsm8k).rows[0]["gini"]
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

from headprint.errors import HeadprintError
from headprint.models.loading import LoadedModel
from headprint.patterns.artifact import PatternSet
from headprint.results import (ComparisonResult, CompositionResult, SimilarityResult,
                               StatsResult, TrackingResult)
from headprint.validation.result import ValidationResult

__all__ = ["load_model", "load_data", "load_pattern_set", "compute_patterns", "stats",
           "compare", "similarity", "compose", "track", "validate", "select", "mix",
           "evaluate", "sft"]


def load_model(name: str, **kwargs: Any) -> LoadedModel:
    """A built-in name, a local folder or a hub id -> :class:`LoadedModel` (model, tokenizer,
    name, fingerprint). Keyword arguments as :func:`headprint.models.load_model`."""
    from headprint.models import load_model as _load

    return _load(name, **kwargs)


def load_pattern_set(folder: str | Path) -> PatternSet:
    """A pattern-set folder (``patterns.safetensors`` + ``manifest.json``), checked."""
    return PatternSet.load(folder)


def load_data(data: Any, *, split: str | None = None, limit: int | None = None,
              skip_bad: bool = False, seed: int = 0, name: str = "rows"):
    """Rows as a :class:`headprint.data.DataBundle`.

    ``data`` is a task name (``"gsm8k"``, ``"mmlu:biology:test"``), a file path, a list of
    row dicts (``prompt``/``completion`` or ``messages``; ``id`` optional), or a bundle.
    """
    from headprint.data import DataBundle, DataError, load_data as _load, validate_row

    if isinstance(data, DataBundle):
        return data
    if isinstance(data, (str, Path)):
        return _load(str(data), split=split, limit=limit, skip_bad=skip_bad, seed=seed)
    if not isinstance(data, (list, tuple)) or not data:
        raise DataError("data must be a task name, a file, or a non-empty list of row dicts, "
                        f"got {type(data).__name__}")
    rows = []
    for i, row in enumerate(data):
        validate_row(row, f"row {i}")
        rows.append({**row, "id": str(row.get("id", f"{name}-{i}"))})
    ids = [r["id"] for r in rows]
    if len(set(ids)) != len(ids):
        raise DataError(f"{name}: row ids must be unique")
    if limit is not None:
        rows = rows[:limit]
    return DataBundle(rows, name, None, 0, f"<{len(rows)} rows in memory>", "memory",
                      n_available=len(data), limit=limit, seed=seed)


def _as_loaded(model: Any, tokenizer: Any) -> LoadedModel:
    if isinstance(model, LoadedModel):
        return model
    if isinstance(model, (str, Path)):
        return load_model(str(model))
    if tokenizer is None:
        raise HeadprintError("a model object needs its tokenizer: "
                             "compute_patterns(model, tokenizer, data)")
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    name = getattr(getattr(model, "config", None), "_name_or_path", None) or "in-memory"
    return LoadedModel(model, tokenizer, str(name), "unknown:in-memory", "memory", "")


def compute_patterns(model: Any, tokenizer: Any = None, data: Any = "gsm8k", *,
                     method: str = "paper", loss: str = "sample", per_sample: bool = False,
                     batch_size: int = 4, max_length: int = 1024, limit: int | None = None,
                     progress: bool = True, name: str | None = None,
                     format: str = "auto") -> PatternSet:
    """The activation pattern of ``data`` under ``model``: a :class:`PatternSet`.

    Same numbers as ``headprint patterns`` on the same rows and ``format`` (``auto``: the
    chat template when the tokenizer has one, else the raw text; ``chat``; ``raw``). ``model`` is a Hugging Face
    causal LM in memory (give ``tokenizer``), a :class:`LoadedModel`, or a name/path.
    The model's parameters are left as they were (frozen only during the computation).

    Returns:
        ``mean`` float32 ``[L, H]``; ``per_sample`` float32 ``[N, L, H]`` if asked.
    """
    from headprint.patterns.api import compute_patterns as _compute

    loaded = _as_loaded(model, tokenizer)
    bundle = load_data(data, limit=limit)
    result = _compute(loaded, bundle, method=method, loss=loss, batch_size=batch_size,
                      max_length=max_length, per_sample=per_sample, progress=progress,
                      name=name, prompt_format=format)
    assert result is not None  # single process: never a non-zero rank
    return result


def _pattern_sets(items: Any) -> list[PatternSet]:
    items = [items] if isinstance(items, (PatternSet, str, Path)) else list(items)
    return [i if isinstance(i, PatternSet) else PatternSet.load(i) for i in items]


def stats(pattern_sets: Any, *, n_boot: int = 1000, confidence: float = 0.95,
          seed: int = 0) -> StatsResult:
    """Table 1: Gini, CV and kurtosis of each pattern, with bootstrap intervals over samples
    when per-sample patterns are present."""
    from headprint.analysis import bootstrap_distribution, distribution_stats

    rows, patterns = [], {}
    for ps in _pattern_sets(pattern_sets):
        st = distribution_stats(ps.mean)
        ci = (bootstrap_distribution(ps.per_sample, n_boot=n_boot, confidence=confidence,
                                     seed=seed)
              if ps.per_sample is not None and ps.per_sample.shape[0] > 1 and n_boot else None)
        rows.append({"label": ps.name, "n_samples": int(ps.manifest.get(
            "n_samples", ps.per_sample.shape[0] if ps.per_sample is not None else 0)),
            **st.as_dict(), "ci": ci})
        patterns[ps.name] = ps.mean
    return StatsResult(rows, patterns)


def compare(a: Any, b: Any, *, top: int = 10, n_boot: int = 1000, confidence: float = 0.95,
            seed: int = 0) -> ComparisonResult:
    """Pearson r and MSE between two patterns of one model, and the heads that moved most."""
    from headprint.analysis import bootstrap_similarity, change, mse, pearson, top_changes
    from headprint.selection.provenance import check_comparable

    pa, pb = _pattern_sets([a, b])
    check_comparable(pa, pb, pa.name, pb.name)
    ci = None
    if pa.per_sample is not None and pb.per_sample is not None and n_boot:
        paired = bool(pa.sample_ids) and pa.sample_ids == pb.sample_ids
        ci = bootstrap_similarity(pa.per_sample, pb.per_sample, paired=paired, n_boot=n_boot,
                                  confidence=confidence, seed=seed)
    return ComparisonResult((pa.name, pb.name), pearson(pa.mean, pb.mean), mse(pa.mean, pb.mean),
                            ci, top_changes(pa.mean, pb.mean, k=top), change(pa.mean, pb.mean),
                            (pa.mean, pb.mean))


def similarity(pattern_sets: Sequence[Any], names: Sequence[str] | None = None
               ) -> SimilarityResult:
    """Task × task Pearson r and MSE (Figure 2), rows in clustering order."""
    from headprint.analysis import similarity_matrix

    sets = _pattern_sets(pattern_sets)
    if len(sets) < 2:
        raise HeadprintError(f"a similarity matrix needs at least two patterns, got {len(sets)}")
    sim = similarity_matrix([s.mean for s in sets], list(names or [s.name for s in sets]))
    sim = sim.ordered()
    return SimilarityResult(sim.names, sim.corr, sim.mse, sim.notes)


def compose(target: Sequence[Any], basis: Mapping[str, Sequence[Any]], *,
            k: int | Sequence[int] = 2, max_subsets: int | None = 1000,
            intercept: bool = False, nonnegative: bool = False, top: int = 5,
            n_permutations: int = 200, n_draws: int = 200, n_boot: int = 1000,
            confidence: float = 0.95, seed: int = 0, ci_method: str = "basic",
            pool: Mapping[str, Sequence[Any]] | None = None) -> CompositionResult:
    """Eq. 3 / Figure 4: the target task's change (after − before, ``[L, H]``) fitted on
    basic tasks' changes, all at once and per subset of size ``k``, the best subsets judged
    against shuffled-heads and random-tasks nulls (with bootstrap intervals when every set
    holds per-sample patterns). ``target`` is ``(before, after)``, ``basis`` maps a name to
    ``(before, after)``; pattern sets as objects or folders. Same numbers as
    ``headprint compose`` (:func:`headprint.analysis.api_compose.compute_compose`)."""
    from headprint.analysis.api_compose import compute_compose

    found = compute_compose(target, basis, k=k, max_subsets=max_subsets, intercept=intercept,
                            nonnegative=nonnegative, top=top, n_permutations=n_permutations,
                            n_draws=n_draws, n_boot=n_boot, confidence=confidence, seed=seed,
                            ci_method=ci_method, pool=pool)
    return CompositionResult(found.target, found.full, found.best, found.subsets,
                             found.n_possible_subsets, found.notes, found.params,
                             {"target": found.target_delta, **found.deltas})


def track(run: Any, *, n_boot: int = 1000, confidence: float = 0.95, seed: int = 0,
          ci_method: str = "basic") -> TrackingResult:
    """Figure 5: Pearson r and MSE of each step's pattern against step 0, per task.

    ``run`` is a run folder (``RUN_DIR/tracking/<task>/step-<k>/``, as ``headprint sft
    --track`` writes; or that ``tracking`` folder) or ``{task: {step: pattern set}}`` with
    pattern sets as objects or folders; every task needs step 0 (the base model). Same
    numbers as ``headprint track`` (:func:`headprint.analysis.api_track.compute_track`).
    """
    from headprint.analysis.api_track import compute_track

    found = compute_track(run, n_boot=n_boot, confidence=confidence, seed=seed,
                          ci_method=ci_method)
    model = str(found.inputs[0].get("model", "?")) if found.inputs else "?"
    return TrackingResult(found.series, found.notes, model)


def validate(model: Any, tokenizer: Any = None, pattern_set: Any = None, rows: Any = None, *,
             limit: int | None = 64, split: str | None = None, allow_overlap: bool = False,
             ablation: str = "zero", single_head: bool = False, seeds: int = 5,
             ks: Sequence[int] | None = None, batch_size: int = 8,
             max_length: int | None = None, rows_per_forward: int = 32,
             single_head_rows: int | None = None, seed: int = 0,
             progress: bool = True) -> ValidationResult:
    """Do ``pattern_set``'s head scores predict what ablating the heads does? Loss curves
    with the top-, bottom- and randomly-ranked heads ablated (and, with ``single_head``,
    every head alone against its score).

    ``model``: a :class:`LoadedModel` (its fingerprint must match the pattern set's), a
    Hugging Face causal LM with its ``tokenizer``, a name/folder, or None for the pattern
    set's own model. ``rows``: None for the next ``limit`` rows of the pattern set's own
    data that it did not use (what ``headprint validate`` takes by default), a task name or
    file (its first ``limit`` rows of ``split``), or row dicts. Same numbers as
    ``headprint validate`` (:func:`headprint.validation.validate`).
    """
    from headprint.validation import validate as _validate, validation_rows

    if pattern_set is None:
        raise HeadprintError("validate needs a pattern set: validate(model, pattern_set=...)")
    ps = pattern_set if isinstance(pattern_set, PatternSet) else PatternSet.load(pattern_set)
    model = ps.model if model is None else model
    if isinstance(model, (str, Path)):
        model = load_model(str(model))
    if rows is None or isinstance(rows, (str, Path)):
        bundle = validation_rows(ps, None if rows is None else str(rows), split, limit,
                                 allow_overlap)
    else:
        bundle = load_data(rows, limit=limit)
    return _validate(model, tokenizer, ps, bundle, ablation=ablation,
                     single_head=single_head, seeds=seeds, ks=ks, batch_size=batch_size,
                     max_length=max_length, rows_per_forward=rows_per_forward,
                     single_head_rows=single_head_rows, allow_overlap=allow_overlap,
                     seed=seed, progress=progress)


def select(out: str | Path, sizes: Sequence[int], *, by: str = "pattern",
           target: str | Path | None = None, pool: str | Path | None = None, **kwargs: Any):
    """Pool rows that stand in for a target set (Eq. 5): ``by`` is ``pattern`` (per-sample
    pattern correlation with the target's pattern), ``embedding`` (cosine of mean hidden
    states, as in RDS+) or ``random``; returns a ``SelectionResult`` and writes the chosen
    rows under ``out``. See :func:`headprint.selection.api.select`."""
    from headprint.selection.api import select as _select

    return _select(out, sizes, by=by, target=target, pool=pool, **kwargs)


def mix(target: tuple[str | Path, str | Path], basis: dict, size: int, out: str | Path,
        **kwargs: Any) -> dict[str, Any]:
    """A basic-task mixture from composition (Eq. 4); see
    :func:`headprint.selection.api.mix_data`."""
    from headprint.selection.api import mix_data

    return mix_data(target, basis, size, out, **kwargs)


def evaluate(model: Any, tasks: Sequence[str] | str, limit: int | None = None, *,
             tokenizer: Any = None, **kwargs: Any) -> dict[str, Any]:
    """lm-evaluation-harness on registered tasks, for a model in memory or a
    :class:`LoadedModel`; see :func:`headprint.evaluation.evaluate_detailed`."""
    from headprint.evaluation import evaluate_detailed

    return evaluate_detailed(model, list([tasks] if isinstance(tasks, str) else tasks), limit,
                             tokenizer=tokenizer, **kwargs)


def sft(out: str | Path, **config: Any):
    """Supervised fine-tuning with trl (``headprint sft``): ``config`` as the fields of
    :class:`headprint.training.SFTConfig`; returns an ``SFTResult``."""
    from headprint.training import SFTConfig, run_sft

    resume = bool(config.pop("resume", False))
    return run_sft(SFTConfig(**config), out, resume=resume)
