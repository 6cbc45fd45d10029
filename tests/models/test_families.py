"""Every supported family against the eager reference, and the attention kernel per family.

The golden numbers come from ``headprint.patterns.reference.reference_scores``: eager
attention with ``output_attentions=True``, autograd on the probabilities ``A`` and
``|Σ_ij A_ij ∂ℓ/∂A_ij|`` per head; never from headprint's hooks.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from headprint.models.architecture import (FAMILIES, SUPPORTED_FAMILIES, UnsupportedModelError,
                                           attention_layout)
from headprint.patterns.abs_attention import UnsupportedAttentionError
from headprint.patterns.batching import collate
from headprint.patterns.reference import reference_scores
from headprint.patterns.scoring import score_batch
from tests.tiny_models import ABS_FAMILIES, FAMILY_CONFIGS, eager_twin, random_samples, tiny_model

README = Path(__file__).resolve().parents[2] / "README.md"

# Families transformers runs eagerly: no SDPA path (Gemma-2's logit soft-capping, BLOOM).
EAGER = {"gemma2", "bloom"}

# Tolerance, entry-wise, relative to the head's `abs` score Σ_ij |A_ij ∂ℓ/∂A_ij|: the `paper`
# score is a signed sum that can cancel, so float32 rounding is bounded by the size of its
# terms, not by the (possibly small) result. Observed ≤ 2.6e-6 over every family (SDPA or
# eager hooks against the eager reference, float32, T ≤ 12); 1e-4 leaves a 40× margin for
# other CPUs' summation orders while a wrong head (a missed mask, a wrong slice) is off by
# O(1) of its own score.
RTOL_OF_ABS = 1e-4


def check_against_reference(model: torch.nn.Module, n: int = 4, seed: int = 1) -> None:
    """headprint's hooks on ``model`` (its own kernel) against the eager reference."""
    batch = collate(random_samples(n, seed=seed, max_len=12), list(range(n)), pad_id=0)
    twin = eager_twin(model)
    expected = reference_scores(twin, batch, "paper", "sample")
    scale = reference_scores(twin, batch, "abs", "sample")
    actual = score_batch(model, attention_layout(model), batch, "paper", "sample")
    assert actual.shape == expected.shape == (n, model.config.num_hidden_layers,
                                              model.config.num_attention_heads)
    assert bool((expected > 0).all())
    assert bool(((actual - expected).abs() <= RTOL_OF_ABS * scale).all()), \
        float(((actual - expected).abs() / scale).max())


def test_every_supported_family_has_a_tiny_config():
    assert set(FAMILY_CONFIGS) == set(SUPPORTED_FAMILIES)
    assert list(SUPPORTED_FAMILIES) == sorted(FAMILIES)


@pytest.mark.parametrize("family", SUPPORTED_FAMILIES)
def test_paper_score_equals_eager_reference(family):
    model = tiny_model(family)
    expected_kernel = "eager" if family in EAGER else "sdpa"
    assert model.config._attn_implementation == expected_kernel
    check_against_reference(model)


@pytest.mark.parametrize("family", ABS_FAMILIES)
def test_abs_score_equals_eager_reference(family):
    """``abs`` sums non-negative terms, so no cancellation: 1e-4 of each entry (observed
    ≤ 2.2e-6) leaves the same margin as ``paper``'s bound."""
    model = tiny_model(family)
    batch = collate(random_samples(3, seed=5, max_len=12), [0, 1, 2], pad_id=0)
    expected = reference_scores(eager_twin(model), batch, "abs", "sample")
    actual = score_batch(model, attention_layout(model), batch, "abs", "sample")
    assert bool(((actual - expected).abs() <= RTOL_OF_ABS * expected).all())


def test_readme_lists_exactly_the_tested_families():
    text = README.read_text()
    match = re.search(r"Supported families[^:]*:(.*?)\.\s", text, re.S)
    assert match, "README has no 'Supported families:' line"
    listed = re.findall(r"`([a-z0-9_]+)`", match.group(1))
    assert sorted(listed) == list(SUPPORTED_FAMILIES)


@pytest.mark.parametrize("family", ["falcon", "bloom"])
def test_abs_refused_where_attention_bypasses_the_interface(family):
    model = tiny_model(family)
    batch = collate(random_samples(2, seed=2), [0, 1], pad_id=0)
    with pytest.raises(UnsupportedAttentionError, match=rf"{family}.*AttentionInterface.*'paper'"):
        score_batch(model, attention_layout(model), batch, "abs", "sample")


def test_falcon_with_alibi_refused_because_its_kernels_disagree():
    """transformers' Falcon under ALiBi: eager and SDPA give different logits (eager adds the
    bias twice), so no kernel can be checked against the eager reference."""
    sdpa = tiny_model("falcon", alibi=True)
    eager = eager_twin(sdpa)
    batch = collate(random_samples(2, seed=3), [0, 1], pad_id=0)
    with torch.no_grad():
        a = eager(batch.input_ids, attention_mask=batch.attention_mask).logits
        b = sdpa(batch.input_ids, attention_mask=batch.attention_mask).logits
    # If this starts failing, transformers made the paths agree: lift the refusal.
    assert not torch.allclose(a, b, atol=1e-3)
    for model in (eager, sdpa):
        with pytest.raises(UnsupportedModelError, match="falcon with alibi=True is not supported"):
            attention_layout(model)


def test_falcon_new_decoder_architecture_equals_eager_reference():
    """Falcon-40B/180B layout: grouped KV heads and two layer norms per block."""
    model = tiny_model("falcon", new_decoder_architecture=True, num_kv_heads=2,
                       num_ln_in_parallel_attn=2)
    assert model.config._attn_implementation == "sdpa"
    check_against_reference(model, n=3, seed=4)
