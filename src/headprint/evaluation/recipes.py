"""Evaluation recipes: lm-evaluation-harness task configs built from headprint's local rows.

A registered task's ``eval_kind`` (:mod:`headprint.data.tasks`) selects its recipe:

==================  ==================  ===================================================
eval_kind           lm-eval output      scored as
==================  ==================  ===================================================
multiple_choice     multiple_choice     log-likelihood of each of ``meta["choices"]`` after
                                        ``meta["mc_prompt"]``; ``acc`` (argmax = ``gold``),
                                        ``acc_norm`` (length-normalised) also reported
gsm8k               generate_until      greedy; final number (``#### N``, else last number)
                                        equals ``meta["answer"]``
math                generate_until      greedy; last ``\\boxed{}`` equals ``meta["answer"]``
                                        after Hendrycks et al.'s normalisation
code_exec           generate_until      greedy; the program read from the generation
                                        (:func:`~.answers.extract_program`: a fenced block,
                                        else ``program_prefix + generation``) ``+ "\\n" +
                                        tests`` exits 0 in a limited subprocess (and prints
                                        ``meta["answer"]`` last, when given): pass@1
==================  ==================  ===================================================

``loss`` tasks (``pycode``) have no recipe. Rows are written as JSON lines
``{"id", "prompt", "completion", "meta"}`` (the reference completion, for inspection;
``meta`` as a JSON string, so rows of any shape load with one schema) and read by lm-eval's ``dataset_path: json`` loader from that local file: nothing is
fetched. Greedy decoding everywhere, as in the paper; zero-shot.

Prompt format (:mod:`headprint.data.prompt_format`), the one SFT trains in: ``raw`` prompts
with the rows' own prompts and no chat template (the paper's format); ``chat`` gives the
prompt as the user turn (:func:`~headprint.data.prompt_format.user_content`) and lets
lm-evaluation-harness render it through the model's chat template
(``simple_evaluate(apply_chat_template=True)``); a multiple-choice option is then scored as
the assistant's answer, without its leading space. Stop strings in ``chat``: the kind's
end-of-answer markers and end-of-turn tokens, not the raw code stops (``\\ndef``,
``\\n\\n\\n``, ...), which would cut a fenced program; code answers end at the closing
fence (``\\n```\\n``).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Callable

from headprint.data.prompt_format import user_content
from headprint.errors import HeadprintError
from headprint.evaluation.answers import (extract_program, gsm8k_correct, math_correct,
                                          printed_answer_matches)
from headprint.evaluation.sandbox import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, run_program

__all__ = ["Recipe", "RECIPES", "NoRecipeError", "recipe_for", "tasks_with_recipe",
           "write_docs", "task_config", "describe_config", "code_passes", "CodeLimits"]


@dataclass(frozen=True)
class CodeLimits:
    """Per-program limits of ``code_exec`` scoring, fixed for one evaluation.

    Attributes:
        timeout: seconds of wall clock (and CPU) per program.
        memory_mb: address space per program.
    """

    timeout: float = DEFAULT_TIMEOUT
    memory_mb: int = DEFAULT_MEMORY_MB


class NoRecipeError(HeadprintError, ValueError):
    """The task has no evaluation recipe (or is not a registered task)."""


def _meta(doc: dict) -> dict:
    return json.loads(doc["meta"])


def _prompt(doc: dict) -> str:
    return doc["prompt"]


def _gsm8k_results(doc: dict, results: list[str]) -> dict[str, float]:
    return {"acc": float(gsm8k_correct(results[0], _meta(doc)["answer"]))}


def _math_results(doc: dict, results: list[str]) -> dict[str, float]:
    return {"acc": float(math_correct(results[0], _meta(doc).get("answer")))}


def _chat_prompt(doc: dict) -> str:
    return user_content(doc["prompt"])


def code_passes(meta: dict, generation: str, limits: CodeLimits = CodeLimits()) -> bool:
    """Run the program read from ``generation`` (:func:`~.answers.extract_program`) and the
    row's tests in the sandbox under ``limits``; True when it passes."""
    program = extract_program(generation, meta) + "\n" + meta.get("tests", "")
    result = run_program(program, timeout=limits.timeout, memory_mb=limits.memory_mb)
    if not result.passed:
        return False
    if meta.get("answer") not in (None, ""):
        return printed_answer_matches(result.stdout, str(meta["answer"]))
    return True


