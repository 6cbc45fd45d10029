"""Library calls behind ``headprint eval``: lm-evaluation-harness on an in-memory model.

:func:`evaluate` takes a model already in memory (a ``LoadedModel``, or a Hugging Face model
plus its tokenizer), loads each task's evaluation rows with :func:`headprint.data.load_data`
(split ``test`` unless the task names one, ``limit`` rows chosen as ``load_data`` chooses
them), writes them and an lm-eval task config per task (:mod:`.recipes`), and runs
``lm_eval.simple_evaluate`` with ``HFLM(pretrained=<model object>)``: nothing is fetched and
the model is not reloaded. It returns ``{task: accuracy}``; :func:`evaluate_detailed`
returns everything (metrics, counts, data provenance, per-sample outputs).

The prompt format (``auto``, ``chat`` or ``raw``; :mod:`headprint.data.prompt_format`) is
resolved once per call and recorded in the results (``format``, and in ``settings``).
Generation goes through :class:`~headprint.evaluation.generation.HeadprintLM`: stop strings
never match inside the model's leading special tokens or whitespace, and every empty
generation is counted per task (``n_empty``, with ``empty_stop``: the stop string that ended
the first of them); when more than a tenth of a task's generations are empty a warning says
so (``warnings`` in the results, and the log).

:func:`run_eval` loads a model by name and writes ``results.json``, ``results.md`` and
``samples/<task>.jsonl``.
"""
from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from headprint import __version__
from headprint.errors import UsageError
from headprint.io import atomic_write_json, atomic_write_text
from headprint.evaluation.config import EvalConfig
from headprint.models import LoadedModel, load_model

__all__ = ["EvalConfig", "evaluate", "evaluate_detailed", "run_eval", "results_table",
           "EMPTY_WARNING_SHARE"]

log = logging.getLogger(__name__)

EMPTY_WARNING_SHARE = 0.1
"""Warn when more than this share of a task's generations are empty."""


def _as_lm(model_or_loaded: Any, tokenizer: Any, batch_size: int
           ) -> tuple[Any, Any, dict, bool, Any, str | None]:
    """``(lm-eval LM, HF model or None, identity, model was in train mode, tokenizer,
    model folder)``."""
    from lm_eval.api.model import LM

    from headprint.evaluation.generation import HeadprintLM

    if isinstance(model_or_loaded, LM):  # any lm-eval model (a vLLM wrapper, a test stub)
        return model_or_loaded, None, {"model": type(model_or_loaded).__name__,
                                       "model_fingerprint": None}, False, \
            getattr(model_or_loaded, "tokenizer", None), None
    path = None
    if isinstance(model_or_loaded, LoadedModel):
        model, tokenizer = model_or_loaded.model, model_or_loaded.tokenizer
        identity = {"model": model_or_loaded.name,
                    "model_fingerprint": model_or_loaded.fingerprint}
        path = model_or_loaded.path
    elif tokenizer is None:
        raise UsageError("evaluating a bare model needs its tokenizer (tokenizer=...)")
    else:
        model = model_or_loaded
        name = getattr(getattr(model, "config", None), "_name_or_path", None) or "in-memory"
        identity = {"model": str(name), "model_fingerprint": None}
        path = getattr(getattr(model, "config", None), "_name_or_path", None) or None
    identity["dtype"] = str(next(model.parameters()).dtype).replace("torch.", "")
    was_training = model.training  # HFLM switches the model to eval mode
    lm = HeadprintLM(pretrained=model, tokenizer=tokenizer, batch_size=batch_size)
    return lm, model, identity, was_training, tokenizer, path


def _sample_record(kind: str, sample: dict, cuts: dict | None = None) -> dict:
    doc = sample["doc"]
    record = {"id": doc["id"], "correct": bool(sample.get("acc", 0))}
    if kind == "multiple_choice":
        scores = [float(r[0]) for r in sample["filtered_resps"]]
        record["loglikelihoods"] = scores
        record["predicted"] = max(range(len(scores)), key=scores.__getitem__)
        record["gold"] = json.loads(doc["meta"])["gold"]
    else:
        record["generation"] = sample["filtered_resps"][0]
        cut = (cuts or {}).get(sample["arguments"][0][0]) if sample.get("arguments") else None
        record["empty"] = cut.empty if cut is not None else not record["generation"].strip()
        record["stop"] = cut.stop if cut is not None else None
    return record


