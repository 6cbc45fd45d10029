"""Answer extraction and comparison for the generation tasks (GSM8K, MATH).

One answer-matching rule per kind, whatever the prompt format; chat models write their
answers differently from raw continuations, so each rule also reads the chat-style answer.

GSM8K (final number), following lm-evaluation-harness's ``gsm8k`` task:

- *strict*: the number after the last ``#### `` (the format the SFT completions teach);
- *chat-style* (no ``####``): the number in the last ``\\boxed{...}``, else the number after
  the last "answer is" / "Answer:";
- *flexible* (none of those): the last number in the generation.

Both strip ``,`` and ``$`` and a trailing ``.``; two answers are equal when they are equal
as numbers (``18``, ``18.0`` and ``18.00`` match), otherwise as strings.

Numbers (:func:`numbers_equal`, the one number rule of headprint): an answer ``a`` equals a
reference ``b`` when ``|a − b| ≤ rel_tol · max(1, |b|)``, ``rel_tol`` 1e-6 for model answers.
Programs' printed answers (:func:`printed_answer_matches`: the last non-empty line of
standard output) go through the same rule: ``code_exec`` scoring of gsm8k-py generations,
and the check that builds gsm8k-py (:mod:`headprint.data.gsm8k_program`, with ``rel_tol``
1e-9, as it always used, so the rows it keeps do not change).

MATH (boxed answer, normalised): the content of the last ``\\boxed{...}`` of the generation
(braces matched, the same extraction that produced the gold answer in
:mod:`headprint.data.builders`) compared after the normalisation of Hendrycks et al. (2021)
as shipped by lm-evaluation-harness (``hendrycks_math.utils.strip_string``: ``\\left``/
``\\right``, ``dfrac``→``frac``, ``a/b``→``\\frac{a}{b}``, units, spaces, degrees, ``$``…).
If the generation has no ``\\boxed``, a chat-style "the answer is X" (X up to the end of its
sentence, a surrounding ``$...$`` removed) is used, else the last ``$...$`` span; failing
that, no answer.

Code (``code_exec``, :func:`extract_program`): the program that runs is read from the
generation. When it holds a fenced block (`````python ... `````, also unclosed at the end
of the generation), that block is the answer: a block that is a whole program (the row has
no ``program_prefix``, or the block defines the row's ``entry_point``) runs on its own, after
the prefix's definitions when the two compile together (HumanEval's imports and helper
functions; the prefix's stub of the entry point is then replaced by the block's); a block
that is a bare continuation keeps the row's ``program_prefix`` in front. Without a fence the
generation is a bare continuation: ``program_prefix + generation``.
"""
from __future__ import annotations

import re

__all__ = ["extract_gsm8k_answer", "numbers_equal", "printed_answer_matches", "gsm8k_correct",
           "extract_math_answer", "normalize_math_answer", "math_correct", "fenced_blocks",
           "extract_program"]

_STRICT = re.compile(r"####\s*(-?[$0-9.,]*[0-9])")
_NUMBER = re.compile(r"-?[$0-9.,]*[0-9]")
_ANSWER_IS = re.compile(r"(?:answer\s+is|answer:)\s*:?\s*", re.IGNORECASE)
_FENCE = re.compile(r"^[ \t]*```[ \t]*([^\n`]*)\n(.*?)(?:^[ \t]*```|\Z)",
                    re.DOTALL | re.MULTILINE)
_CODE_LANGUAGES = ("", "python", "py", "python3")


def _clean_number(text: str) -> str:
    return text.replace(",", "").replace("$", "").strip().rstrip(".")


def _after_answer_is(generation: str) -> str | None:
    """Text after the last "answer is" / "Answer:" (to the end of its line), if any."""
    found = list(_ANSWER_IS.finditer(generation))
    if not found:
        return None
    tail = generation[found[-1].end():].split("\n", 1)[0]
    return tail.strip() or None


def extract_gsm8k_answer(generation: str) -> str | None:
    """Final number of a GSM8K generation (``#### N``, else a chat-style boxed or "answer
    is" number, else the last number)."""
    from headprint.data.builders import last_boxed

    strict = _STRICT.findall(generation)
    if strict:
        return _clean_number(strict[-1])
    boxed = _NUMBER.findall(last_boxed(generation) or "")
    if boxed:
        return _clean_number(boxed[-1])
    stated = _NUMBER.findall(_after_answer_is(generation) or "")
    if stated:
        return _clean_number(stated[0])
    numbers = _NUMBER.findall(generation)
    return _clean_number(numbers[-1]) if numbers else None