def _code_results(doc: dict, results: list[str],
                  limits: CodeLimits = CodeLimits()) -> dict[str, float]:
    return {"acc": float(code_passes(_meta(doc), results[0], limits))}


@dataclass(frozen=True)
class Recipe:
    """How one ``eval_kind`` is evaluated.

    Attributes:
        kind: the ``eval_kind``. output_type: lm-eval's request type.
        fields: lm-eval task-config fields (callables take the doc written by
            :func:`write_docs`).
        max_gen_toks: generation budget (generation kinds).
        until: stop strings (the tokenizer's eos is always added by lm-eval).
        chat_fields, chat_until: what replaces ``fields`` entries and ``until`` in the
            ``chat`` format (None: the same stops).
    """

    kind: str
    output_type: str
    fields: dict[str, Any]
    max_gen_toks: int | None = None
    until: tuple[str, ...] = ()
    chat_fields: dict[str, Any] = field(default_factory=dict)
    chat_until: tuple[str, ...] | None = None


_ACC = {"metric": "acc", "aggregation": "mean", "higher_is_better": True}
_TURN_ENDS = ("</s>", "<|im_end|>", "<end_of_turn>")
_CHAT_TEXT = {"doc_to_text": _chat_prompt}
RECIPES: dict[str, Recipe] = {
    "multiple_choice": Recipe("multiple_choice", "multiple_choice", {
        "doc_to_text": lambda doc: _meta(doc)["mc_prompt"],
        "doc_to_choice": lambda doc: _meta(doc)["choices"],
        "doc_to_target": lambda doc: int(_meta(doc)["gold"]),
        "target_delimiter": "",  # choices carry their own leading space
        "metric_list": [_ACC, {"metric": "acc_norm", "aggregation": "mean",
                               "higher_is_better": True}]},
        chat_fields={"doc_to_text": lambda doc: user_content(_meta(doc)["mc_prompt"]),
                     "doc_to_choice": lambda doc: [c.strip() for c in _meta(doc)["choices"]]}),
    "gsm8k": Recipe("gsm8k", "generate_until", {
        "doc_to_text": _prompt, "doc_to_target": lambda doc: _meta(doc)["answer"],
        "process_results": _gsm8k_results, "metric_list": [_ACC]},
        max_gen_toks=256, until=("Question:", *_TURN_ENDS), chat_fields=_CHAT_TEXT),
    "math": Recipe("math", "generate_until", {
        "doc_to_text": _prompt, "doc_to_target": lambda doc: _meta(doc).get("answer") or "",
        "process_results": _math_results, "metric_list": [_ACC]},
        max_gen_toks=512, until=("Problem:", *_TURN_ENDS), chat_fields=_CHAT_TEXT),
    "code_exec": Recipe("code_exec", "generate_until", {
        "doc_to_text": _prompt, "doc_to_target": lambda doc: "",
        "process_results": _code_results, "metric_list": [_ACC], "unsafe_code": True},
        max_gen_toks=384, until=("\nif __name__", "\n\n\n", *_TURN_ENDS),
        chat_fields=_CHAT_TEXT, chat_until=("\n```\n", *_TURN_ENDS)),
}
# Task-specific stops on top of the kind's: HumanEval's body ends at the next top-level
# statement (Chen et al. 2021); GSM8K programs at the next question.
_EXTRA_STOPS = {"humaneval": ("\nclass", "\ndef", "\n#", "\nif", "\nprint"),
                "gsm8k-py": ("\nQuestion:",), "mbpp": ("\nassert",)}


def tasks_with_recipe() -> list[str]:
    """Registered tasks that can be evaluated (subject variants such as ``mmlu:<s>`` too)."""
    from headprint.data import TASKS

    return [name for name, spec in TASKS.items() if spec.eval_kind in RECIPES]


