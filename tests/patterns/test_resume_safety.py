"""Resumes and concurrent runs never publish a wrong pattern set.

A run is interrupted in-process by making the scorer raise ``KeyboardInterrupt`` after a
given number of batches (as Ctrl-C would), which leaves the finished shards on disk. Every
result is compared with an uninterrupted run into a fresh folder: the same rows, in the
same order, with the same numbers. Batches of one sample make every shard size score each
sample alone, so the numbers must be equal bit for bit.
"""
from __future__ import annotations

import json
import logging
import os

import pytest
import torch
from safetensors.torch import save_file

from headprint.cli import main
from headprint.patterns import compute
from headprint.patterns.api import OutputExistsError, PatternConfig, run_patterns
from headprint.patterns.artifact import PatternSet

N_ROWS, BATCH = 8, 1


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    path = tmp_path_factory.mktemp("rows") / "rows.jsonl"
    with path.open("w") as handle:
        for i in range(N_ROWS):
            handle.write(json.dumps({"id": f"r{i}", "prompt": f"Q{i}: {i} plus {i} is",
                                     "completion": " " + "x" * (i + 1)}) + "\n")
    return path


def _config(model_dir, rows, **changes) -> PatternConfig:
    settings = dict(model=str(model_dir), data=str(rows), per_sample=True, batch_size=BATCH,
                    device="cpu", shard_size=2)
    return PatternConfig(**{**settings, **changes})


@pytest.fixture(scope="module")
def reference(tiny_model_dir, rows, tmp_path_factory):
    """An uninterrupted run, alone in its folder."""
    return run_patterns(_config(tiny_model_dir, rows), tmp_path_factory.mktemp("ref") / "o",
                        progress=False)


def _same(result: PatternSet, reference: PatternSet) -> None:
    assert result.sample_ids == reference.sample_ids == [f"r{i}" for i in range(N_ROWS)]
    assert result.manifest["n_samples"] == N_ROWS
    assert result.per_sample.shape == (N_ROWS, 2, 4)
    torch.testing.assert_close(result.per_sample, reference.per_sample, rtol=0, atol=0)
    # The mean is taken over exactly these rows.
    torch.testing.assert_close(result.mean, result.per_sample.mean(0), rtol=0, atol=0)


def _wrap_scorer(monkeypatch, before_batch=None) -> list[list[str]]:
    """Record the ids of every scored batch; call ``before_batch(k)`` before batch k."""
    original = compute.score_batch
    scored: list[list[str]] = []

    def wrapped(model, layout, batch, method, loss, ids):
        if before_batch is not None:
            before_batch(len(scored))
        scored.append([ids[i] for i in batch.indices])
        return original(model, layout, batch, method, loss, ids)

    monkeypatch.setattr(compute, "score_batch", wrapped)
    return scored


def _interrupted(monkeypatch, config, out, after_batches: int) -> None:
    def stop(k):
        if k == after_batches:
            raise KeyboardInterrupt

    _wrap_scorer(monkeypatch, stop)
    with pytest.raises(KeyboardInterrupt):
        run_patterns(config, out, progress=False)
    monkeypatch.undo()


@pytest.mark.parametrize("first,second", [(2, 4), (4, 2)])
def test_resume_with_another_shard_size_recomputes(tiny_model_dir, rows, reference, tmp_path,
                                                   monkeypatch, first, second):
    """16 → 32 and 16 → 8 in the issue: old shards were reused, giving N/2 or N + N/4 rows."""
    out = tmp_path / "o"
    _interrupted(monkeypatch, _config(tiny_model_dir, rows, shard_size=first), out, 4)
    assert len(list((out / ".shards").glob("shard-*.safetensors"))) == 4 // first
    result = run_patterns(_config(tiny_model_dir, rows, shard_size=second), out,
                          progress=False)
    _same(result, reference)
    _same(PatternSet.load(out), reference)


