"""headprint's head scores against the released script's computation, on every family."""
from __future__ import annotations

import pytest
import torch

from headprint.models.architecture import attention_layout
from headprint.patterns.batching import collate, length_grouped_batches
from headprint.patterns.compute import score_samples
from headprint.patterns.reference import reference_scores
from headprint.patterns.scoring import score_batch
from tests.patterns.tolerance import assert_scores_close
from tests.tiny_models import ABS_FAMILIES, FAMILY_CONFIGS, eager_twin, random_samples, tiny_model

FAMILIES = sorted(FAMILY_CONFIGS)
# abs is refused where attention bypasses transformers' interface (Falcon, BLOOM) or is
# soft-capped (Gemma-2); tests/models/test_families.py checks those refusals.
CASES = [(f, m) for f in FAMILIES for m in ("paper", "abs") if m == "paper" or f in ABS_FAMILIES]


@pytest.mark.parametrize("family,method", CASES)
@pytest.mark.parametrize("loss", ["sample", "batch"])
def test_scores_equal_eager_reference(family, method, loss):
    model = tiny_model(family)
    twin = eager_twin(model)  # the same weights, built eager (Falcon/BLOOM cannot switch)
    samples = random_samples(5, seed=1, max_len=12)
    batch = collate(samples, list(range(5)), pad_id=0)
    expected = reference_scores(twin, batch, method=method, loss=loss)
    actual = score_batch(model, attention_layout(model), batch, method, loss)
    assert actual.shape == (5, model.config.num_hidden_layers, model.config.num_attention_heads)
    assert bool((expected > 0).all())
    # Entry-wise, each head against its own abs score (why: tests/patterns/tolerance.py).
    scale = expected if method == "abs" else reference_scores(twin, batch, "abs", loss)
    assert_scores_close(actual, expected, scale)


def test_gemma3_sliding_window_changes_scores():
    """The reference must see the window: scores differ from a model without it."""
    windowed = tiny_model("gemma3_text")
    full = tiny_model("gemma3_text")
    full.config.sliding_window = 64
    batch = collate(random_samples(2, seed=3, min_len=12, max_len=12), [0, 1], pad_id=0)
    layout = attention_layout(windowed)
    a = score_batch(windowed, layout, batch, "paper", "sample")
    b = score_batch(full, attention_layout(full), batch, "paper", "sample")
    assert not torch.allclose(a[:, 0], b[:, 0])  # sliding layer differs
    assert_scores_close(a, reference_scores(windowed, batch, "paper", "sample"),
                        reference_scores(windowed, batch, "abs", "sample"))


def test_abs_bounds_paper_score():
    """|Σ A·dA| ≤ Σ |A·dA| per head, strictly somewhere: the two methods differ."""
    model = tiny_model("llama")
    batch = collate(random_samples(1, seed=4), [0], pad_id=0)
    ref_paper = reference_scores(model, batch, "paper", "sample")
    ref_abs = reference_scores(model, batch, "abs", "sample")
    # Triangle inequality: |Σ x| ≤ Σ |x|, strictly for mixed signs. Both are float32 sums
    # of the same ≤ T² = 196 products, each off by at most ~T²·6e-8·Σ|x| ≈ 1e-5·Σ|x|: the
    # margin is relative to the abs score (a fixed 1e-9 is below float32 resolution at 1).
    assert bool((ref_paper <= ref_abs * (1 + 1e-5)).all())
    assert bool((ref_paper < ref_abs).any())


@pytest.mark.parametrize("method", ["paper", "abs"])
def test_sample_scaling_independent_of_batching(method):
    model = tiny_model("qwen2")
    samples = random_samples(7, seed=5)
    one_by_one = score_samples(model, samples, 0, method=method, batch_size=1, progress=False)
    grouped = score_samples(model, samples, 0, method=method, batch_size=3, progress=False)
    scale = score_samples(model, samples, 0, method="abs", batch_size=1, progress=False)
    assert_scores_close(grouped, one_by_one, scale)
    # Different composition: the same sample batched with other samples and more padding.
    mixed = collate(samples[::-1], list(range(7)), pad_id=0)
    reordered = score_batch(model, attention_layout(model), mixed, method, "sample")
    assert_scores_close(reordered.flip(0), one_by_one, scale)


def test_batch_scaling_depends_on_batch_by_token_share():
    """Under 'batch' loss a sample's score is its 'sample' score times n_b / Σ n."""
    model = tiny_model("llama")
    samples = random_samples(4, seed=6)
    batch = collate(samples, list(range(4)), pad_id=0)
    layout = attention_layout(model)
    per_sample = score_batch(model, layout, batch, "paper", "sample")
    batched = score_batch(model, layout, batch, "paper", "batch")
    scale = score_batch(model, layout, batch, "abs", "sample")
    counts = (batch.labels[:, 1:] != -100).sum(1).float()
    share = (counts / counts.sum())[:, None, None]
    # Two backward passes with different loss weights round differently: entry-wise
    # float32 tolerance, each head against its own abs score (tests/patterns/tolerance.py).
    assert_scores_close(batched, per_sample * share, scale * share)


def test_no_parameter_gradient_and_state_restored():
    model = tiny_model("opt")
    model.train()
    trainable = [p for p in model.parameters()][:3]
    for parameter in trainable:
        parameter.requires_grad_(True)
    score_samples(model, random_samples(3), 0, method="abs", progress=False)
    assert all(p.grad is None for p in model.parameters())
    assert [p.requires_grad for p in model.parameters()][:3] == [True] * 3
    assert model.training and model.config._attn_implementation == "sdpa"


def test_length_grouped_batches_pad_to_longest_in_batch():
    samples = random_samples(9, seed=7, min_len=3, max_len=20)
    batches = length_grouped_batches(samples, 4, pad_id=0)
    assert sorted(i for b in batches for i in b.indices) == list(range(9))
    for batch in batches:
        assert batch.input_ids.shape[1] == max(len(samples[i].input_ids) for i in batch.indices)


def test_tolerance_holds_each_head_to_its_own_scale():
    """A small head 0.5 % off fails, though max|Δ|/max|ref| (5e-6) was under the old 1e-5."""
    expected = torch.tensor([[1.0, 1e-3]])
    scale = torch.tensor([[1.0, 2e-3]])
    wrong = expected.clone()
    wrong[0, 1] *= 1.005
    assert float((wrong - expected).abs().max() / expected.abs().max()) < 1e-5
    with pytest.raises(AssertionError, match=r"worst at \(0, 1\)"):
        assert_scores_close(wrong, expected, scale)
    assert_scores_close(expected * (1 + 5e-6), expected, scale)
