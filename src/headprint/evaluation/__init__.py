"""headprint evaluation stage: lm-evaluation-harness on in-memory models, offline task rows.

Entry calls: :func:`evaluate` (``{task: accuracy}``), :func:`evaluate_detailed`,
:func:`run_eval` (``headprint eval``). Recipes per evaluation kind: :mod:`.recipes`.

The names below load on first use: the data stage reads :mod:`.answers` and :mod:`.sandbox`
(gsm8k-py is kept only where its program prints the answer), and those must not pull in
torch, transformers and lm-eval through :mod:`.api`.
"""
from __future__ import annotations

from headprint.lazy import lazy_exports

_EXPORTS = {
    "EvalConfig": "headprint.evaluation.api",
    "evaluate": "headprint.evaluation.api",
    "evaluate_detailed": "headprint.evaluation.api",
    "run_eval": "headprint.evaluation.api",
    "NoRecipeError": "headprint.evaluation.recipes",
    "tasks_with_recipe": "headprint.evaluation.recipes",
}

__all__ = ["evaluate", "evaluate_detailed", "run_eval", "EvalConfig", "NoRecipeError",
           "tasks_with_recipe"]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