def recipe_for(task: str) -> tuple[Recipe, str, str]:
    """``(recipe, task name, split)`` for a task argument such as ``gsm8k`` or
    ``mmlu:biology:train`` (default split: ``test``).

    Raises:
        NoRecipeError: unknown task, or a task whose kind has no recipe; the message lists
            the tasks that have one.
    """
    from headprint.data import DataError
    from headprint.data.source import is_file_source, resolve_task

    if is_file_source(task):
        raise NoRecipeError(f"{task!r} is a data file; evaluation needs a registered task "
                            f"(its rows say how to score them): {', '.join(_families())}")
    head, _, tail = task.rpartition(":")
    named = tail if head and tail in ("train", "test") else None
    try:
        spec, _ = resolve_task(task, None)
    except DataError as err:
        raise NoRecipeError(str(err)) from err
    split = named or "test"
    if spec.eval_kind not in RECIPES:
        raise NoRecipeError(
            f"task {spec.name!r} (eval kind {spec.eval_kind!r}) has no evaluation recipe; "
            f"tasks with one: {', '.join(_families())}")
    return RECIPES[spec.eval_kind], spec.name, split


def _families() -> list[str]:
    names = tasks_with_recipe()
    plain = [n for n in names if ":" not in n]
    return plain + sorted({n.split(":")[0] + ":<subject>" for n in names if ":" in n})


def write_docs(rows: list[dict], path: str | Path) -> Path:
    """Write rows as lm-eval docs ``{"id", "prompt", "completion", "meta": <JSON string>}``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            if "prompt" not in row:
                raise NoRecipeError(f"row {row.get('id')!r} has no prompt (messages rows "
                                    "cannot be evaluated by these recipes)")
            doc = {"id": str(row["id"]), "prompt": row["prompt"],
                   "completion": row.get("completion", ""),
                   "meta": json.dumps(row.get("meta", {}), ensure_ascii=False, default=str)}
            handle.write(json.dumps(doc, ensure_ascii=False) + "\n")
    return path


def task_config(task: str, recipe: Recipe, docs_path: str | Path,
                max_gen_toks: int | None = None, prompt_format: str = "raw", *,
                code_limits: CodeLimits | None = None) -> dict[str, Any]:
    """The lm-eval task config (a dict ``TaskManager.load`` accepts) for local docs, in the
    resolved ``prompt_format`` (``raw`` or ``chat``; see the module docstring).

    ``code_limits`` (default :class:`CodeLimits`) bind into this config's scorer of a
    ``code_exec`` recipe, so two evaluations with different limits never share them."""
    if prompt_format not in ("raw", "chat"):
        raise ValueError(f"task_config needs a resolved format (raw or chat), got "
                         f"{prompt_format!r}")
    chat = prompt_format == "chat"
    config: dict[str, Any] = {
        "task": "headprint_" + re.sub(r"[^A-Za-z0-9_]+", "_", task),
        "dataset_path": "json",
        # cache_dir: the json loader's arrow cache stays beside the docs, not in ~/.cache
        "dataset_kwargs": {"data_files": {"test": str(docs_path)},
                           "cache_dir": str(Path(docs_path).parent / ".datasets-cache")},
        "test_split": "test", "output_type": recipe.output_type, "num_fewshot": 0,
        "metadata": {"version": 1, "headprint_task": task, "format": prompt_format},
        **recipe.fields, **(recipe.chat_fields if chat else {}),
    }
    if recipe.kind == "code_exec":
        config["process_results"] = partial(_code_results, limits=code_limits or CodeLimits())
    if recipe.output_type == "generate_until":
        if chat and recipe.chat_until is not None:
            until = list(recipe.chat_until)
        else:
            until = list(recipe.until) + list(_EXTRA_STOPS.get(task.split(":")[0], ()))
        config["generation_kwargs"] = {"until": until, "do_sample": False,
                                       "max_gen_toks": max_gen_toks or recipe.max_gen_toks}
    return config


def describe_config(config: dict[str, Any]) -> dict[str, Any]:
    """JSON-ready copy of a task config (callables by qualified name), for results files."""
    def name(value: Any) -> Any:
        if isinstance(value, partial):  # a scorer with this evaluation's settings bound
            value = value.func
        if isinstance(value, Callable):
            return f"{value.__module__}.{value.__qualname__}"
        return value

    return {key: name(value) for key, value in config.items()}

