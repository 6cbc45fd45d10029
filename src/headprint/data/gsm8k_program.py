"""GSM8K solved by a Python program: the offline stand-in for SGSM (the paper's Fig. 4 and
Table 2 target).

Each GSM8K solution line becomes a comment, and each calculator annotation
``<<16-3-4=9>>`` on it becomes an assignment ``stepK = 16 - 3 - 4``. A number in a later
expression that equals an earlier step's value and does not occur in the question is
replaced by that step's name (so ``<<9*2=18>>`` becomes ``step2 = step1 * 2``). The program
ends with::

    answer = round(stepN, 6)
    print(int(answer) if answer == int(answer) else answer)

Only arithmetic (``+ - * /``, parentheses, numbers) is accepted from the annotations, checked
on the syntax tree, so building and running programs is safe by construction; they still
run, all in one program, in headprint's sandbox (:func:`headprint.evaluation.sandbox.run_program`)
with a per-program time limit. A row is kept only if its program prints a number equal to
the reference answer (:func:`verify_rows`, by the evaluation's own rule
:func:`headprint.evaluation.answers.printed_answer_matches`); the others are dropped and
counted by the caller. Numbers are compared with ``rel_tol`` 1e-9 here (step values, and
printed against reference answers), the tolerance this module has always used, so the
programs built and the rows kept are the ones recorded.

Row format: prompt ``"Question: <q>\\nWrite a Python program that prints the answer.\\n"``,
completion the program; ``meta``: ``answer`` (reference, commas removed), ``source_id``
(the GSM8K row id, so carving puts both on the same side), ``tests`` ``""`` and
``program_prefix`` ``""`` (``code_exec``: pass when the program exits 0 and its last
printed line equals ``answer`` as a number). Id ``gsm8k-py/<split>/<row index>``.
"""
from __future__ import annotations

import ast
import json
import re

from headprint.data.builders import gsm8k_answer, strip_calculator
from headprint.data.errors import DataError

__all__ = ["build_program", "gsm8k_py", "run_programs", "verify_rows", "REL_TOL"]

REL_TOL = 1e-9
"""Relative tolerance of number comparisons when building and checking programs."""

_ANNOTATION = re.compile(r"<<([^>]*)>>")
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?|\.\d+")
_OPS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
        ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b}


def _evaluate(node: ast.AST, env: dict[str, float]) -> float:
    """Value of an arithmetic tree; ``ValueError`` for anything else."""
    if isinstance(node, ast.Expression):
        return _evaluate(node.body, env)
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.Name) and node.id in env:
        return env[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _evaluate(node.operand, env)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_evaluate(node.left, env), _evaluate(node.right, env))
    raise ValueError(f"not plain arithmetic: {ast.dump(node)[:60]}")


def _same(a: float, b: float) -> bool:
    """The evaluation's number rule at :data:`REL_TOL`. Imported here, not at module level:
    ``headprint.evaluation`` imports the data stage, so a top-level import would be a cycle."""
    from headprint.evaluation.answers import numbers_equal

    return numbers_equal(a, b, rel_tol=REL_TOL)


class _Substitute(ast.NodeTransformer):
    def __init__(self, steps: list[tuple[str, float]], given: set[float]):
        self.steps, self.given = steps, given

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if any(_same(node.value, g) for g in self.given):
            return node
        for name, value in reversed(self.steps):
            if _same(node.value, value):
                return ast.Name(id=name, ctx=ast.Load())
        return node


