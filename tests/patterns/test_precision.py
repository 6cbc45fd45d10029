"""``--dtype auto``: hardware detection, the per-model gate table, what manifests record."""
from __future__ import annotations

import json

import pytest
import torch

from headprint.models import precision
from headprint.models.loading import load_model, resolve_dtype
from headprint.models.precision import GateRecord, choose_dtype


@pytest.fixture
def cpu_flags(monkeypatch):
    """Pretend the CPU has the given bfloat16 flags (no CUDA, no override)."""
    monkeypatch.delenv("HEADPRINT_AUTO_DTYPE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)

    def set_flags(*flags: str) -> None:
        monkeypatch.setattr(precision, "cpu_bf16_flags", lambda: frozenset(flags))

    return set_flags


def test_explicit_dtypes_are_kept():
    assert choose_dtype("float32").dtype is torch.float32
    assert choose_dtype("bf16").dtype is torch.bfloat16
    assert choose_dtype(torch.float16).dtype is torch.float16
    assert choose_dtype("float32").reason == ""
    assert resolve_dtype(None) is torch.float32  # the library default: today's behaviour
    with pytest.raises(ValueError, match="unknown dtype"):
        choose_dtype("float8")


def test_auto_follows_the_cpu_flags(cpu_flags):
    cpu_flags()
    choice = choose_dtype("auto")
    assert choice.dtype is torch.float32 and "lacks AVX-512 BF16" in choice.reason
    cpu_flags("avx512_bf16")
    choice = choose_dtype("auto")
    assert choice.dtype is torch.bfloat16 and "avx512_bf16" in choice.reason
    assert "not gated" in choice.reason
    cpu_flags("amx_bf16")
    assert choose_dtype(None).dtype is torch.bfloat16  # None means auto here


def test_a_model_that_failed_the_gate_stays_float32(cpu_flags, monkeypatch, tmp_path):
    cpu_flags("avx512_bf16")
    monkeypatch.setitem(precision.GATE_RESULTS, "gemma3-270m",
                        GateRecord(False, "worst sample r 0.91"))
    monkeypatch.setitem(precision.GATE_RESULTS, "smollm2-135m",
                        GateRecord(True, "worst sample r 0.99"))
    failed = choose_dtype("auto", model="gemma3-270m")
    assert failed.dtype is torch.float32
    assert "gemma3-270m failed the bfloat16 fidelity gate (worst sample r 0.91)" in failed.reason
    passed = choose_dtype("auto", model="smollm2-135m")
    assert passed.dtype is torch.bfloat16 and "passed" in passed.reason
    # A fine-tuned copy (a local folder) is matched to its base by its architecture.
    folder = tmp_path / "final"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({
        "model_type": "gemma3_text", "num_hidden_layers": 18, "num_attention_heads": 4,
        "hidden_size": 640, "vocab_size": 262144}))
    assert choose_dtype("auto", model=str(folder)).dtype is torch.float32
    # An explicit request is honoured whatever the gate said.
    assert choose_dtype("bfloat16", model="gemma3-270m").dtype is torch.bfloat16


def test_environment_override(monkeypatch):
    monkeypatch.setenv("HEADPRINT_AUTO_DTYPE", "bfloat16")
    assert choose_dtype("auto").dtype is torch.bfloat16
    monkeypatch.setenv("HEADPRINT_AUTO_DTYPE", "float32")
    assert choose_dtype("auto").dtype is torch.float32
    monkeypatch.setenv("HEADPRINT_AUTO_DTYPE", "fp8")
    with pytest.raises(ValueError, match="HEADPRINT_AUTO_DTYPE"):
        choose_dtype("auto")


def test_cpu_flags_read_from_proc_cpuinfo():
    flags = precision.cpu_bf16_flags()
    assert flags <= {"avx512_bf16", "amx_bf16"}
    try:
        text = open("/proc/cpuinfo").read()
    except OSError:
        pytest.skip("no /proc/cpuinfo")
    assert ("avx512_bf16" in flags) == (" avx512_bf16" in text)


def test_load_model_records_why(tiny_model_dir, cpu_flags):
    cpu_flags()
    loaded = load_model(str(tiny_model_dir), dtype="auto")
    assert next(loaded.model.parameters()).dtype is torch.float32
    assert loaded.dtype_reason.startswith("float32: CPU lacks")
    cpu_flags("avx512_bf16")
    loaded = load_model(str(tiny_model_dir), dtype="auto")
    assert next(loaded.model.parameters()).dtype is torch.bfloat16
    assert load_model(str(tiny_model_dir), dtype="float32").dtype_reason == ""


def test_manifest_records_the_dtype_used(tiny_model_dir, tmp_path, cpu_flags):
    from headprint.patterns.api import PatternConfig, run_patterns

    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(json.dumps({"id": f"r{i}", "prompt": f"What is {i}+{i}?",
                                        "completion": f" {2 * i}."}) + "\n" for i in range(3)))
    cpu_flags()
    auto = run_patterns(PatternConfig(model=str(tiny_model_dir), data=str(rows)),
                        tmp_path / "auto", progress=False)
    assert auto.manifest["dtype"] == "float32"
    assert auto.manifest["dtype_reason"].startswith("float32:")
    cpu_flags("avx512_bf16")
    bf16 = run_patterns(PatternConfig(model=str(tiny_model_dir), data=str(rows)),
                        tmp_path / "bf16", progress=False)
    assert bf16.manifest["dtype"] == "bfloat16"  # resolved, never "auto"
    assert bf16.manifest["run_key"] != auto.manifest["run_key"]
    explicit = run_patterns(PatternConfig(model=str(tiny_model_dir), data=str(rows),
                                          dtype="float32"), tmp_path / "f32", progress=False)
    assert explicit.manifest["run_key"] == auto.manifest["run_key"]
    assert torch.equal(explicit.mean, auto.mean)
