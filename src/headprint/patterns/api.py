"""Library calls behind ``headprint patterns``: model + data in, a saved pattern set out."""
from __future__ import annotations

import contextlib
import json
import logging
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from headprint import __version__
from headprint.distributed import init_distributed
from headprint.data.errors import DataError
from headprint.errors import HeadprintError
from headprint.hashing import stable_hash
from headprint.locking import check_output_folder, output_lock
from headprint.models import LoadedModel, load_model
from headprint.models.architecture import attention_layout
from headprint.patterns.artifact import MANIFEST_FILE, PatternSet, PatternSetError
from headprint.patterns.compute import ShardPlan, score_samples
from headprint.patterns.config import PatternConfig
from headprint.patterns.scoring import LossScaling, Method

__all__ = ["PatternConfig", "PatternRun", "compute_patterns", "run_patterns",
           "run_patterns_detailed", "OutputExistsError"]

log = logging.getLogger(__name__)


class OutputExistsError(HeadprintError, FileExistsError):
    """The output folder already holds a different artifact."""


def compute_patterns(loaded: LoadedModel, bundle, *, method: Method = "paper",
                     loss: LossScaling = "sample", batch_size: int = 4, max_length: int = 1024,
                     per_sample: bool = False, plan: ShardPlan | None = None,
                     progress: bool = True, name: str | None = None,
                     prompt_format: str = "auto") -> PatternSet | None:
    """Pattern set of ``bundle`` (a :class:`headprint.data.DataBundle`) under ``loaded``,
    its rows tokenized in ``prompt_format`` (recorded in the manifest as ``format``).

    Samples whose every target token is truncated away are excluded and counted
    (``n_truncated_out``), never averaged in as zeros. Returns None on non-zero ranks.
    """
    from headprint.data import encode_rows
    from headprint.data.prompt_format import resolve_format

    prompt_format = resolve_format(prompt_format, loaded.tokenizer, loaded.path)
    encoded = encode_rows(bundle.rows, loaded.tokenizer, max_length, prompt_format)
    kept = [(row, sample) for row, sample in zip(bundle.rows, encoded) if sample.n_target > 0]
    if not kept:
        raise DataError(f"{bundle.name}: no sample has a response token left within "
                        f"max_length={max_length}")
    ids = [str(row["id"]) for row, _ in kept]
    samples = [sample for _, sample in kept]
    _warn_about_inputs(bundle, encoded, samples, ids, loaded.tokenizer, max_length)
    started = time.perf_counter()
    scores = score_samples(loaded.model, samples, loaded.tokenizer.pad_token_id, method=method,
                           loss=loss, batch_size=batch_size, sample_ids=ids, plan=plan,
                           progress=progress, description=f"patterns {bundle.name}")
    if scores is None:
        return None
    if scores.shape[0] != len(ids):  # a bug: score_samples checks its shards
        raise AssertionError(f"{scores.shape[0]} score rows for {len(ids)} samples")
    elapsed = time.perf_counter() - started
    layout = attention_layout(loaded.model)
    n_out = len(encoded) - len(kept)
    manifest = {
        "name": name or bundle.name,
        "model": loaded.name, "model_fingerprint": loaded.fingerprint,
        "model_type": getattr(loaded.model.config, "model_type", None),
        "method": method, "loss": loss, "format": prompt_format,
        "data": bundle.describe(), "split": bundle.split,
        "n_samples": len(ids), "sample_ids": ids,
        "num_layers": layout.num_layers, "num_heads": layout.num_heads,
        "max_length": max_length, "batch_size": batch_size,
        "n_truncated": sum(1 for s in samples if s.truncated),
        "n_truncated_out": n_out, "n_skipped": int(bundle.n_skipped) + n_out,
        "dtype": str(next(loaded.model.parameters()).dtype).replace("torch.", ""),
        "attn_implementation": loaded.attn_implementation,
        "dtype_reason": getattr(loaded, "dtype_reason", ""),
        "seconds": round(elapsed, 3), "headprint_version": __version__,
    }
    return PatternSet(mean=scores.mean(dim=0), manifest=manifest,
                      per_sample=scores if per_sample else None)


def _some(ids: list[str], limit: int = 5) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def _warn_about_inputs(bundle, encoded, samples, ids, tokenizer, max_length: int) -> None:
    """Say what was dropped, cut or scored on almost nothing (the manifest counts it too).

    Bad rows skipped with ``--skip-bad`` are listed where they are read (data.formats).
    """
    row_ids = [str(row["id"]) for row in bundle.rows]
    out = [rid for rid, sample in zip(row_ids, encoded) if sample.n_target == 0]
    if out:
        log.warning("warning: %d sample(s) left out: their whole response lies beyond "
                    "--max-length %d (%s)", len(out), max_length, _some(out))
    cut = [sid for sid, sample in zip(ids, samples) if sample.truncated]
    if cut:
        log.warning("warning: %d sample(s) cut to --max-length %d; scored on the response "
                    "tokens left (%s)", len(cut), max_length, _some(cut))
    eos = getattr(tokenizer, "eos_token_id", None)
    empty = [sid for sid, sample in zip(ids, samples)
             if eos is not None and all(label in (-100, eos) for label in sample.labels)]
    if empty:
        log.warning("warning: %d sample(s) have an empty response and are scored on the eos "
                    "token alone (%s)", len(empty), _some(empty))