def numbers_equal(a: str | float | None, b: str | float | None, *,
                  rel_tol: float = 1e-6) -> bool:
    """Whether answer ``a`` equals reference ``b`` as numbers.

    Strings are cleaned first (``,``, ``$``, a trailing ``.``); equal when
    ``|a − b| ≤ rel_tol · max(1, |b|)``. If either is not a number, the cleaned strings are
    compared. ``None`` never matches.
    """
    if a is None or b is None:
        return False
    x = _clean_number(a) if isinstance(a, str) else a
    y = _clean_number(b) if isinstance(b, str) else b
    try:
        fx, fy = float(x), float(y)
    except ValueError:
        return x == y
    return abs(fx - fy) <= rel_tol * max(1.0, abs(fy))


def printed_answer_matches(stdout: str | None, answer: str | float, *,
                           rel_tol: float = 1e-6) -> bool:
    """Whether the last non-empty line a program printed equals ``answer``
    (:func:`numbers_equal`); False when it printed nothing."""
    lines = [line for line in (stdout or "").strip().splitlines() if line.strip()]
    return bool(lines) and numbers_equal(lines[-1], answer, rel_tol=rel_tol)


def gsm8k_correct(generation: str, gold: str) -> bool:
    """Whether a GSM8K generation's final number equals ``gold``."""
    return numbers_equal(extract_gsm8k_answer(generation), gold)


def extract_math_answer(generation: str) -> str | None:
    """Last ``\\boxed{...}`` content of a MATH generation, else a chat-style "the answer is
    X", else its last ``$...$`` span."""
    from headprint.data.builders import last_boxed

    boxed = last_boxed(generation)
    if boxed is not None:
        return boxed
    stated = _after_answer_is(generation)
    if stated:
        spans = re.findall(r"\$([^$]+)\$", stated)
        if spans:
            return spans[0].strip()
        stated = re.split(r"\.(?:\s|$)", stated, maxsplit=1)[0].strip()
        if stated:
            return stated
    spans = re.findall(r"\$([^$]+)\$", generation)
    return spans[-1].strip() if spans else None


def normalize_math_answer(answer: str) -> str:
    """Hendrycks et al.'s normalisation (lm-eval's ``strip_string``); the input on failure."""
    from lm_eval.tasks.hendrycks_math.utils import strip_string

    try:
        return strip_string(answer)
    except Exception:  # the reference normaliser asserts on some malformed strings
        return answer.strip()


def math_correct(generation: str, gold: str | None) -> bool:
    """Whether a MATH generation's boxed answer equals ``gold`` after normalisation."""
    predicted = extract_math_answer(generation)
    if predicted is None or gold is None:
        return False
    return normalize_math_answer(predicted) == normalize_math_answer(gold)


def fenced_blocks(generation: str) -> list[tuple[str, str]]:
    """``(language, code)`` of each fenced block, in order (a last block may be unclosed)."""
    return [(m.group(1).strip().lower(), m.group(2)) for m in _FENCE.finditer(generation)]


def _compiles(program: str) -> bool:
    try:
        compile(program, "<generation>", "exec")
    except (SyntaxError, ValueError):
        return False
    return True


def _defines(code: str, name: str | None) -> bool:
    return bool(name) and re.search(rf"^\s*(?:async\s+)?def\s+{re.escape(name)}\s*\(",
                                    code, re.MULTILINE) is not None


def extract_program(generation: str, meta: dict) -> str:
    """The program to run for a ``code_exec`` answer (see the module docstring); the row's
    tests are appended by the caller."""
    prefix = meta.get("program_prefix") or ""
    entry = meta.get("entry_point")
    blocks = [code for language, code in fenced_blocks(generation)
              if language in _CODE_LANGUAGES]
    if not blocks:
        return prefix + generation
    chosen = next((code for code in blocks if _defines(code, entry)), blocks[0])
    if not prefix:
        return chosen
    if _defines(chosen, entry):
        joined = prefix.rstrip() + "\n\n" + chosen
        return joined if _compiles(joined) else chosen
    # A bare continuation in a fence: the body of the prefix's last function.
    continued = prefix + chosen
    if _compiles(continued):
        return continued
    indented = prefix + "".join("    " + line if line.strip() else line
                                for line in chosen.splitlines(keepends=True))
    return indented if _compiles(indented) else continued
