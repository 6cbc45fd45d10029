"""Answer extraction and the execution sandbox (runaway programs are stopped, scored wrong)."""
from __future__ import annotations

import json
import time

import pytest

from headprint.evaluation import recipes
from headprint.evaluation.answers import (extract_gsm8k_answer, gsm8k_correct, math_correct,
                                          normalize_math_answer)
from headprint.evaluation.sandbox import run_program


@pytest.mark.parametrize("generation, expected", [
    (" 3 + 4 = 7\n#### 7", "7"),
    ("#### 1,234.", "1234"),
    ("It costs $18.00 in total.", "18.00"),
    ("no number here", None),
    ("#### -5\nQuestion: 12", "-5"),
])
def test_gsm8k_extraction(generation, expected):
    assert extract_gsm8k_answer(generation) == expected


def test_gsm8k_numeric_comparison():
    assert gsm8k_correct("so 18.0 eggs\n#### 18.00", "18")
    assert not gsm8k_correct("#### 19", "18")


@pytest.mark.parametrize("generation, gold", [
    ("Thus $\\boxed{\\dfrac{1}{2}}$.", "\\frac12"),
    ("$\\boxed{ 0.5 }$", "\\frac{1}{2}"),
    ("the answer is \\boxed{10^\\circ}", "10"),
    ("\\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}", "(3,\\frac{\\pi}{2})"),
])
def test_math_boxed_answers_normalised(generation, gold):
    assert math_correct(generation, gold)


def test_math_wrong_and_missing_answers():
    assert not math_correct("\\boxed{3}", "4")
    assert not math_correct("I do not know", "4")
    assert normalize_math_answer("\\text{ cm}") is not None  # never raises


def test_sandbox_passes_and_fails():
    assert run_program("assert sum([1, 2]) == 3\nprint('ok')").stdout.strip() == "ok"
    result = run_program("assert 1 == 2")
    assert not result.passed and result.status == "failed" and "AssertionError" in result.stderr


def test_infinite_loop_is_stopped():
    started = time.perf_counter()
    result = run_program("while True:\n    pass\n", timeout=1.5)
    assert result.status == "timeout" and not result.passed
    assert time.perf_counter() - started < 10


def test_sleeping_program_is_stopped_by_wall_clock():
    result = run_program("import time\ntime.sleep(60)\n", timeout=1.0)
    assert result.status == "timeout" and result.seconds < 10


def test_unbounded_allocation_is_stopped():
    program = "chunks = []\nwhile True:\n    chunks.append(bytearray(50_000_000))\n"
    result = run_program(program, timeout=20, memory_mb=256)
    assert result.status == "memory" and not result.passed


def test_runaway_generations_are_scored_wrong():
    tight = recipes.CodeLimits(timeout=1.5, memory_mb=256)
    meta = {"program_prefix": "", "tests": "assert f(2) == 4\n"}
    assert recipes.code_passes(meta, "def f(x):\n    return 2 * x\n", tight)
    assert not recipes.code_passes(meta, "def f(x):\n    while True:\n        pass\n", tight)
    assert not recipes.code_passes(meta, "x = [bytearray(10**8) for _ in range(100)]\n", tight)
    # gsm8k-py: the last printed line must equal the answer.
    assert recipes.code_passes({"answer": "12", "tests": ""}, "print(3 * 4)\n")
    assert not recipes.code_passes({"answer": "12", "tests": ""}, "print(13)\n")


def test_two_evaluations_keep_their_own_code_limits(tmp_path):
    """Two task configs built in one process with different limits: each scorer uses its own
    (with one module-level limits table, the second evaluation's would apply to both)."""
    recipe = recipes.RECIPES["code_exec"]
    slow = "import time\ntime.sleep(2.5)\nprint(12)\n"  # 2.5 s of wall clock
    doc = {"meta": json.dumps({"answer": "12", "tests": "", "program_prefix": ""})}
    strict = recipes.task_config("gsm8k-py", recipe, tmp_path / "a.jsonl",
                                 code_limits=recipes.CodeLimits(timeout=1.0))
    patient = recipes.task_config("gsm8k-py", recipe, tmp_path / "b.jsonl",
                                  code_limits=recipes.CodeLimits(timeout=20.0))
    assert strict["process_results"](doc, [slow]) == {"acc": 0.0}
    assert patient["process_results"](doc, [slow]) == {"acc": 1.0}
    assert strict["process_results"](doc, [slow]) == {"acc": 0.0}
    # The recorded description names the scorer, not the bound settings.
    assert recipes.describe_config(strict)["process_results"] == \
        "headprint.evaluation.recipes._code_results"


def test_program_runs_outside_the_evaluator(tmp_path):
    """Side effects land in the sandbox's own folder, not in the caller's process."""
    import os

    result = run_program("import os\nprint(os.getpid(), os.getcwd())\n")
    pid, cwd = result.stdout.split()
    assert int(pid) != os.getpid() and cwd != os.getcwd()


# -- answers the way chat models write them ---------------------------------------------------

def _humaneval_row():
    from headprint.data import load_data

    return load_data("humaneval", split="test", limit=1).rows[0]


