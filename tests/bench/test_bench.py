"""The benchmark's own machinery: correctness gate, workload, watchdog, target checks.

The timed benchmark itself is ``make bench`` (``bench/run.py``), not a test; these tests
keep its parts honest and run in seconds.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

from harness import run_child  # noqa: E402
from report import check_targets, markdown_report  # noqa: E402
from variants import gate_errors  # noqa: E402
from workload import fixed_batch, padded_batches  # noqa: E402

from headprint.models.architecture import attention_layout  # noqa: E402
from headprint.patterns.batching import collate  # noqa: E402
from tests.tiny_models import ABS_FAMILIES, random_samples, tiny_model  # noqa: E402


# Both methods are gated, so the families that take abs (the others: tests/models).
@pytest.mark.parametrize("family", ABS_FAMILIES)
def test_gate_passes_on_every_family(family):
    """(b) paper and (c) abs agree with (a) the reference to 1e-4, padding included."""
    model = tiny_model(family)
    samples = random_samples(4, seed=2, min_len=5, max_len=16)
    batch = collate(samples, list(range(4)), pad_id=0)
    result = gate_errors(model, attention_layout(model), batch, rows=list(range(4)))
    assert result["paper"] < 1e-4 and result["abs"] < 1e-4, result
    assert result["parameter_grads_untouched"]


def test_gate_on_a_subset_of_rows():
    """Per-sample loss: row 0 scored alone by the reference equals row 0 of the batch."""
    model = tiny_model("llama")
    batch = collate(random_samples(3, seed=5, max_len=20), [0, 1, 2], pad_id=0)
    result = gate_errors(model, attention_layout(model), batch, rows=[0])
    assert result["rows_checked"] == 1
    assert result["paper"] < 1e-4 and result["abs"] < 1e-4


def test_fixed_batch_is_full_length_with_a_response(smollm2_tokenizer):
    batch = fixed_batch(smollm2_tokenizer, 2, 300)
    assert batch.input_ids.shape == (2, 300)
    assert bool(batch.attention_mask.all())
    targets = (batch.labels != -100).sum(dim=1)
    assert bool((targets > 10).all()) and bool((targets < 300).all())
    # Deterministic: the same tokens in every process.
    assert torch.equal(batch.input_ids, fixed_batch(smollm2_tokenizer, 2, 300).input_ids)


def test_released_protocol_pads_every_sample_to_the_length():
    samples = random_samples(5, seed=0)
    batches = padded_batches(samples, 2, 64, pad_id=0)
    assert [b.input_ids.shape for b in batches] == [(2, 64), (2, 64), (1, 64)]
    assert int(batches[0].attention_mask[0].sum()) == len(samples[0].input_ids)


def test_watchdog_reports_oom_instead_of_dying():
    grow = [sys.executable, "-c", "x = b'1' * (1 << 30); import time; time.sleep(30)"]
    result = run_child([], limit_gb=0.25, timeout=60, command=grow)
    assert result["status"] == "oom" and result["limit_gb"] == 0.25


def test_child_result_and_failure_are_reported():
    ok = [sys.executable, "-c", "print('RESULT ' + '{\"status\": \"ok\", \"x\": 1}')"]
    assert run_child([], command=ok)["x"] == 1
    bad = [sys.executable, "-c", "raise SystemExit(3)"]
    result = run_child([], command=bad)
    assert result["status"] == "error" and result["returncode"] == 3


def _entry(seconds: float, peak_gb: float) -> dict:
    return {"status": "ok", "per_sample": seconds, "tokens_per_second": 1.0,
            "peak_mb": peak_gb * 1024}


def test_targets_are_judged_from_one_run():
    row = {"gate": {"status": "ok", "paper": 1e-6, "abs": 2e-6, "rows_checked": 1,
                    "passed": True},
           "reference": _entry(10.0, 8.0), "paper": _entry(2.0, 2.0), "abs": _entry(3.5, 2.0),
           "floor": _entry(1.9, 2.0)}
    results = {"shapes": {"4x256": row, "1x1024": dict(row, reference={"status": "oom",
                                                                         "limit_gb": 16})}}
    lines = check_targets(results)
    assert any(line.startswith("MET") and "2×" in line and "4x256" in line for line in lines)
    assert any(line.startswith("MISSED") and "abs ≤ 1.6×" in line for line in lines)
    assert any(line.startswith("NOT MEASURED") and "1x1024" in line for line in lines)
    text = markdown_report(results)
    assert "OOM (> 16 GB)" in text and "5.00×" in text and "CPU seconds" in text
    json.dumps(results)  # results stay serialisable


def test_bf16_rows_spread_and_noise_are_reported():
    """bfloat16 rows have their own targets; rounds' spread is shown; a variant faster than
    the floor is labelled noise, not a gain."""
    sys.path.insert(0, str(BENCH))
    from run import _keep_fastest, row_key

    entry = None
    for seconds in (2.0, 1.5, 3.0):
        entry = _keep_fastest(entry, _entry(seconds, 1.0))
    assert entry["per_sample"] == 1.5 and entry["median_per_sample"] == 2.0
    assert entry["max_per_sample"] == 3.0 and entry["n_rounds"] == 3
    assert row_key(4, 256, "float32") == "4x256" and row_key(4, 256, "bfloat16") == \
        "4x256/bfloat16"
    f32 = {"reference": _entry(10.0, 8.0), "paper": _entry(4.0, 2.0), "floor": _entry(4.4, 2.0)}
    bf16 = {"dtype": "bfloat16", "reference": _entry(5.0, 4.0), "paper": _entry(1.0, 1.0),
            "floor": _entry(1.0, 1.0)}
    results = {"meta": {"auto_dtype": "bfloat16"},
               "shapes": {"4x256": f32, "4x256/bfloat16": bf16}}
    lines = check_targets(results)
    assert any(line.startswith("MET") and "auto (bfloat16) ≥ 2×" in line and "4x256" in line
               and "4.00×" in line for line in lines)
    assert any(line.startswith("MET") and "bf16 ≥ 2× bf16 reference" in line
               and "5.00×" in line for line in lines)
    assert any("noise" in line and "4x256:" in line for line in lines)  # 4.0 / 4.4 < 1
    assert not any("abs exact" in line and "bfloat16" in line for line in lines)
    text = markdown_report(results)
    assert "below the floor: noise" in text and "median / slowest" in text
