"""The bfloat16 fidelity gate: its arithmetic (hand-computed values) and the gate itself on
a tiny model (float32 against bfloat16 scores of the same samples)."""
from __future__ import annotations

import copy
import math

import pytest
import torch

from headprint.models.architecture import attention_layout
from headprint.patterns.compute import score_samples
from headprint.patterns.fidelity import (Thresholds, analysis_unchanged, compare_scores,
                                         pearson)
from tests.tiny_models import random_samples, tiny_model


def test_pearson_by_hand():
    # x = 1,2,3,4 and y = 1,2,3,5: Σdxdy = 6.5, Σdx² = 5, Σdy² = 8.75.
    assert pearson([1, 2, 3, 4], [1, 2, 3, 5]) == pytest.approx(6.5 / math.sqrt(5 * 8.75))
    assert pearson([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert math.isnan(pearson([1, 1, 1], [1, 2, 3]))


def test_compare_scores_by_hand():
    reference = torch.tensor([[[1.0, 2.0], [3.0, 4.0]],
                              [[2.0, 4.0], [6.0, 8.0]],
                              [[4.0, 3.0], [2.0, 1.0]]])
    candidate = reference.clone()
    candidate[0, 1, 1] = 5.0  # sample 0: r = 0.98271 (test_pearson_by_hand)
    candidate[1] *= 1.5       # sample 1: scaled, r = 1
    report = compare_scores(reference, candidate, ["a", "b", "c"])
    assert report.per_sample_r[0] == pytest.approx(0.982708, abs=1e-6)
    assert report.per_sample_r[1:] == [1.0, 1.0]
    assert report.worst_sample == "a" and report.median_r == pytest.approx(1.0)
    # Means ×3: reference [7, 9, 11, 13], candidate [8, 11, 14, 18]. Head (1, 1) is off by
    # (18 − 13) / 13 = 5/13; the means' r = 33 / √(20 · 54.75) = 0.99726, below 0.998.
    assert report.worst_head == (1, 1)
    assert report.worst_head_error == pytest.approx(5 / 13)
    assert report.mean_r == pytest.approx(33 / math.sqrt(20 * 54.75))
    assert report.failures == ["mean_r 0.9973 < 0.998"] and not report.passed
    strict = compare_scores(reference, candidate, thresholds=Thresholds(worst_r=0.99))
    assert not strict.passed and any(f.startswith("worst_r") for f in strict.failures)
    assert compare_scores(reference, reference).passed


def test_analysis_unchanged_detects_a_moved_head():
    generator = torch.Generator().manual_seed(0)
    reference = torch.rand(40, 6, 5, generator=generator) + torch.linspace(0, 3, 30).view(6, 5)
    same = analysis_unchanged(reference, reference * 1.0001, n_boot=200)
    assert same["table1_unchanged"] and same["top_k_unchanged"] and same["top_overlap"] == 10
    moved = reference.clone()
    moved[:, 0, 0] += 10.0  # the smallest head becomes the largest
    changed = analysis_unchanged(reference, moved, n_boot=200)
    assert not changed["top_k_unchanged"]
    assert not changed["table1_unchanged"]  # one huge head: Gini/CV/kurtosis jump


@pytest.mark.parametrize("family", ["llama", "qwen2"])
def test_bfloat16_gate_on_a_tiny_model(family):
    """bfloat16 scores of a tiny model agree with float32 ones within the gate's thresholds."""
    model = tiny_model(family)
    samples = random_samples(16, seed=5, min_len=24, max_len=48)
    reference = score_samples(model, samples, 0, batch_size=4, progress=False)
    low = copy.deepcopy(model).to(torch.bfloat16)
    candidate = score_samples(low, samples, 0, batch_size=4, progress=False)
    assert candidate.dtype is torch.float32  # accumulated in float32 whatever the model
    assert attention_layout(low).num_heads == attention_layout(model).num_heads
    report = compare_scores(reference, candidate)
    assert report.passed, report.summary()
    assert not torch.equal(reference, candidate)  # bfloat16 did run


def test_float32_output_layer_computes_exact_float32_logits():
    from headprint.patterns.capture import _Float32Linear, float32_output_layer

    generator = torch.Generator().manual_seed(0)
    x = torch.randn(3, 5, 16, generator=generator).bfloat16().requires_grad_(True)
    weight = torch.randn(20, 16, generator=generator).bfloat16()
    previous, _Float32Linear.BLOCK = _Float32Linear.BLOCK, 7  # several blocks, a ragged one
    try:
        out = _Float32Linear.apply(x, weight, None)
        grad = torch.randn(3, 5, 20, generator=generator)
        out.backward(grad)
    finally:
        _Float32Linear.BLOCK = previous
    exact = x.detach().double() @ weight.double().T
    assert out.dtype is torch.float32
    assert float((out.detach().double() - exact).abs().max()) < 1e-5 * float(exact.abs().max())
    expected_grad = (grad.double() @ weight.double()).to(torch.bfloat16)
    assert x.grad.dtype is torch.bfloat16
    assert torch.allclose(x.grad.float(), expected_grad.float(), rtol=1e-2, atol=1e-3)

    model = tiny_model("llama").to(torch.bfloat16)
    ids = torch.randint(1, 97, (2, 9))
    assert model(input_ids=ids).logits.dtype is torch.bfloat16
    with float32_output_layer(model):
        logits = model(input_ids=ids).logits
    assert logits.dtype is torch.float32
    assert "forward" not in vars(model.get_output_embeddings())  # restored on exit


def test_float32_products_keep_bfloat16_numerics():
    """The gate's emulation (float32 products of bfloat16 values, rounded back) returns
    bfloat16 and agrees with PyTorch's own bfloat16 products to bfloat16 rounding."""
    from headprint.patterns.fidelity import float32_products

    generator = torch.Generator().manual_seed(1)
    x = torch.randn(4, 64, generator=generator).bfloat16()
    w = torch.randn(32, 64, generator=generator).bfloat16()
    native = torch.nn.functional.linear(x, w)
    with float32_products():
        emulated = torch.nn.functional.linear(x, w)
        also = x @ w.T
    assert emulated.dtype is torch.bfloat16 and also.dtype is torch.bfloat16
    exact = x.double() @ w.double().T
    # Both are the exact product rounded to bfloat16 (8 bits): within 2^-8 relative.
    for result in (native, emulated, also):
        assert float(((result.double() - exact).abs() / exact.abs().clamp(min=1e-3)).max()) \
            < 2 ** -7
    model = tiny_model("llama")
    low = copy.deepcopy(model).to(torch.bfloat16)
    samples = random_samples(6, seed=5, min_len=24, max_len=48)
    native_scores = score_samples(low, samples, 0, progress=False)
    with float32_products():
        emulated_scores = score_samples(low, samples, 0, progress=False)
    assert compare_scores(native_scores, emulated_scores, thresholds=Thresholds(
        0.999, 0.99, 0.98)).passed
