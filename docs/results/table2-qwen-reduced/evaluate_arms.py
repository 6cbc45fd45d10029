"""Evaluate Table 2's trained arms in a second process while ``reproduce table2`` trains.

    python docs/results/table2-qwen-reduced/evaluate_arms.py OUT MODEL SCALE FORMAT

``reproduce table2`` trains every seed's arms before it evaluates any, so this process can
evaluate each arm as soon as its SFT step has finished. It makes the very steps
``reproduce`` would make (same labels, same settings, so the same keys) and never trains:
a step it needs that is not finished is waited for. ``reproduce`` then reuses its
evaluations. It stops when the base model and every arm of every seed are evaluated.
A step the other process holds is skipped and tried again on the next pass.
"""
from __future__ import annotations

import logging
import sys
import time

from headprint.experiments import blocks, table2
from headprint.experiments.context import Context
from headprint.experiments.scales import get_scale
from headprint.experiments.steps import StepBusyError


class NotReady(Exception):
    """A step this process may not make (training, patterns, mixtures) is not finished."""


def guard(ctx: Context) -> None:
    """Let ``ctx`` make evaluation steps only; any other unfinished step raises NotReady."""
    run = ctx.steps.run

    def evaluations_only(kind, label, settings, make):
        if kind != "eval" and not ctx.steps.is_done(ctx.steps.folder(kind, label, settings)):
            raise NotReady(f"{kind}/{label}")
        return run(kind, label, settings, make)

    ctx.steps.run = evaluations_only


def arm_refs(ctx: Context, seed: int) -> dict[str, str]:
    """The arms of ``seed`` whose SFT step has finished (Table 2's labels and settings)."""
    s = ctx.scale
    task = s.complex_task
    refs = {}
    try:
        refs["SFT"] = blocks.sft(ctx, f"t2-target-s{seed}", task, s.t2_target_train,
                                 track=[task], track_limit=s.n_patterns, seed=seed)
        from headprint.experiments.shared import before_after, task_runs

        basis = before_after(ctx, task_runs(ctx, s.basic_tasks))
        target = before_after(ctx, {task: refs["SFT"]})[task]
        mix = table2._mixtures(ctx, target, basis, seed)
    except NotReady:
        return refs
    for arm, (_, file) in table2.MIXTURES.items():
        try:
            stage1 = blocks.sft(ctx, f"t2-{arm.lower()}-stage1-s{seed}", f"{mix}/{file}",
                                None, seed=seed)
            refs[arm] = blocks.sft(ctx, f"t2-{arm.lower()}-s{seed}", task,
                                   s.t2_target_train, init=stage1, seed=seed)
        except NotReady:
            pass
    return refs


def main(out: str, model: str, scale: str, prompt_format: str) -> None:
    ctx = Context.create(model, get_scale(scale), out, prompt_format)
    guard(ctx)
    s = ctx.scale
    wanted = 1 + len(table2.ARMS[1:]) * len(s.seeds)
    while True:
        done = 0
        try:
            blocks.evaluation(ctx, "t2-base", s.complex_task, limit=s.t2_test,
                              max_gen_toks=s.t2_max_gen_toks, loss=True)
            done += 1
        except StepBusyError:
            pass
        for seed in s.seeds:
            for arm, ref in arm_refs(ctx, seed).items():
                try:
                    table2.evaluate_arm(ctx, seed, arm, ref)
                    done += 1
                except StepBusyError:
                    pass
        logging.info("%d of %d evaluations done", done, wanted)
        if done == wanted:
            return
        time.sleep(60)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    main(*sys.argv[1:5])
