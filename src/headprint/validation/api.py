"""``validate``: do a pattern set's head scores predict what ablating the heads does?

One library call (:func:`validate`) returns a :class:`ValidationResult`; :func:`run_validate`
loads the pattern set, the model and the rows, calls it and writes ``DIR/validate.json``
(plus tables, figures and ``report.html`` through :mod:`headprint.report.validation_page`).

Ablation is applied at the point the scores read (the input of each attention output
projection) on the unmodified model: ``zero`` sets a head's output to 0, ``mean`` replaces
it by its mean over the real tokens of the validation rows (computed in a first pass).

Cost, in forwards of one row: the curves evaluate ``2·(K−2) + seeds·(K−2) + 2`` distinct
settings (K = len(ks); 65 for SmolLM2's 270 heads with 5 seeds), each on every row;
``single_head`` adds ``L·H`` settings on ``single_head_rows`` rows and one backward pass.
Settings whose lowest ablated layer is ``l`` run only layers ``l`` and up (the layers below
are replayed from the unablated pass), which roughly halves the per-head pass.
"""
from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from headprint import __version__
from headprint.models.architecture import attention_layout
from headprint.patterns.batching import length_grouped_batches
from headprint.validation.config import Ablation, ValidateConfig
from headprint.validation.curves import (check_ks, correlations, curve_summary, default_ks,
                                         head_orders, order_masks, paired_tests)
from headprint.validation.errors import (ModelMismatchError, NoTargetTokensError,
                                         RowOverlapError, ValidationError)
from headprint.validation.losses import ablation_losses, first_order
from headprint.validation.result import ValidationResult

__all__ = ["validate", "ValidationResult", "ValidateConfig", "run_validate", "validation_rows",
           "Ablation"]


def _encode(rows: Sequence[Any], tokenizer: Any, max_length: int,
            prompt_format: str = "raw") -> tuple[list, list[str], int]:
    """Encoded samples with a response token, their ids, and how many rows had none.

    Rows are tokenized in ``prompt_format``, the pattern set's own (its manifest's
    ``format``), so the loss ablated is the loss the scores were read from."""
    if rows and isinstance(rows[0], dict):
        from headprint.data import encode_rows

        encoded = encode_rows(list(rows), tokenizer, max_length, prompt_format)
        ids = [str(r["id"]) for r in rows]
    else:  # already encoded (objects with input_ids and labels)
        encoded = list(rows)
        ids = [str(getattr(s, "id", None) or i) for i, s in enumerate(rows)]
    kept = [(i, s) for i, s in zip(ids, encoded)
            if sum(1 for v in s.labels[1:] if v != -100) > 0]
    if not kept:
        raise NoTargetTokensError(
            f"none of the {len(encoded)} validation rows has a response (target) token "
            f"within max_length={max_length}: nothing to measure the loss on")
    return [s for _, s in kept], [i for i, _ in kept], len(encoded) - len(kept)


def _refuse_overlap(ids: Sequence[str], used: Sequence[str]) -> None:
    overlap = sorted(set(ids) & set(used))
    if overlap:
        raise RowOverlapError(
            f"{len(overlap)} of the {len(ids)} validation rows (e.g. {overlap[0]!r}) are rows "
            f"the pattern set was computed on; choose other rows or pass --allow-overlap")


def _check_model(pattern_set: Any, fingerprint: str | None, layout: Any) -> None:
    m = pattern_set.manifest
    wanted = m.get("model_fingerprint")
    if fingerprint and wanted and fingerprint != wanted:
        raise ModelMismatchError(
            f"the pattern set was computed on model {m.get('model')!r} ({str(wanted)[:23]}) "
            f"but the model given has fingerprint {fingerprint[:23]}: pass the pattern set's "
            f"--model")
    if tuple(pattern_set.shape) != (layout.num_layers, layout.num_heads):
        raise ModelMismatchError(
            f"the pattern set is {pattern_set.shape[0]}×{pattern_set.shape[1]} (layers × "
            f"heads) but the model has {layout.num_layers}×{layout.num_heads}")


