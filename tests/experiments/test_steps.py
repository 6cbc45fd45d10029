"""Steps: run once, reuse when finished, redo when unfinished, never mix settings."""
from __future__ import annotations

import json

import pytest

from headprint.experiments.steps import STEP_FILE, Steps
from headprint.hashing import stable_hash


def test_step_runs_once_and_is_reused(tmp_path):
    steps = Steps(tmp_path)
    calls = []

    def make(folder):
        calls.append(folder)
        (folder / "artifact.txt").write_text("x")
        return {"value": 3}

    first = steps.run("patterns", "gsm8k", {"n": 4}, make)
    again = steps.run("patterns", "gsm8k", {"n": 4}, make)
    assert first == again and len(calls) == 1
    assert steps.ran == [steps.rel(first)] and steps.reused == [steps.rel(first)]
    assert steps.result(first) == {"value": 3}
    record = json.loads((first / STEP_FILE).read_text())
    assert record["settings"] == {"n": 4}
    assert record["key"] == stable_hash({"n": 4}, compact=True)


def test_other_settings_get_another_folder(tmp_path):
    steps = Steps(tmp_path)
    a = steps.run("sft", "task", {"rows": 8}, lambda f: None)
    b = steps.run("sft", "task", {"rows": 16}, lambda f: None)
    assert a != b and a.parent == b.parent
    assert (stable_hash({"a": 1, "b": 2}, compact=True)
            == stable_hash({"b": 2, "a": 1}, compact=True))


def test_unfinished_step_runs_again_in_the_same_folder(tmp_path):
    steps = Steps(tmp_path)

    def crash(folder):
        (folder / "partial").write_text("half")
        raise KeyboardInterrupt  # a kill mid-step

    with pytest.raises(KeyboardInterrupt):
        steps.run("eval", "base", {"k": 1}, crash)
    seen = []
    folder = steps.run("eval", "base", {"k": 1},
                       lambda f: seen.append((f / "partial").read_text()))
    assert seen == ["half"]  # the stage found its partial work to resume from
    assert (folder / STEP_FILE).exists()


def test_relative_references_survive_a_move(tmp_path):
    steps = Steps(tmp_path / "a")
    folder = steps.run("data", "pool", {"n": 1}, lambda f: None)
    rel = steps.rel(folder)
    (tmp_path / "a").rename(tmp_path / "b")
    moved = Steps(tmp_path / "b")
    assert moved.is_done(moved.path(rel))


_HOLDER = """
import sys, time
from pathlib import Path
from headprint.experiments.steps import Steps

def make(folder):
    (Path(sys.argv[1]) / "ready").write_text("x")
    time.sleep(120)  # killed by the test long before

Steps(sys.argv[1]).run("sft", "task", {"n": 1}, make)
"""


def _wait_for(path, seconds: float = 60.0) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_a_step_held_by_a_live_process_is_refused_and_freed_when_it_dies(tmp_path):
    """A second process on the same step fails at once, naming the holder; once the holder
    is killed (no clean-up runs), the kernel has released its lock and the step runs."""
    import os
    import subprocess
    import sys

    from headprint.experiments.steps import StepBusyError
    from headprint.locking import OutputBusyError

    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(tmp_path)],
                              env={**os.environ})
    try:
        _wait_for(tmp_path / "ready")
        steps = Steps(tmp_path)
        with pytest.raises(StepBusyError, match=f"being made by process {holder.pid} ") as err:
            steps.run("sft", "task", {"n": 1}, lambda f: None)
        assert isinstance(err.value, OutputBusyError)  # one family of "folder busy" errors
        assert not steps.is_done(steps.folder("sft", "task", {"n": 1}))
    finally:
        holder.kill()  # SIGKILL: like a crashed run, no finally block of the holder runs
        holder.wait()
    folder = steps.run("sft", "task", {"n": 1}, lambda f: None)
    assert steps.is_done(folder) and steps.ran == [steps.rel(folder)]


def test_a_stage_inside_a_step_takes_its_own_write_lock(tmp_path):
    """The step lock and a stage's output lock on the same folder do not refuse each other
    (a pattern run writes into its step's folder)."""
    from headprint.locking import output_lock

    def make(folder):
        with output_lock(folder):  # as run_patterns(config, folder) does
            (folder / "artifact").write_text("x")

    folder = Steps(tmp_path).run("patterns", "p", {"n": 1}, make)
    assert (folder / "artifact").exists()


def test_cost_sums_each_step_once_from_its_record(tmp_path):
    steps = Steps(tmp_path)
    a = steps.rel(steps.run("sft", "a", {"n": 1}, lambda folder: None))
    b = steps.rel(steps.run("sft", "b", {"n": 2}, lambda folder: None))
    for rel, wall, cpu in ((a, 90.0, 60.0), (b, 30.0, 45.5)):  # as if recorded by earlier runs
        record_file = steps.path(rel) / STEP_FILE
        record = json.loads(record_file.read_text())
        record.update(seconds=wall, cpu_seconds=cpu)
        record_file.write_text(json.dumps(record))
    assert steps.cost([a, b, a]) == {"seconds": 120.0, "cpu_seconds": 105.5}
    assert steps.cost([]) == {"seconds": 0.0, "cpu_seconds": 0.0}
