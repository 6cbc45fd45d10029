"""The pattern-set artifact: round trip, shape checks, atomic writes."""
from __future__ import annotations

import json

import pytest
import torch

from headprint.patterns.artifact import PatternSet, PatternSetError


def test_round_trip(tmp_path):
    per_sample = torch.rand(5, 3, 4)
    original = PatternSet(per_sample.mean(0), {"model": "m", "sample_ids": list("abcde")},
                          per_sample)
    original.save(tmp_path / "p")
    loaded = PatternSet.load(tmp_path / "p")
    assert torch.equal(loaded.mean, original.mean)
    assert torch.equal(loaded.per_sample, per_sample)
    assert loaded.manifest["num_layers"] == 3 and loaded.manifest["num_heads"] == 4
    assert loaded.sample_ids == list("abcde")
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == [
        "manifest.json", "patterns.safetensors"]  # no temporary files left behind


def test_shape_errors():
    with pytest.raises(PatternSetError, match=r"\[L, H\]"):
        PatternSet(torch.rand(3))
    with pytest.raises(PatternSetError, match="per_sample"):
        PatternSet(torch.rand(3, 4), per_sample=torch.rand(2, 4, 3))


def test_load_names_missing_files(tmp_path):
    with pytest.raises(PatternSetError, match="not a pattern set"):
        PatternSet.load(tmp_path)
    (tmp_path / "manifest.json").write_text("{broken")
    (tmp_path / "patterns.safetensors").write_bytes(b"")
    with pytest.raises(PatternSetError, match="invalid JSON"):
        PatternSet.load(tmp_path)


def test_failed_write_keeps_previous_artifact(tmp_path, monkeypatch):
    first = PatternSet(torch.ones(2, 2), {"model": "first"})
    first.save(tmp_path)
    import headprint.patterns.artifact as artifact

    def explode(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(artifact, "save_file", explode)
    with pytest.raises(OSError):
        PatternSet(torch.zeros(2, 2), {"model": "second"}).save(tmp_path)
    assert json.loads((tmp_path / "manifest.json").read_text())["model"] == "first"
    assert torch.equal(PatternSet.load(tmp_path).mean, torch.ones(2, 2))
    assert not list(tmp_path.glob(".*tmp"))


def _saved(folder, n=6, per_sample=True):
    stack = torch.rand(n, 3, 4)
    manifest = {"model": "m", "n_samples": n, "sample_ids": [f"s{i}" for i in range(n)]}
    PatternSet(stack.mean(0), manifest, stack if per_sample else None).save(folder)
    return folder


def _edit_manifest(folder, **changes):
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest.update(changes)
    (folder / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize("per_sample", [True, False])
def test_load_refuses_a_manifest_that_overstates_the_samples(tmp_path, per_sample):
    """The issue's case: a manifest saying n_samples 600 over a 6-row tensor."""
    folder = _saved(tmp_path / "p", per_sample=per_sample)
    _edit_manifest(folder, n_samples=600, sample_ids=[f"s{i}" for i in range(600)])
    with pytest.raises(PatternSetError, match=r"600.*disagree") as info:
        PatternSet.load(folder)
    assert str(folder) in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("changes,words", [
    ({"n_samples": 7}, "n_samples 7"),
    ({"sample_ids": ["s0", "s1"]}, "len(sample_ids) 2"),
    ({"num_layers": 5}, "num_layers=5"),
    ({"num_heads": 2}, "num_heads=2"),
    ({"sample_ids": [f"t{i}" for i in range(6)]}, "not those the tensors were computed on"),
])
def test_load_checks_tensors_and_manifest_agree(tmp_path, changes, words):
    folder = _saved(tmp_path / "p")
    _edit_manifest(folder, **changes)
    with pytest.raises(PatternSetError) as info:
        PatternSet.load(folder)
    assert words in str(info.value) and str(folder) in str(info.value)


def test_disagreeing_set_is_not_written(tmp_path):
    with pytest.raises(PatternSetError, match="disagree"):
        PatternSet(torch.rand(3, 4), {"n_samples": 5, "sample_ids": ["a"]},
                   torch.rand(5, 3, 4))


@pytest.mark.parametrize("keep", [0.5, 0.02])
def test_truncated_tensor_file_is_one_line_naming_it(tmp_path, keep):
    folder = _saved(tmp_path / "p")
    path = folder / "patterns.safetensors"
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(PatternSetError) as info:
        PatternSet.load(folder)
    message = str(info.value)
    assert message.startswith(str(path)) and "\n" not in message and "truncated" in message