def validate(model: Any, tokenizer: Any, pattern_set: Any, rows: Any, *,
             ablation: Ablation = "zero", single_head: bool = False, seeds: int = 5,
             ks: Sequence[int] | None = None, batch_size: int = 8,
             max_length: int | None = None, rows_per_forward: int = 32,
             single_head_rows: int | None = None, allow_overlap: bool = False,
             reuse_prefix: bool = True, seed: int = 0, progress: bool = True
             ) -> ValidationResult:
    """Ablation curves (and per-head ablation) of ``pattern_set``'s heads on ``rows``.

    Args:
        model: a :class:`headprint.models.LoadedModel` (its fingerprint is checked against
            the pattern set's) or a Hugging Face causal LM.
        tokenizer: the model's tokenizer (ignored for a LoadedModel; may be None when
            ``rows`` are already encoded).
        pattern_set: a :class:`headprint.patterns.PatternSet`; its ``mean`` ranks the heads.
        rows: a ``DataBundle``, row dicts, or encoded samples (``input_ids``, ``labels``).
        ablation: ``zero`` or ``mean`` (each head's mean output over the rows' real tokens).
        single_head: also ablate every head alone and compare with the scores and with
            the signed first-order estimate.
        seeds: random orders (at least 1; 5 by default).
        ks: numbers of heads to ablate (default ``0, 1, 2, 4, …, L·H``); 0 and L·H are
            always added.
        single_head_rows: per-head ablation on the first N rows only (default: all).
        allow_overlap: accept rows the pattern set was computed on (recorded).

    Raises:
        ModelMismatchError, KOutOfRangeError, NoTargetTokensError, RowOverlapError.
    """
    started = time.perf_counter()
    if ablation not in ("zero", "mean"):
        raise ValidationError(f"unknown ablation {ablation!r}; choose 'zero' or 'mean'")
    if seeds < 1:
        raise ValidationError("seeds must be at least 1")
    fingerprint = getattr(model, "fingerprint", None)
    model_name = getattr(model, "name", None) or getattr(model.config, "_name_or_path", "?")
    if hasattr(model, "tokenizer") and hasattr(model, "model"):
        tokenizer, model = model.tokenizer, model.model
    layout = attention_layout(model)
    _check_model(pattern_set, fingerprint, layout)
    n_heads = layout.num_layers * layout.num_heads
    ks = check_ks(ks if ks is not None else default_ks(n_heads), n_heads)
    bundle_info = rows.describe() if hasattr(rows, "describe") else None
    rows = list(rows.rows) if hasattr(rows, "rows") else list(rows)
    max_length = int(max_length or pattern_set.manifest.get("max_length") or 1024)
    prompt_format = str(pattern_set.manifest.get("format") or "raw")
    samples, ids, n_no_target = _encode(rows, tokenizer, max_length, prompt_format)
    overlap = sorted(set(ids) & set(pattern_set.sample_ids))
    if not allow_overlap:
        _refuse_overlap(ids, pattern_set.sample_ids)
    pad = getattr(tokenizer, "pad_token_id", None) or 0
    batches = length_grouped_batches(samples, batch_size, pad)
    seconds: dict[str, float] = {}

    replacement = None
    if ablation == "mean":
        from headprint.validation.hooks import head_output_means

        t = time.perf_counter()
        replacement = head_output_means(model, layout, batches)
        seconds["means"] = time.perf_counter() - t

    shape = (layout.num_layers, layout.num_heads)
    orders = head_orders(pattern_set.mean, seeds, seed)
    named = [("top", 0, orders["top"][0]), ("bottom", 0, orders["bottom"][0])]
    named += [("random", s, o) for s, o in enumerate(orders["random"])]
    masks, index = [], {}
    for name, s, order in named:
        for k, mask in zip(ks, order_masks(order, ks, shape)):
            key = mask.numpy().tobytes()
            if key not in index:
                index[key] = len(masks)
                masks.append(mask)
            index[(name, s, k)] = index[key]
    t = time.perf_counter()
    losses = ablation_losses(model, layout, batches, torch.stack(masks), replacement=replacement,
                             rows_per_forward=rows_per_forward, reuse_prefix=reuse_prefix,
                             progress=progress, description=f"curves ({len(masks)} settings)"
                             ).double().numpy()
    seconds["curves"] = time.perf_counter() - t

    def per_row(name: str, s: int) -> np.ndarray:
        return np.stack([losses[index[(name, s, k)]] for k in ks])  # [K, N]

    top, bottom = per_row("top", 0), per_row("bottom", 0)
    rand = np.stack([per_row("random", s) for s in range(seeds)])  # [S, K, N]
    rand_curves = rand.mean(axis=2)
    curves = {"top": top.mean(axis=1).tolist(), "bottom": bottom.mean(axis=1).tolist(),
              "random_mean": rand_curves.mean(axis=0).tolist(),
              "random_sd": (rand_curves.std(axis=0, ddof=1) if seeds > 1
                            else np.zeros(len(ks))).tolist(),
              "random": rand_curves.tolist()}
    summary = curve_summary(ks, curves["top"], curves["random_mean"], curves["bottom"])
    tests = paired_tests(ks, top, rand)

    single = None
    if single_head:
        single = _single_head(model, layout, batches, samples, ids, pattern_set, replacement,
                              single_head_rows, batch_size, pad, rows_per_forward,
                              reuse_prefix, progress, seconds)
    seconds["total"] = time.perf_counter() - started
    m = pattern_set.manifest
    provenance = {
        "model": model_name, "model_fingerprint": fingerprint,
        "pattern_set": {k: m.get(k) for k in ("name", "model", "model_fingerprint", "method",
                                              "loss", "data", "split", "n_samples",
                                              "run_key", "created")},
        "rows": bundle_info, "n_rows": len(ids), "n_no_target": n_no_target,
        "max_length": max_length, "format": prompt_format, "allow_overlap": allow_overlap,
        "n_overlap": len(overlap), "overlap_ids": overlap[:50],
        "batch_size": batch_size, "rows_per_forward": rows_per_forward, "seed": seed,
        "torch": torch.__version__, "headprint_version": __version__,
        "dtype": str(next(model.parameters()).dtype).replace("torch.", ""),
    }
    return ValidationResult(
        ablation=ablation, sample_ids=ids, ks=list(ks), curves=curves, summary=summary,
        tests=tests, num_layers=layout.num_layers, num_heads=layout.num_heads, seeds=seeds,
        single_head=single, provenance=provenance,
        seconds={k: round(v, 2) for k, v in seconds.items()},
        row_losses={"top": top, "bottom": bottom, "random": rand})