def _settings(config: PatternConfig, loaded: LoadedModel, bundle, prompt_format: str) -> dict:
    keep = asdict(config)
    for transient in ("device", "device_map", "shard_size", "name", "format"):
        keep.pop(transient)
    if prompt_format != "raw":  # raw artifacts keep the keys they had before formats
        keep["format"] = prompt_format
    # The dtype used, not the one asked for ("auto" differs by machine); float32 keys as
    # None, as before "auto" existed, so float32 artifacts made then are still recognised.
    used = str(next(loaded.model.parameters()).dtype).replace("torch.", "")
    keep["dtype"] = None if used == "float32" else used
    return {**keep, "model_fingerprint": loaded.fingerprint,
            "data_fingerprint": bundle.describe().get("fingerprint")}


@dataclass
class PatternRun:
    """What :func:`run_patterns_detailed` did.

    Attributes:
        result: the pattern set in ``out`` (None on non-zero ranks of a ``torchrun`` launch).
        status: ``"computed"`` (written now) or ``"unchanged"`` (``out`` already held it).
    """

    result: PatternSet | None
    status: str


def _existing_key(out: Path) -> str | None:
    """Run key of the artifact in ``out``: None if there is none, "" if it is unreadable."""
    path = out / MANIFEST_FILE
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return ""
    return str(manifest.get("run_key", "")) if isinstance(manifest, dict) else ""


def _refuse_other(out: Path, overwrite: bool, late: bool = False) -> None:
    if overwrite:
        return
    if late:
        raise OutputExistsError(
            f"{out / MANIFEST_FILE} was written by another run while this one computed; this "
            f"result was not saved (its shards stay in {out / '.shards'}). Pass --overwrite to "
            "replace the other artifact, or choose another --out")
    raise OutputExistsError(
        f"{out} already holds a different artifact ({out / MANIFEST_FILE}); pass --overwrite "
        f"to replace it or choose another --out")


def run_patterns(config: PatternConfig, out: str | Path, overwrite: bool = False,
                 progress: bool = True) -> PatternSet | None:
    """Load model and data, compute (resuming finished shards), save to ``out``.

    Returns the pattern set in ``out`` (see :func:`run_patterns_detailed`).
    """
    return run_patterns_detailed(config, out, overwrite, progress).result


def run_patterns_detailed(config: PatternConfig, out: str | Path, overwrite: bool = False,
                          progress: bool = True) -> PatternRun:
    """Load model and data, compute (resuming finished shards), save to ``out``.

    ``out`` is locked while this runs (:func:`headprint.locking.output_lock`); the check
    that ``out`` holds no other artifact is made on entry and again just before writing.

    Raises:
        OutputExistsError: ``out`` holds a different artifact and ``overwrite`` is False.
        OutputBusyError: another run is writing ``out``.
        NotADirectoryError, PermissionError: ``out`` is a file or cannot be written.
    """
    from headprint.data import load_data
    from headprint.data.prompt_format import resolve_format

    out = check_output_folder(out)  # before anything slow
    dist = init_distributed()
    bundle = load_data(config.data, split=config.split, limit=config.limit,
                       skip_bad=config.skip_bad)
    device = config.device or ("cuda" if torch.cuda.is_available() else "cpu")
    if dist.world_size > 1 and device == "cuda":
        device = f"cuda:{dist.local_rank}"
    loaded = load_model(config.model, dtype=config.dtype, device=None if config.device_map
                        else device, device_map=config.device_map)
    prompt_format = resolve_format(config.format, loaded.tokenizer, loaded.path)
    key = stable_hash(_settings(config, loaded, bundle, prompt_format))
    # One writer per folder; under torchrun rank 0 holds the lock for all ranks (a rank
    # that fails here ends the launch, and the others wait for rank 0 before writing).
    lock = output_lock(out) if dist.rank == 0 else contextlib.nullcontext()
    try:
        with lock:
            previous = _existing_key(out)
            if previous == key and not overwrite:
                log.debug("%s already holds this pattern set; nothing to do", out)
                return PatternRun(PatternSet.load(out), "unchanged")
            if previous is not None:
                _refuse_other(out, overwrite)
            plan = ShardPlan(out / ".shards", config.shard_size, dist.rank, dist.world_size,
                             key)
            result = compute_patterns(loaded, bundle, method=config.method, loss=config.loss,
                                      batch_size=config.batch_size,
                                      max_length=config.max_length,
                                      per_sample=config.per_sample, plan=plan,
                                      progress=progress, name=config.name,
                                      prompt_format=prompt_format)
            if result is not None:
                if _existing_key(out) not in (None, previous, key):
                    _refuse_other(out, overwrite, late=True)
                result.manifest.update(run_key=key, world_size=dist.world_size, device=device)
                result.save(out)
                shutil.rmtree(plan.folder, ignore_errors=True)
            dist.barrier()
    finally:
        dist.close()
    return PatternRun(result, "computed")