def build_program(question: str, solution: str) -> str | None:
    """The program for one GSM8K row, or None when its annotations are not plain arithmetic
    (or there are none)."""
    given = {float(n.replace(",", "")) for n in _NUMBER.findall(question)}
    steps: list[tuple[str, float]] = []
    lines: list[str] = []
    for line in solution.split("\n"):
        if line.strip().startswith("####"):
            break
        text = strip_calculator(line).strip()
        if text:
            lines.append(f"# {text}")
        for annotation in _ANNOTATION.findall(line):
            expr = annotation.split("=")[0].replace(",", "").strip()
            expr = re.sub(r"(?<![\d.])0+(?=\d)", "", expr)  # 05 -> 5 (Python rejects 05)
            try:
                tree = ast.parse(expr, mode="eval")
                env = dict(steps)
                _evaluate(tree, env)
                tree = ast.fix_missing_locations(_Substitute(steps, given).visit(tree))
                value = _evaluate(tree, env)
            except (SyntaxError, ValueError, ZeroDivisionError):
                return None
            name = f"step{len(steps) + 1}"
            steps.append((name, value))
            lines.append(f"{name} = {ast.unparse(tree)}")
    if not steps:
        return None
    lines += [f"answer = round({steps[-1][0]}, 6)",
              "print(int(answer) if answer == int(answer) else answer)"]
    return "\n".join(lines) + "\n"


def gsm8k_py(docs: list[dict], split: str) -> list[dict]:
    """Rows (before verification) from GSM8K ``{question, answer}`` docs; a row whose program
    cannot be built has an empty completion and fails :func:`verify_rows`."""
    rows = []
    for i, doc in enumerate(docs):
        question = doc["question"].strip()
        rows.append({
            "id": f"gsm8k-py/{split}/{i}",
            "prompt": f"Question: {question}\nWrite a Python program that prints the answer.\n",
            "completion": build_program(question, doc["answer"]) or "",
            "meta": {"answer": gsm8k_answer(doc["answer"]), "source_id": f"gsm8k/{split}/{i}",
                     "tests": "", "program_prefix": ""},
        })
    return rows


# One sandboxed program runs the batch (a process per program would cost ~1,000 Python
# start-ups per split); each program gets its own timer and only print, int and round.
_RUNNER = r"""
import contextlib, io, json, signal, sys
def _timeout(*_):
    raise TimeoutError
signal.signal(signal.SIGALRM, _timeout)
out = []
for program in json.loads(%(programs)r):
    buffer = io.StringIO()
    try:
        signal.setitimer(signal.ITIMER_REAL, %(limit)s)
        with contextlib.redirect_stdout(buffer):
            exec(compile(program, "<program>", "exec"),
                 {"__builtins__": {"print": print, "int": int, "round": round}})
        out.append(buffer.getvalue())
    except BaseException:
        out.append(None)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
json.dump(out, sys.stdout)
"""
_OUTPUTS: dict[str, str | None] = {}
_OUTPUT_CHARS = 16 * 1024 * 1024  # the sandbox's file limit: the whole JSON of outputs


def run_programs(programs: list[str], per_program_seconds: float = 2.0) -> list[str | None]:
    """Stdout of each program (None on error or timeout), all run in one sandboxed process.

    Results are cached per program text for the life of the process.

    Raises:
        DataError: the batch as a whole timed out or the runner itself failed.
    """
    from headprint.evaluation.sandbox import run_program  # not at module level: see _same

    todo = sorted({p for p in programs if p and p not in _OUTPUTS})
    if todo:
        runner = _RUNNER % {"limit": per_program_seconds, "programs": json.dumps(todo)}
        done = run_program(runner, timeout=30 + per_program_seconds * len(todo),
                           keep_chars=_OUTPUT_CHARS)
        if done.status == "timeout":
            raise DataError(f"running {len(todo)} GSM8K programs timed out")
        if not done.passed:
            raise DataError(f"the GSM8K program runner failed ({done.status}): "
                            f"{done.stderr.strip()[-500:]}")
        _OUTPUTS.update(zip(todo, json.loads(done.stdout)))
    return [_OUTPUTS.get(p) if p else None for p in programs]


def verify_rows(rows: list[dict]) -> list[bool]:
    """For each row: does running its program print its reference answer?"""
    from headprint.evaluation.answers import printed_answer_matches  # see _same

    outputs = run_programs([row["completion"] for row in rows])
    return [out is not None and printed_answer_matches(out, row["meta"]["answer"],
                                                       rel_tol=REL_TOL)
            for row, out in zip(rows, outputs)]