def _single_head(model, layout, batches, samples, ids, pattern_set, replacement, n_rows,
                 batch_size, pad, rows_per_forward, reuse_prefix, progress, seconds
                 ) -> dict[str, Any]:
    """Every head ablated alone, against the pattern score and the first-order estimate."""
    chosen = list(range(len(samples)))[:n_rows] if n_rows else list(range(len(samples)))
    sub = [samples[i] for i in chosen]
    sub_batches = length_grouped_batches(sub, batch_size, pad)
    t = time.perf_counter()
    fo = first_order(model, layout, sub_batches, replacement, progress=progress)
    seconds["first_order"] = time.perf_counter() - t
    L, H = layout.num_layers, layout.num_heads
    masks = torch.zeros(L * H + 1, L * H, dtype=torch.bool)
    masks[1:] = torch.eye(L * H, dtype=torch.bool)
    t = time.perf_counter()
    losses = ablation_losses(model, layout, sub_batches, masks.view(-1, L, H),
                             replacement=replacement, rows_per_forward=rows_per_forward,
                             reuse_prefix=reuse_prefix, progress=progress,
                             description=f"single heads ({L * H})").double()
    seconds["single_head"] = time.perf_counter() - t
    delta = (losses[1:] - losses[0]).mean(dim=1).view(L, H).numpy()
    estimate = fo["estimate"].double().mean(dim=0).numpy()
    score = pattern_set.mean.double().numpy()
    rows_score = fo["inner"].double().abs().mean(dim=0).numpy()
    moved = np.abs(delta) > 0
    agree = float(np.mean(np.sign(delta[moved]) == np.sign(estimate[moved]))) if moved.any() \
        else None
    flat = np.argsort(-delta.ravel(), kind="stable")[:10]
    top = [{"layer": int(i // H), "head": int(i % H), "actual": float(delta.ravel()[i]),
            "estimate": float(estimate.ravel()[i]), "score": float(score.ravel()[i]),
            "score_rank": int(np.sum(score.ravel() > score.ravel()[i])) + 1} for i in flat]
    return {
        "sample_ids": [ids[i] for i in chosen], "loss_0": float(losses[0].mean()),
        "actual": delta.tolist(), "estimate": estimate.tolist(), "score": score.tolist(),
        "score_rows": rows_score.tolist(),
        "vs_score": correlations(delta, score),
        "abs_vs_score": correlations(np.abs(delta), score),
        "vs_estimate": correlations(delta, estimate),
        "score_rows_vs_score": correlations(rows_score, score),
        "sign_agreement": agree, "top_heads": top,
        "max_abs_error": float(np.max(np.abs(delta - estimate))),
    }


def validation_rows(pattern_set: Any, data: str | None = None, split: str | None = None,
                    limit: int | None = 64, allow_overlap: bool = False):
    """Rows to validate on: by default the next ``limit`` rows of the pattern set's own data
    source (same split, same seeded order) that the pattern set did not use; with ``data``
    the first ``limit`` rows of that source (overlap is refused unless ``allow_overlap``,
    by :func:`validate`).

    Raises:
        ValidationError: the pattern set's source has no rows left.
    """
    from headprint.data import load_data

    if data is not None:
        return load_data(data, split=split, limit=limit)
    m = pattern_set.manifest
    info = m.get("data")
    if isinstance(info, dict):
        source = info.get("path") if info.get("kind") == "file" and info.get("path") \
            else info.get("source")
        seed = int(info.get("seed") or 0)
        split = split or (info.get("split") if info.get("kind") != "file" else None)
    else:
        source, seed = info, 0
    if not source:
        raise ValidationError("the pattern set's manifest names no data source; pass --data")
    used = set(pattern_set.sample_ids)
    want = None if limit is None else len(used) + limit
    bundle = load_data(str(source), split=split, limit=want, seed=seed)
    bundle.rows = [r for r in bundle.rows if str(r["id"]) not in used][:limit]
    if not bundle.rows:
        raise ValidationError(
            f"the pattern set used every row of {source!r} (split {split}); pass --data to "
            f"choose other rows (or --allow-overlap with --data {source})")
    bundle.limit = limit
    return bundle


def run_validate(config: ValidateConfig, out: str | Path, progress: bool = True
                 ) -> ValidationResult:
    """Load pattern set, model and rows; validate; write ``out/validate.json`` and the page."""
    from headprint.models import load_model
    from headprint.patterns.artifact import PatternSet
    from headprint.report.validation_page import write_validation

    pattern_set = PatternSet.load(config.patterns)
    bundle = validation_rows(pattern_set, config.data, config.split, config.limit,
                             config.allow_overlap)
    if not config.allow_overlap:  # before the model is loaded: a cheap error comes first
        _refuse_overlap([str(r["id"]) for r in bundle.rows], pattern_set.sample_ids)
    device = config.device or ("cuda" if torch.cuda.is_available() else "cpu")
    loaded = load_model(config.model or pattern_set.model, dtype=config.dtype, device=device)
    result = validate(loaded, None, pattern_set, bundle, ablation=config.ablation,
                      single_head=config.single_head, seeds=config.seeds, ks=config.ks,
                      batch_size=config.batch_size, max_length=config.max_length,
                      rows_per_forward=config.rows_per_forward,
                      single_head_rows=config.single_head_rows,
                      allow_overlap=config.allow_overlap, seed=config.seed, progress=progress)
    result.provenance["pattern_set"]["path"] = str(Path(config.patterns).resolve())
    result.provenance["config"] = asdict(config)
    write_validation(result, out)
    return result
