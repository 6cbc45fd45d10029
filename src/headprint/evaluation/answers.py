"""Answer extraction and comparison for the generation tasks (GSM8K, MATH).

GSM8K (final number), following lm-evaluation-harness's ``gsm8k`` task:

- *strict*: the number after the last ``#### `` (the format the SFT completions teach);
- *flexible* (fallback when there is no ``####``): the last number in the generation.

Both strip ``,`` and ``$`` and a trailing ``.``; two answers are equal when they are equal
as numbers (``18``, ``18.0`` and ``18.00`` match), otherwise as strings.

MATH (boxed answer, normalised): the content of the last ``\\boxed{...}`` of the generation
(braces matched, the same extraction that produced the gold answer in
:mod:`headprint.data.builders`) compared after the normalisation of Hendrycks et al. (2021)
as shipped by lm-evaluation-harness (``hendrycks_math.utils.strip_string``: ``\\left``/
``\\right``, ``dfrac``→``frac``, ``a/b``→``\\frac{a}{b}``, units, spaces, degrees, ``$``…).
If the generation has no ``\\boxed``, the text between its first and last ``$`` is used
(lm-eval's rule); failing that, no answer.
"""
from __future__ import annotations

import re

__all__ = ["extract_gsm8k_answer", "numbers_equal", "gsm8k_correct", "extract_math_answer",
           "normalize_math_answer", "math_correct"]

_STRICT = re.compile(r"####\s*(-?[$0-9.,]*[0-9])")
_NUMBER = re.compile(r"-?[$0-9.,]*[0-9]")


def _clean_number(text: str) -> str:
    return text.replace(",", "").replace("$", "").strip().rstrip(".")


def extract_gsm8k_answer(generation: str) -> str | None:
    """Final number of a GSM8K generation (strict ``#### N``, else the last number)."""
    strict = _STRICT.findall(generation)
    if strict:
        return _clean_number(strict[-1])
    numbers = _NUMBER.findall(generation)
    return _clean_number(numbers[-1]) if numbers else None


def numbers_equal(a: str | None, b: str | None) -> bool:
    """Numeric equality of two answer strings (string equality if either is not a number)."""
    if a is None or b is None:
        return False
    a, b = _clean_number(a), _clean_number(b)
    try:
        return abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(b)))
    except ValueError:
        return a == b


def gsm8k_correct(generation: str, gold: str) -> bool:
    """Whether a GSM8K generation's final number equals ``gold``."""
    return numbers_equal(extract_gsm8k_answer(generation), gold)


def extract_math_answer(generation: str) -> str | None:
    """Last ``\\boxed{...}`` content of a MATH generation, else its ``$...$`` span."""
    from headprint.data.builders import last_boxed

    boxed = last_boxed(generation)
    if boxed is not None:
        return boxed
    dollars = [i for i, char in enumerate(generation) if char == "$"]
    if len(dollars) >= 2:
        return generation[dollars[0] + 1:dollars[-1]]
    return None


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