def _empties(task: str, records: list[dict]) -> tuple[dict, str | None]:
    """``{"n_empty", "empty_stop"}`` of a generation task, and a warning when more than
    ``EMPTY_WARNING_SHARE`` of its generations are empty."""
    empty = [r for r in records if r.get("empty")]
    stop = next((r["stop"] for r in empty if r.get("stop")), None)
    warning = None
    if records and len(empty) > EMPTY_WARNING_SHARE * len(records):
        warning = (f"{task}: {len(empty)} of {len(records)} generations are empty"
                   + (f"; the first was cut by the stop string {stop!r}" if stop else "")
                   + " (see samples/; a chat model prompted raw? try --format chat)")
    return {"n_empty": len(empty), "empty_stop": stop}, warning


def evaluate_detailed(model_or_loaded: Any, tasks: list[str] | str, limit: int | None = None,
                      *, tokenizer: Any = None, batch_size: int = 8,
                      max_gen_toks: int | None = None, work_dir: str | Path | None = None,
                      code_timeout: float = 10.0, code_memory_mb: int = 1024,
                      prompt_format: str = "auto") -> dict[str, Any]:
    """Evaluate a model on registered tasks; see the module docstring.

    Args:
        model_or_loaded: a ``LoadedModel``, a Hugging Face causal LM (give ``tokenizer``),
            or any ``lm_eval.api.model.LM``. A model's train/eval mode is restored after.
        work_dir: where docs and task configs are written (default: a temporary folder).
        prompt_format: ``auto``, ``chat`` or ``raw`` (:mod:`headprint.data.prompt_format`).

    Returns:
        ``{"tasks": {task: {"accuracy", "metrics", "n", "kind", "split", "data",
        "lm_eval_task", "n_empty"?, "empty_stop"?}}, "samples": {task: [records]}, "model",
        "model_fingerprint", "format", "settings", "warnings", "seconds", "versions"}``
        (``n_empty`` and ``empty_stop`` for generation tasks).

    Raises:
        NoRecipeError: a task without an evaluation recipe (the message lists those with one).
    """
    import lm_eval
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    from headprint.data import load_data
    from headprint.data.prompt_format import resolve_format
    from headprint.evaluation import recipes

    tasks = [tasks] if isinstance(tasks, str) else list(tasks)
    planned = [(task, *recipes.recipe_for(task)) for task in tasks]  # fail before any work
    started = time.perf_counter()
    lm, model, identity, was_training, tokenizer, path = _as_lm(model_or_loaded, tokenizer,
                                                                batch_size)
    scratch = tempfile.TemporaryDirectory(prefix="headprint-eval-") if work_dir is None else None
    folder = Path(scratch.name if scratch is not None else work_dir)
    limits = recipes.CodeLimits(timeout=code_timeout, memory_mb=code_memory_mb)
    try:
        fmt = resolve_format(prompt_format, tokenizer, path)
        configs, info = [], {}
        for task, recipe, name, split in planned:
            bundle = load_data(name, split=split, limit=limit)
            docs = recipes.write_docs(bundle.rows, folder / "docs" / f"{task}.jsonl")
            configs.append(recipes.task_config(task, recipe, docs, max_gen_toks, fmt,
                                               code_limits=limits))
            info[task] = {"kind": recipe.kind, "split": split, "data": bundle.describe(),
                          "lm_eval_task": recipes.describe_config(configs[-1])}
        output = simple_evaluate(
            model=lm, tasks=configs, task_manager=TaskManager(include_defaults=False),
            bootstrap_iters=0, log_samples=True, confirm_run_unsafe_code=True,
            apply_chat_template=fmt == "chat")
    finally:
        if model is not None:
            model.train(was_training)
        if scratch is not None:
            scratch.cleanup()
        else:
            shutil.rmtree(folder / "docs" / ".datasets-cache", ignore_errors=True)
    results: dict[str, Any] = {**identity, "format": fmt, "tasks": {}, "samples": {},
                               "warnings": []}
    cuts = getattr(lm, "cuts", None)
    for (task, recipe, _, _), config in zip(planned, configs):
        name = config["task"]
        metrics = {key.split(",")[0]: value for key, value in output["results"][name].items()
                   if "," in key and "stderr" not in key and isinstance(value, (int, float))}
        results["tasks"][task] = {"accuracy": metrics["acc"], "metrics": metrics,
                                  "n": int(output["n-samples"][name]["effective"]),
                                  **info[task]}
        records = [_sample_record(recipe.kind, s, cuts) for s in output["samples"][name]]
        results["samples"][task] = records
        if recipe.output_type == "generate_until":
            counts, warning = _empties(task, records)
            results["tasks"][task].update(counts)
            if warning:
                log.warning(warning)
                results["warnings"].append(warning)
    results["settings"] = {"limit": limit, "batch_size": batch_size,
                           "max_gen_toks": max_gen_toks, "decoding": "greedy",
                           "num_fewshot": 0, "code_timeout": code_timeout,
                           "code_memory_mb": code_memory_mb, "format": fmt,
                           "format_requested": prompt_format}
    results["versions"] = {"headprint": __version__, "lm_eval": lm_eval.__version__}
    results["seconds"] = round(time.perf_counter() - started, 1)
    return results


