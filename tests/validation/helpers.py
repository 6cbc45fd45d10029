"""Tiny models and rows for the validation tests."""
from __future__ import annotations

import copy

import torch

from headprint.models.architecture import attention_layout
from headprint.patterns.batching import length_grouped_batches
from tests.tiny_models import random_samples, tiny_model

__all__ = ["setup", "hf_row_losses", "planted_model", "greedy_labelled"]


def setup(family: str = "llama", n: int = 6, seed: int = 0, dtype=torch.float32):
    """``(model, layout, samples, batches)`` of a tiny random model."""
    model = tiny_model(family, seed=seed).to(dtype)
    samples = random_samples(n, seed=seed + 1)
    return model, attention_layout(model), samples, length_grouped_batches(samples, 3, 0)


def hf_row_losses(model, samples) -> torch.Tensor:
    """Each row's response loss from Hugging Face's own ``labels=`` loss, one row at a time
    (no headprint code involved)."""
    out = []
    with torch.no_grad():
        for s in samples:
            labels = torch.tensor([s.labels])
            labels[0, 0] = -100
            out.append(model(input_ids=torch.tensor([s.input_ids]), labels=labels).loss)
    return torch.stack(out).float()


def planted_model(seed: int = 0, layer: int = 0, head: int = 2, damp: float = 0.05,
                  gain: float = 3.0):
    """A tiny llama whose head ``(layer, head)`` carries the next-token prediction: its slice
    of the output projection is amplified, every other head's is damped, and the task's
    labels are the planted model's own greedy predictions."""
    model = tiny_model("llama", seed=seed)
    layout = attention_layout(model)
    d = layout.head_dim
    with torch.no_grad():
        for l, proj in enumerate(layout.out_projections):
            proj.weight.mul_(damp)
        layout.out_projections[layer].weight[:, head * d:(head + 1) * d].mul_(gain / damp)
    return model, layout


def greedy_labelled(model, samples):
    """Copies of ``samples`` whose response tokens are replaced by ``model``'s argmax
    predictions (teacher-forced on the original tokens)."""
    out = []
    with torch.no_grad():
        for s in samples:
            ids = torch.tensor([s.input_ids])
            pred = model(input_ids=ids).logits[0].argmax(-1).tolist()
            new = copy.copy(s)
            prompt = next(i for i, v in enumerate(s.labels) if v != -100)
            new.input_ids = s.input_ids[:prompt] + pred[prompt - 1:-1]
            new.labels = [-100] * prompt + new.input_ids[prompt:]
            out.append(new)
    return out