def test_resume_says_so_and_scores_only_the_rest(tiny_model_dir, rows, reference, tmp_path,
                                                  monkeypatch, caplog):
    out = tmp_path / "o"
    config = _config(tiny_model_dir, rows)
    _interrupted(monkeypatch, config, out, 4)
    scored = _wrap_scorer(monkeypatch)
    with caplog.at_level(logging.INFO):
        result = run_patterns(config, out, progress=False)
    assert "resuming: 2 of 4 shards done" in caplog.text
    assert sorted(i for batch in scored for i in batch) == ["r4", "r5", "r6", "r7"]
    _same(result, reference)
    assert not (out / ".shards").exists()


def test_stale_files_are_removed(tiny_model_dir, rows, tmp_path, monkeypatch):
    """Shards of another run, past the end, or half-written by a killed process go."""
    shards = tmp_path / "o" / ".shards"
    shards.mkdir(parents=True)
    save_file({"per_sample": torch.ones(2, 2, 4)}, str(shards / "shard-00009.safetensors"))
    save_file({"per_sample": torch.ones(2, 2, 4)}, str(shards / "shard-00001.safetensors"))
    (shards / ".shard-00002.safetensors.x1y2.tmp").write_bytes(b"\x00" * 10)
    _interrupted(monkeypatch, _config(tiny_model_dir, rows), tmp_path / "o", 2)
    assert sorted(p.name for p in shards.iterdir()) == ["shard-00000.safetensors"]


def test_second_run_into_a_busy_folder_stops(tiny_model_dir, rows, reference, tmp_path,
                                             monkeypatch, capsys):
    """The issue's race: ``--loss sample`` and ``--loss batch`` into one --out at once. The
    second stops with an error naming the folder and the holder; the first is unharmed."""
    out = tmp_path / "o"
    second: list[int] = []

    def start_second(k):
        if k == 2:  # the first run has a shard on disk and is computing the next
            second.append(main(["patterns", "--model", str(tiny_model_dir), "--data",
                                str(rows), "--loss", "batch", "--per-sample", "--out",
                                str(out), "--shard-size", "2", "--batch-size", "1"]))

    _wrap_scorer(monkeypatch, start_second)
    result = run_patterns(_config(tiny_model_dir, rows), out, progress=False)
    assert second == [2]
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("headprint patterns: error:")
    assert str(out) in err and f"process {os.getpid()}" in err
    _same(result, reference)
    assert PatternSet.load(out).manifest["loss"] == "sample"
    assert not (out / ".shards").exists()


def test_manifest_written_meanwhile_is_not_replaced(tiny_model_dir, rows, tmp_path,
                                                    monkeypatch):
    """A writer that ignores the lock (another tool, an older headprint) puts an artifact in
    --out while this run computes: the check before the final rename refuses to replace it,
    and this run's shards stay for a resume."""
    out = tmp_path / "o"
    foreign = {"run_key": "someone-else", "model": "other"}

    def intrude(k):
        if k == 0:
            (out / "manifest.json").write_text(json.dumps(foreign))

    _wrap_scorer(monkeypatch, intrude)
    with pytest.raises(OutputExistsError, match="while this one computed"):
        run_patterns(_config(tiny_model_dir, rows), out, progress=False)
    assert json.loads((out / "manifest.json").read_text()) == foreign
    assert not (out / "patterns.safetensors").exists()
    assert len(list((out / ".shards").glob("shard-*.safetensors"))) == 4


def test_shard_replaced_during_a_run_is_not_merged(tmp_path, monkeypatch):
    """The merge reads shards back from disk: one that another run put there (same index,
    same row count, other samples) is refused, not averaged in."""
    from tests.tiny_models import random_samples, tiny_model

    model = tiny_model("llama")
    samples = random_samples(6, seed=3)
    ids = [f"s{i}" for i in range(6)]
    plan = compute.ShardPlan(tmp_path / ".shards", shard_size=3, key="run-a")

    def replace_first_shard(k):
        if k == 1:  # shard 0 is on disk; put another run's shard in its place
            other = compute.ShardPlan(tmp_path / ".shards", shard_size=3, key="run-b")
            save_file({"per_sample": torch.zeros(3, 3, 4)}, str(other.shard_path(0)))

    _wrap_scorer(monkeypatch, replace_first_shard)
    with pytest.raises(compute.ShardMismatchError, match="shard-00000"):
        compute.score_samples(model, samples, 0, sample_ids=ids, plan=plan, batch_size=3,
                              progress=False)
