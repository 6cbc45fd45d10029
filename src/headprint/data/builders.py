"""Row builders for the generation tasks: GSM8K, MATH, MBPP, HumanEval.

A builder takes source rows in the *hub dataset's schema* (the offline readers hand over the
same fields) and the name of the split they come from, and returns headprint rows::

    {"id": str, "prompt": str, "completion": str, "meta": {...}}

Formats (prompt | completion | meta):

- ``gsm8k``: ``"Question: <q>\\nAnswer:"`` | ``" <solution with the <<calculator>>
  annotations removed, ending in '#### <answer>'>"`` | ``answer`` (final number, commas
  removed, as a string). Id ``gsm8k/<split>/<row index>``.
- ``math``: ``"Problem:\\n<problem>\\n\\nSolution:"`` | ``" <solution>"`` | ``answer`` (the
  last ``\\boxed{...}`` of the solution, verbatim), ``level``, ``subject``. Id
  ``math/<subject>/<split>/<index>``.
- ``mbpp``: ``"<task text>\\nYour code should pass these tests:\\n<asserts>\\n"`` | the
  reference code | ``tests`` (setup code and asserts), ``program_prefix`` ``""``. Id
  ``mbpp/<split>/<task_id>``.
- ``humaneval``: the signature and docstring | the reference body | ``tests`` (the check
  function and ``check(<entry_point>)``), ``entry_point``, ``program_prefix`` (the prompt,
  since the program is prompt + completion). Id ``humaneval/<split>/<n>``.

Code tasks (``eval_kind == "code_exec"``) run ``meta["program_prefix"] + completion + "\\n" +
meta["tests"]`` and pass when it exits with status 0.
"""
from __future__ import annotations

import re

__all__ = ["strip_calculator", "gsm8k_answer", "last_boxed", "gsm8k", "math", "mbpp",
           "humaneval", "MATH_SUBJECTS"]

MATH_SUBJECTS = ("algebra", "counting_and_probability", "geometry", "intermediate_algebra",
                 "number_theory", "prealgebra", "precalculus")
_MATH_TYPES = {"Algebra": "algebra", "Counting & Probability": "counting_and_probability",
               "Geometry": "geometry", "Intermediate Algebra": "intermediate_algebra",
               "Number Theory": "number_theory", "Prealgebra": "prealgebra",
               "Precalculus": "precalculus"}
_CALC = re.compile(r"<<[^>]*>>")


def strip_calculator(solution: str) -> str:
    """GSM8K solution text without its ``<<expr=result>>`` calculator annotations."""
    return _CALC.sub("", solution)


def gsm8k_answer(solution: str) -> str:
    """Final answer of a GSM8K solution (after ``####``), commas removed."""
    return solution.rsplit("####", 1)[-1].strip().replace(",", "")


def gsm8k(docs: list[dict], split: str) -> list[dict]:
    """GSM8K rows from ``{question, answer}`` docs (``answer`` is the worked solution)."""
    rows = []
    for i, doc in enumerate(docs):
        rows.append({
            "id": f"gsm8k/{split}/{i}",
            "prompt": f"Question: {doc['question'].strip()}\nAnswer:",
            "completion": " " + strip_calculator(doc["answer"]).strip(),
            "meta": {"answer": gsm8k_answer(doc["answer"])},
        })
    return rows


def last_boxed(text: str) -> str | None:
    """Content of the last ``\\boxed{...}`` (or ``\\fbox{...}``) in ``text``, braces matched."""
    start = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
    if start < 0:
        return None
    brace = text.find("{", start)
    if brace < 0:
        return None
    depth = 0
    for k in range(brace, len(text)):
        depth += {"{": 1, "}": -1}.get(text[k], 0)
        if depth == 0:
            return text[brace + 1:k]
    return None


def math(docs: list[dict], split: str) -> list[dict]:
    """MATH rows from ``{problem, solution, level, type}`` docs; ``index`` if present, else
    the position among docs of the same subject, numbers the rows."""
    rows = []
    seen: dict[str, int] = {}
    for doc in docs:
        subject = _MATH_TYPES.get(doc["type"], doc["type"].lower().replace(" ", "_"))
        index = doc.get("index", seen.get(subject, 0))
        seen[subject] = seen.get(subject, 0) + 1
        rows.append({
            "id": f"math/{subject}/{split}/{index}",
            "prompt": f"Problem:\n{doc['problem'].strip()}\n\nSolution:",
            "completion": " " + doc["solution"].strip(),
            "meta": {"answer": last_boxed(doc["solution"]), "level": doc.get("level"),
                     "subject": subject},
        })
    return rows


def _code(text: str) -> str:
    return text.replace("\r\n", "\n").rstrip()


def mbpp(docs: list[dict], split: str) -> list[dict]:
    """MBPP rows from ``{task_id, text, code, test_list, test_setup_code}`` docs."""
    rows = []
    for doc in docs:
        asserts = "\n".join(_code(t) for t in doc["test_list"])
        setup = _code(doc.get("test_setup_code") or "")
        rows.append({
            "id": f"mbpp/{split}/{doc['task_id']}",
            "prompt": f"{doc['text'].strip()}\nYour code should pass these tests:\n{asserts}\n",
            "completion": _code(doc["code"]),
            "meta": {"tests": f"{setup}\n{asserts}\n" if setup else asserts + "\n",
                     "program_prefix": "", "task_id": doc["task_id"]},
        })
    return rows


def humaneval(docs: list[dict], split: str) -> list[dict]:
    """HumanEval rows from ``{task_id, prompt, canonical_solution, test, entry_point}``."""
    rows = []
    for doc in docs:
        number = str(doc["task_id"]).rsplit("/", 1)[-1]
        rows.append({
            "id": f"humaneval/{split}/{number}",
            "prompt": doc["prompt"],
            "completion": doc["canonical_solution"].rstrip() + "\n",
            "meta": {"tests": f"{doc['test']}\n\ncheck({doc['entry_point']})\n",
                     "entry_point": doc["entry_point"], "program_prefix": doc["prompt"],
                     "task_id": doc["task_id"]},
        })
    return rows
