"""``abs`` settings belong to one call: two models recording at once do not leak into each
other, and nothing is left on the modules afterwards."""
from __future__ import annotations

import pytest
import torch

from headprint.errors import HeadprintError
from headprint.models.architecture import attention_layout
from headprint.patterns.abs_attention import abs_method_hooks
from headprint.patterns.batching import collate
from headprint.patterns.capture import ScoreRecorder, frozen_parameters, grad_entry_point
from headprint.patterns.reference import reference_scores
from headprint.patterns.scoring import response_loss
from tests.patterns.tolerance import assert_scores_close
from tests.tiny_models import random_samples, tiny_model


def _setup(family: str, seed: int):
    model = tiny_model(family, seed=seed)
    batch = collate(random_samples(3, seed=seed + 1, max_len=12), [0, 1, 2], pad_id=0)
    layout = attention_layout(model)
    return model, batch, ScoreRecorder(layout, batch.attention_mask.bool())


def test_two_models_recording_at_once_keep_their_own_settings():
    """Model A (llama, tiles of 2 queries) and model B (qwen2, tiles of 5) both inside their
    hooks at once; each backward records into its own recorder, with its own layer index.
    With one module-level table of settings, B's entry would have replaced A's."""
    model_a, batch_a, rec_a = _setup("llama", 0)
    model_b, batch_b, rec_b = _setup("qwen2", 3)
    with frozen_parameters(model_a), grad_entry_point(model_a), \
            frozen_parameters(model_b), grad_entry_point(model_b), \
            abs_method_hooks(model_a, rec_a, block=2), \
            abs_method_hooks(model_b, rec_b, block=5), torch.enable_grad():
        loss_b = response_loss(model_b, batch_b, "sample")
        loss_a = response_loss(model_a, batch_a, "sample")
        loss_a.backward()
        assert all(rec_a.filled) and not any(rec_b.filled)  # A's backward touched only A
        loss_b.backward()
    for model, batch, rec in ((model_a, batch_a, rec_a), (model_b, batch_b, rec_b)):
        expected = reference_scores(model, batch, method="abs", loss="sample")
        assert_scores_close(rec.result(), expected, expected)
        assert model.config._attn_implementation == "sdpa"
        assert not any(hasattr(m, "_headprint_abs_call") for m in model.modules())


def test_a_model_without_the_hooks_runs_plain_sdpa_and_nesting_is_refused():
    model, batch, rec = _setup("llama", 0)
    with abs_method_hooks(model, rec):
        with pytest.raises(HeadprintError, match="already active"):
            with abs_method_hooks(model, ScoreRecorder(rec.layout, rec.token_mask)):
                pass
    # After the block the settings are gone: a later call with another block size is new.
    other = ScoreRecorder(rec.layout, rec.token_mask)
    with frozen_parameters(model), grad_entry_point(model), \
            abs_method_hooks(model, other, block=1), torch.enable_grad():
        response_loss(model, batch, "sample").backward()
    expected = reference_scores(model, batch, method="abs", loss="sample")
    assert_scores_close(other.result(), expected, expected)
    assert not any(rec.filled)  # the first recorder never saw the second call
