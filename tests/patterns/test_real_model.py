"""The real embedded model: headprint's scores equal the released script's route."""
from __future__ import annotations

import pytest
import torch

from headprint.models import load_model
from headprint.models.architecture import attention_layout
from headprint.patterns.batching import collate
from headprint.patterns.reference import reference_scores
from headprint.patterns.scoring import score_batch
from tests.tiny_models import Sample

PAIRS = [
    ("Question: Tom has 3 apples and buys 4 more. How many apples does he have?\nAnswer:",
     " He has 3 + 4 = 7 apples. #### 7"),
    ("def add(a, b):\n    \"\"\"Return the sum of a and b.\"\"\"\n", "    return a + b\n"),
    ("The capital of France is", " Paris."),
]


@pytest.fixture(scope="module")
def smollm2():
    return load_model("smollm2-135m")


def _encode(tokenizer, prompt, completion):
    p = tokenizer(prompt).input_ids
    c = tokenizer(completion, add_special_tokens=False).input_ids + [tokenizer.eos_token_id]
    return Sample(p + c, [-100] * len(p) + c)


@pytest.mark.slow
@pytest.mark.parametrize("method,loss", [("paper", "sample"), ("paper", "batch"),
                                         ("abs", "sample")])
def test_smollm2_matches_released_route(smollm2, method, loss):
    model, tokenizer = smollm2.model, smollm2.tokenizer
    samples = [_encode(tokenizer, p, c) for p, c in PAIRS]
    batch = collate(samples, list(range(len(samples))), tokenizer.pad_token_id)
    expected = reference_scores(model, batch, method=method, loss=loss)
    actual = score_batch(model, attention_layout(model), batch, method, loss)
    assert actual.shape == (3, 30, 9)
    relative = (actual - expected).abs().max() / expected.abs().max()
    assert float(relative) < 1e-4
    # Entry-wise too, where scores are not vanishingly small.
    big = expected > expected.max() * 1e-3
    assert torch.allclose(actual[big], expected[big], rtol=1e-3)
    assert all(p.grad is None for p in model.parameters())