def test_code_answers_fenced_and_unfenced():
    """HumanEval's first test row, its canonical solution written four ways."""
    row = _humaneval_row()
    meta, body = row["meta"], row["completion"]
    whole = row["prompt"] + body  # the full function, as a chat model writes it
    assert recipes.code_passes(meta, body)  # a bare continuation (raw)
    assert recipes.code_passes(meta, f"Here you go:\n```python\n{whole}```\nIt works.")
    assert recipes.code_passes(meta, f"```python\n{body}```")  # continuation in a fence
    assert recipes.code_passes(meta, f"```python\n{whole}")  # cut by the closing-fence stop
    # a wrong program still fails, fenced or not
    wrong = row["prompt"] + "    return None\n"
    assert not recipes.code_passes(meta, "    return None\n")
    assert not recipes.code_passes(meta, f"```python\n{wrong}```")
    assert not recipes.code_passes(meta, "I cannot write this function.")


def test_program_extraction_rules():
    from headprint.evaluation.answers import extract_program

    prefix = "from typing import List\n\n\ndef f(xs: List[int]) -> int:\n    \"\"\"Sum.\"\"\"\n"
    meta = {"program_prefix": prefix, "entry_point": "f"}
    fenced = "```python\ndef f(xs: List[int]) -> int:\n    return sum(xs)\n```\n"
    # a whole program keeps the prefix's imports; its stub of f is replaced
    assert extract_program(fenced, meta) == (prefix.rstrip() + "\n\n"
                                             + "def f(xs: List[int]) -> int:\n"
                                               "    return sum(xs)\n")
    # a dedented body in a fence is put back under the prefix's function
    assert extract_program("```\nreturn sum(xs)\n```", meta) == prefix + "    return sum(xs)\n"
    # rows without a prefix (gsm8k-py, mbpp): the block runs on its own
    assert extract_program("Sure.\n```py\nprint(3)\n```\n```\nprint(4)\n```", {}) == "print(3)\n"
    assert extract_program("print(5)\n", {"program_prefix": ""}) == "print(5)\n"
    # a block in another language is not code to run
    assert extract_program("```text\nprint(1)\n```", {}) == "```text\nprint(1)\n```"


def test_gsm8k_py_fenced_program():
    meta = {"answer": "12", "tests": "", "program_prefix": ""}
    assert recipes.code_passes(meta, "```python\nprint(3 * 4)\n```\nThe answer is 12.")
    assert not recipes.code_passes(meta, "```python\nprint(3 * 5)\n```\nThe answer is 12.")


@pytest.mark.parametrize("generation, expected", [
    ("Janet has 16 - 3 - 4 = 9 eggs, 9 * 2 = 18.\nThe answer is $18.", "18"),
    ("So she earns \\boxed{18} dollars per day, from 9 eggs.", "18"),
    ("The final answer is: 1,234 apples, or 5 boxes.", "1234"),
    ("#### 7\nThe answer is 8", "7"),  # the strict form wins
])
def test_gsm8k_chat_style_answers(generation, expected):
    assert extract_gsm8k_answer(generation) == expected


@pytest.mark.parametrize("generation, gold", [
    ("We simplify. The answer is $\\frac{1}{2}$.", "\\frac12"),
    ("First $x=2$, then $y = 3$. So the answer is 5.", "5"),
    ("Thus $x = 3$ and finally $x^2 = 9$", "x^2 = 9"),
])
def test_math_chat_style_answers(generation, gold):
    assert math_correct(generation, gold)


# -- one number rule for model answers and programs' printed answers --------------------------

def test_numbers_equal_rule():
    from headprint.evaluation.answers import numbers_equal

    assert numbers_equal("1,234.", "1234") and numbers_equal("$18.00", "18")
    # |a − b| ≤ rel_tol · max(1, |b|): 1e-6 of 1000 is 1e-3 (hand arithmetic)
    assert numbers_equal("1000.0009", "1000") and not numbers_equal("1000.0011", "1000")
    # below 1 the scale is 1: 1e-6 absolute
    assert numbers_equal("0.0000009", "0") and not numbers_equal("0.0000011", "0")
    # the data stage's tolerance: 1e-9 of 1000 is 1e-6
    assert numbers_equal(1000.0000009, 1000.0, rel_tol=1e-9)
    assert not numbers_equal(1000.0000011, 1000.0, rel_tol=1e-9)
    assert numbers_equal("x+1", "x+1") and not numbers_equal("x+1", "x+2")  # not numbers
    assert not numbers_equal(None, "1") and not numbers_equal("1", None)


def test_printed_answer_is_the_last_non_empty_line():
    from headprint.evaluation.answers import printed_answer_matches

    assert printed_answer_matches("working...\n12\n\n", "12")
    assert not printed_answer_matches("12\nworking...\n", "12")
    assert not printed_answer_matches("", "12") and not printed_answer_matches(None, "12")
    # the gsm8k-py builder's check and the code_exec scorer read programs the same way
    result = run_program("print('steps')\nprint(3 * 4)\n")
    assert printed_answer_matches(result.stdout, "12", rel_tol=1e-9)
    assert recipes.code_passes({"answer": "12", "tests": ""}, "print('steps')\nprint(12.0)\n")


def test_gsm8k_programs_run_in_the_sandbox():
    from headprint.data.gsm8k_program import run_programs

    outputs = run_programs(["print(2 + 3)\n", "print(open('x'))\n", "while True:\n    pass\n"],
                           per_program_seconds=0.5)
    assert outputs == ["5\n", None, None]  # open is not among the allowed builtins
