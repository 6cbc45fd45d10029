"""docs/results/table2-qwen-reduced/evaluate_arms.py: a second process evaluates Table 2's
trained arms as the very steps ``reproduce table2`` would make, and never trains."""
from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _module():
    spec = importlib.util.spec_from_file_location(
        "evaluate_arms", REPO / "docs/results/table2-qwen-reduced/evaluate_arms.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _table2_steps(out: Path, kind: str) -> set[str]:
    return {p.name for p in (out / "steps" / kind).glob("t2-*")}


def test_evaluations_are_the_steps_reproduce_reuses(tiny_model_dir, tiny_reproduce_all,
                                                    tmp_path):
    from headprint.experiments import table2
    from headprint.experiments.context import Context
    from headprint.experiments.scales import get_scale
    from headprint.experiments.shared import before_after, task_runs

    made, _ = tiny_reproduce_all
    out = tmp_path / "run"
    shutil.copytree(made / "steps", out / "steps")
    evaluations = _table2_steps(made, "eval")
    assert len(evaluations) == 1 + 4 * len(get_scale("tiny").seeds)
    # Table 2's arms again, with weights this time (the run pruned them), and no evaluation.
    for kind in ("eval", "sft", "mixture"):
        for step in (out / "steps" / kind).glob("t2-*"):
            shutil.rmtree(step)
    ctx = Context.create(str(tiny_model_dir), get_scale("tiny"), out)
    basis = before_after(ctx, task_runs(ctx, ctx.scale.basic_tasks))
    for seed in ctx.scale.seeds:
        table2._train_seed(ctx, seed, basis)
    trained = _table2_steps(out, "sft")
    assert not _table2_steps(out, "eval")

    _module().main(str(out), str(tiny_model_dir), "tiny", "auto")

    assert _table2_steps(out, "eval") == evaluations
    assert _table2_steps(out, "sft") == trained  # nothing trained
    again = Context.create(str(tiny_model_dir), get_scale("tiny"), out)
    table2.run(again)
    assert again.steps.ran == []  # every step reused, evaluations included


def test_waits_for_training_it_may_not_do(tiny_model_dir, tmp_path):
    from headprint.experiments.context import Context
    from headprint.experiments.scales import get_scale

    module = _module()
    ctx = Context.create(str(tiny_model_dir), get_scale("tiny"), tmp_path / "run")
    module.guard(ctx)
    assert module.arm_refs(ctx, 0) == {}  # no SFT step has finished: nothing to evaluate
    assert not (tmp_path / "run" / "steps" / "sft").exists()
