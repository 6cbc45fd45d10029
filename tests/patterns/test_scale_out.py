"""Sharded, multi-process and resumed pattern runs equal one uninterrupted run.

A 2-layer random llama with SmolLM2's tokenizer (``tiny_model_dir``) reads a small
prompt/completion ``.jsonl``. The reference is a single-process run in this process; the
others go through the real command line:

- ``torchrun --nproc_per_node 2 -m headprint patterns ...`` (gloo on CPU): rank 0's merged
  artifact equals the single-process one, per-sample order included;
- the same 2-process run killed (SIGKILL to the whole process group) once a few shards are on
  disk, then started again with the same arguments: finished shards are not recomputed and
  the result equals the uninterrupted run's.

To make "mid-way" deterministic the killed run goes through a small launcher that slows each
batch down and logs which samples it scores; the product code is not modified.
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from headprint.patterns.artifact import PatternSet

N_ROWS, SHARD, BATCH = 24, 3, 2
N_SHARDS = N_ROWS // SHARD

LAUNCHER = r'''
import os, sys, time
import headprint.patterns.compute as compute
from headprint.patterns.scoring import score_batch

delay = float(os.environ.get("HP_TEST_DELAY", "0"))
log = os.environ["HP_TEST_LOG"] + "." + os.environ.get("RANK", "0")

def slow_score_batch(model, layout, batch, method, loss, ids):
    with open(log, "a") as handle:
        handle.write(repr([ids[i] for i in batch.indices]) + "\n")
    time.sleep(delay)
    return score_batch(model, layout, batch, method, loss, ids)

compute.score_batch = slow_score_batch
from headprint.cli import main
sys.exit(main(sys.argv[1:]))
'''


def _rows(path: Path) -> Path:
    rng = random.Random(0)
    words = "apple river seven blue count house green jump over the lazy dog".split()
    with path.open("w") as handle:
        for i in range(N_ROWS):
            prompt = " ".join(rng.choices(words, k=rng.randint(3, 30)))
            completion = " ".join(rng.choices(words, k=rng.randint(2, 20)))
            handle.write(json.dumps({"id": f"row{i}", "prompt": prompt,
                                     "completion": completion}) + "\n")
    return path


def _args(model: Path, data: Path, out: Path) -> list[str]:
    return ["patterns", "--model", str(model), "--data", str(data), "--per-sample",
            "--shard-size", str(SHARD), "--batch-size", str(BATCH), "--device", "cpu",
            "--out", str(out)]


def _torchrun(args: list[str], script: list[str], env: dict) -> subprocess.Popen:
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
               "--master_port", str(29500 + os.getpid() % 1000), *script, *args]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _kill_everything(run: subprocess.Popen) -> None:
    """SIGKILL torchrun and every rank at once, as a crash or a pre-emption would.

    torchrun starts each rank in a session of its own, so killing torchrun's process group
    alone would leave the ranks running.
    """
    for pid in [run.pid, *_descendants(run.pid)]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _env(tmp_path: Path, delay: float = 0.0) -> dict:
    return dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1",
                TOKENIZERS_PARALLELISM="false", HP_TEST_DELAY=str(delay),
                HP_TEST_LOG=str(tmp_path / "scored"))


def _scored_ids(tmp_path: Path) -> list[str]:
    ids = []
    for log in tmp_path.glob("scored.*"):
        for line in log.read_text().splitlines():
            ids += eval(line)  # noqa: S307 - our own repr() of a list of strings
        log.unlink()
    return ids


def _assert_same(a: PatternSet, b: PatternSet) -> None:
    assert a.sample_ids == b.sample_ids
    assert a.per_sample.shape == b.per_sample.shape == (N_ROWS, 2, 4)
    assert torch.allclose(a.per_sample, b.per_sample, rtol=1e-5, atol=1e-8)
    assert torch.allclose(a.mean, b.mean, rtol=1e-5, atol=1e-8)


@pytest.fixture(scope="module")
def single(tiny_model_dir, tmp_path_factory):
    """The uninterrupted single-process run (in this process, no torchrun)."""
    from headprint.patterns.api import PatternConfig, run_patterns

    folder = tmp_path_factory.mktemp("scale")
    data = _rows(folder / "rows.jsonl")
    config = PatternConfig(model=str(tiny_model_dir), data=str(data), per_sample=True,
                           shard_size=SHARD, batch_size=BATCH, device="cpu")
    result = run_patterns(config, folder / "single", progress=False)
    return data, result


@pytest.mark.slow
def test_two_processes_equal_one(single, tiny_model_dir, tmp_path):
    data, reference = single
    out = tmp_path / "two"
    launcher = tmp_path / "launch.py"
    launcher.write_text(LAUNCHER)
    run = _torchrun(_args(tiny_model_dir, data, out), [str(launcher)], _env(tmp_path))
    log, _ = run.communicate(timeout=300)
    assert run.returncode == 0, log
    merged = PatternSet.load(out)
    _assert_same(merged, reference)
    assert merged.manifest["world_size"] == 2
    assert not (out / ".shards").exists()
    # Both ranks worked, and no sample was scored twice.
    scored = _scored_ids(tmp_path)
    assert sorted(scored) == sorted(reference.sample_ids)


@pytest.mark.slow
def test_killed_run_resumes_to_the_same_result(single, tiny_model_dir, tmp_path):
    data, reference = single
    out = tmp_path / "resumed"
    shards = out / ".shards"
    launcher = tmp_path / "launch.py"
    launcher.write_text(LAUNCHER)
    args = _args(tiny_model_dir, data, out)
    run = _torchrun(args, [str(launcher)], _env(tmp_path, delay=1.0))
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and run.poll() is None:
        if len(list(shards.glob("shard-*.safetensors"))) >= 3:
            break
        time.sleep(0.05)
    assert run.poll() is None, "the run ended before it could be interrupted"
    _kill_everything(run)
    assert run.wait(timeout=60) == -signal.SIGKILL
    finished = sorted(p.name for p in shards.glob("shard-*.safetensors"))
    assert 3 <= len(finished) < N_SHARDS
    assert not (out / "manifest.json").exists()
    done_ids = {reference.sample_ids[int(name[6:11]) * SHARD + k]
                for name in finished for k in range(SHARD)}
    _scored_ids(tmp_path)  # forget what the killed run logged

    rerun = _torchrun(args, [str(launcher)], _env(tmp_path))
    log, _ = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, log
    rescored = set(_scored_ids(tmp_path))
    assert rescored.isdisjoint(done_ids), "finished shards were computed again"
    assert rescored | done_ids == set(reference.sample_ids), (finished, sorted(rescored), log)
    _assert_same(PatternSet.load(out), reference)


def test_resume_in_process_recomputes_only_missing_shards(tmp_path, monkeypatch):
    """Fast, single process: deleted shards are recomputed, the rest read back; a run with
    other settings (another key) discards the shards it finds."""
    from headprint.patterns import compute
    from tests.tiny_models import random_samples, tiny_model

    model = tiny_model("llama")
    samples = random_samples(10, seed=7)
    ids = [f"s{i}" for i in range(10)]
    in_memory = compute.score_samples(model, samples, 0, sample_ids=ids, progress=False,
                                      plan=compute.ShardPlan(None, shard_size=3))
    plan = compute.ShardPlan(tmp_path / ".shards", shard_size=3, key="run-a")
    sharded = compute.score_samples(model, samples, 0, sample_ids=ids, plan=plan,
                                    progress=False)
    assert torch.equal(sharded, in_memory)
    assert len(list((tmp_path / ".shards").glob("shard-*.safetensors"))) == 4

    scored: list[str] = []
    original = compute.score_batch

    def counting(model_, layout, batch, method, loss, shard_ids):
        scored.extend(shard_ids[i] for i in batch.indices)
        return original(model_, layout, batch, method, loss, shard_ids)

    monkeypatch.setattr(compute, "score_batch", counting)
    for index in (1, 3):
        plan.shard_path(index).unlink()
    resumed = compute.score_samples(model, samples, 0, sample_ids=ids, plan=plan,
                                    progress=False)
    assert torch.equal(resumed, in_memory)
    assert sorted(scored) == ["s3", "s4", "s5", "s9"]

    scored.clear()
    other = compute.ShardPlan(tmp_path / ".shards", shard_size=3, key="run-b")
    compute.score_samples(model, samples, 0, sample_ids=ids, plan=other, progress=False)
    assert sorted(scored) == sorted(ids)
