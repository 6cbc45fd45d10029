"""Ablation at the output projection's input against computations that do not use it."""
from __future__ import annotations

import copy

import pytest
import torch

from headprint.validation.hooks import head_gates
from headprint.validation.losses import ablation_losses, first_order, per_row_loss
from tests.validation.helpers import hf_row_losses, setup


@pytest.mark.parametrize("family", ["llama", "gpt2", "opt"])
def test_every_head_ablated_equals_model_with_zeroed_output_projection(family):
    """Zeroing the projection's input gives o_proj(0) = its bias (if any): the same as a
    copy of the model whose projection weights are zero and biases kept."""
    model, layout, samples, batches = setup(family)
    masks = torch.ones(1, layout.num_layers, layout.num_heads, dtype=torch.bool)
    ours = ablation_losses(model, layout, batches, masks, progress=False)[0]
    independent = copy.deepcopy(model)
    for name, module in independent.named_modules():
        if name.endswith(("o_proj", "attn.c_proj", "self_attn.out_proj")):
            with torch.no_grad():
                module.weight.zero_()
    torch.testing.assert_close(ours, hf_row_losses(independent, samples), atol=1e-5, rtol=1e-5)
    # and ablating nothing is the model itself
    none = torch.zeros_like(masks)
    clean = ablation_losses(model, layout, batches, none, progress=False)[0]
    torch.testing.assert_close(clean, hf_row_losses(model, samples), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("family", ["llama", "gemma3_text", "gpt2"])
def test_replaying_unchanged_layers_and_stacking_settings_change_nothing(family):
    model, layout, samples, batches = setup(family, n=7)
    g = torch.Generator().manual_seed(0)
    masks = torch.rand(6, layout.num_layers, layout.num_heads, generator=g) < 0.3
    masks[0] = False
    masks[1, :-1] = False  # only the last layer: most layers replayed
    masks[1, -1, 0] = True
    fast = ablation_losses(model, layout, batches, masks, progress=False, rows_per_forward=3)
    slow = ablation_losses(model, layout, batches, masks, progress=False, reuse_prefix=False,
                           rows_per_forward=100)
    torch.testing.assert_close(fast, slow, atol=1e-5, rtol=1e-5)
    for c in range(1, 6):  # one setting at a time, no stacking, no replay
        one = ablation_losses(model, layout, batches, masks[c:c + 1], progress=False,
                              reuse_prefix=False, rows_per_forward=1)
        torch.testing.assert_close(fast[c], one[0], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("mean", [False, True])
def test_first_order_estimate_equals_finite_difference(mean):
    """d loss / d gate at gate 1, by central differences on a float64 model, equals minus
    the recorded estimate Σ⟨r − O, ∂ℓ/∂O⟩ (r = 0 or the heads' mean output)."""
    from headprint.validation.hooks import head_output_means

    model, layout, samples, batches = setup("llama", dtype=torch.float64)
    replacement = head_output_means(model, layout, batches).double() if mean else None
    fo = first_order(model, layout, batches, replacement, progress=False)
    eps = 1e-3
    for layer, head in [(0, 0), (1, 3), (2, 1)]:
        for batch in batches:
            n = len(batch.indices)

            def loss_at(gate: float) -> torch.Tensor:
                gates = torch.ones(n, layout.num_layers, layout.num_heads, dtype=torch.float64)
                gates[:, layer, head] = gate
                with torch.no_grad(), head_gates(layout, gates, replacement):
                    return per_row_loss(model, batch.input_ids, batch.attention_mask,
                                        batch.labels).double()

            slope = (loss_at(1 + eps) - loss_at(1 - eps)) / (2 * eps)
            estimate = fo["estimate"][batch.indices, layer, head].double()
            torch.testing.assert_close(-slope, estimate, atol=2e-4, rtol=1e-3)
            if not mean:  # the head score is |Σ⟨O, ∂ℓ/∂O⟩| = |slope|
                torch.testing.assert_close(fo["inner"][batch.indices, layer, head].double(),
                                           slope, atol=2e-4, rtol=1e-3)


def test_first_order_matches_the_pattern_scores():
    """|inner| is exactly what headprint patterns records as a head score."""
    from headprint.patterns.scoring import score_batch

    model, layout, samples, batches = setup("llama")
    fo = first_order(model, layout, batches, progress=False)
    for batch in batches:
        scores = score_batch(model, layout, batch, "paper", "sample")
        torch.testing.assert_close(fo["inner"][batch.indices].abs(), scores,
                                   atol=1e-5, rtol=1e-4)


def test_logits_budget_bounds_the_stacking_and_changes_nothing():
    from headprint.validation.losses import copies_within_budget, vocabulary_size

    # hand arithmetic: 8 rows x 300 positions x 262144 words x 4 bytes = 2 516 582 400 bytes
    assert copies_within_budget(8, 300, 262144, wanted=4, budget_bytes=2 * 1024 ** 3) == 1
    assert copies_within_budget(2, 300, 262144, wanted=16, budget_bytes=2 * 1024 ** 3) == 3
    assert copies_within_budget(8, 300, 49152, wanted=4, budget_bytes=2 * 1024 ** 3) == 4
    model, layout, samples, batches = setup("llama", n=5)
    assert vocabulary_size(model) == model.config.vocab_size
    g = torch.Generator().manual_seed(1)
    masks = torch.rand(5, layout.num_layers, layout.num_heads, generator=g) < 0.4
    wide = ablation_losses(model, layout, batches, masks, progress=False, rows_per_forward=64)
    tight = ablation_losses(model, layout, batches, masks, progress=False, rows_per_forward=64,
                            logits_budget_bytes=1)
    torch.testing.assert_close(wide, tight, atol=1e-5, rtol=1e-5)