def evaluate(model_or_loaded: Any, tasks: list[str] | str, limit: int | None = None,
             **kwargs: Any) -> dict[str, float]:
    """Accuracy per task (``{task: accuracy}``); ``kwargs`` as for :func:`evaluate_detailed`."""
    detailed = evaluate_detailed(model_or_loaded, tasks, limit, **kwargs)
    return {task: float(entry["accuracy"]) for task, entry in detailed["tasks"].items()}


def results_table(results: dict[str, Any]) -> str:
    """The Markdown summary of a :func:`evaluate_detailed` result (rendered by the report
    stage's ``results/eval.j2``; also what ``headprint eval`` prints)."""
    from headprint.report.summaries import render_summary

    return render_summary("eval", results)


def run_eval(config: EvalConfig, out: str | Path) -> dict[str, Any]:
    """Load ``config.model``, evaluate, and write ``results.json``, ``results.md`` and
    ``samples/<task>.jsonl`` into ``out``. Returns the results (without samples).

    Results already in ``out`` are kept: tasks evaluated now are merged into them (a task
    evaluated again replaces its own entry). ``out`` is locked while this runs.

    Raises:
        OutputExistsError: ``out`` holds results of another model or other settings.
    """
    from headprint.evaluation import recipes
    from headprint.locking import output_lock

    for task in config.tasks:  # refuse unknown tasks before loading a model
        recipes.recipe_for(task)
    out = Path(out)
    loaded = load_model(config.model, dtype=config.dtype, device=config.device)
    with output_lock(out):
        earlier = _earlier_results(out, config, loaded.fingerprint)
        results = evaluate_detailed(
            loaded, config.tasks, config.limit, batch_size=config.batch_size,
            max_gen_toks=config.max_gen_toks, work_dir=out / "lm-eval-tasks",
            code_timeout=config.code_timeout, code_memory_mb=config.code_memory_mb,
            prompt_format=config.format)
        samples = results.pop("samples")
        for task, records in samples.items():
            text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
            atomic_write_text(out / "samples" / f"{task}.jsonl", text)
        results["config"] = asdict(config)
        if earlier is not None:
            results["tasks"] = {**earlier["tasks"], **results["tasks"]}
            results["config"]["tasks"] = list(results["tasks"])
            results["seconds"] = round(results["seconds"] + earlier.get("seconds", 0), 1)
        atomic_write_json(out / "results.json", results)
        atomic_write_text(out / "results.md", results_table(results))
    return results


# Settings that change a task's numbers: results made under others are not merged.
_MERGE_KEYS = ("limit", "max_gen_toks", "code_timeout", "code_memory_mb", "format")


def _earlier_results(out: Path, config: EvalConfig, fingerprint: str) -> dict | None:
    """The results already in ``out`` if this run may add to them, else an error."""
    from headprint.patterns.api import OutputExistsError

    path = out / "results.json"
    if not path.exists():
        return None
    try:
        earlier = json.loads(path.read_text(encoding="utf-8"))
        # "format" as requested (auto, chat, raw): the same model resolves it the same way.
        said = {key: earlier["settings"].get("format_requested" if key == "format" else key)
                for key in _MERGE_KEYS}
        theirs = earlier["model_fingerprint"]
    except (ValueError, KeyError, TypeError, AttributeError):
        raise OutputExistsError(f"{path} is not a headprint results file; choose another "
                                "--out") from None
    ours = {key: getattr(config, key) for key in _MERGE_KEYS}
    if theirs != fingerprint or said != ours:
        differ = [k for k in _MERGE_KEYS if said[k] != ours[k]]
        what = "another model" if theirs != fingerprint else f"other settings ({differ})"
        raise OutputExistsError(f"{path} holds results of {what} ({earlier.get('model')}); "
                                "they are kept: choose another --out")
    return earlier
