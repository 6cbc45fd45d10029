"""headprint evaluation stage: lm-evaluation-harness on in-memory models, offline task rows.

Entry calls: :func:`evaluate` (``{task: accuracy}``), :func:`evaluate_detailed`,
:func:`run_eval` (``headprint eval``). Recipes per evaluation kind: :mod:`.recipes`.
"""
from headprint.evaluation.api import EvalConfig, evaluate, evaluate_detailed, run_eval
from headprint.evaluation.recipes import NoRecipeError, tasks_with_recipe

__all__ = ["evaluate", "evaluate_detailed", "run_eval", "EvalConfig", "NoRecipeError",
           "tasks_with_recipe"]
