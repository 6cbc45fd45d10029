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
