"""Head scores of one batch: forward, the sample's response loss, backward, read the hooks.

Loss scaling (``shared/DESIGN.md`` §1):

- ``sample``: ``ℓ = Σ_b mean_t CE(b, t)``. Each sample's gradient is that of its own
  token-mean loss, so its scores do not depend on the rest of the batch.
- ``batch``: ``ℓ = Σ_{b,t} CE(b, t) / Σ_b n_b``, the batch's token mean, as in the released
  extraction script.
"""
from __future__ import annotations

import inspect
from typing import Literal

import torch
import torch.nn.functional as F

from headprint.models.architecture import AttentionLayout
from headprint.patterns.abs_attention import abs_method_hooks
from headprint.patterns.batching import Batch
from headprint.patterns.capture import (ScoreRecorder, frozen_parameters, grad_entry_point,
                                        paper_method_hooks)

__all__ = ["Method", "LossScaling", "response_loss", "score_batch", "NonFiniteScoreError"]

Method = Literal["paper", "abs"]
LossScaling = Literal["sample", "batch"]


class NonFiniteScoreError(FloatingPointError):
    """A head score came out NaN or infinite."""


def _accepts_logits_to_keep(model: torch.nn.Module) -> bool:
    return "logits_to_keep" in inspect.signature(model.forward).parameters


def response_loss(model: torch.nn.Module, batch: Batch, loss: LossScaling) -> torch.Tensor:
    """Run the model on ``batch`` and return the scalar loss under ``loss`` scaling.

    Logits are computed only from the first target position on (``logits_to_keep``): with a
    large vocabulary the ``[B, T, V]`` logits would otherwise dominate memory.
    """
    labels = batch.labels
    targets = labels != -100
    if not bool(targets.any()):
        raise ValueError(f"batch of samples {batch.indices} has no target token")
    length = labels.shape[1]
    first_target = int(targets.float().argmax(dim=1)[targets.any(dim=1)].min())
    keep = length - first_target + 1  # logits at positions first_target-1 .. T-1
    kwargs = {"input_ids": batch.input_ids, "attention_mask": batch.attention_mask,
              "use_cache": False}
    if _accepts_logits_to_keep(model):
        kwargs["logits_to_keep"] = keep
        logits = model(**kwargs).logits
    else:
        logits = model(**kwargs).logits[:, -keep:]
    logits = logits[:, :-1].float()                 # predicts tokens first_target .. T-1
    shifted = labels[:, length - keep + 1:]          # [B, keep-1]
    token_loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), shifted.reshape(-1),
                                 ignore_index=-100, reduction="none").view(shifted.shape)
    counts = (shifted != -100).sum(dim=1)
    if loss == "sample":
        per_sample = token_loss.sum(dim=1) / counts.clamp(min=1)
        return per_sample.sum()
    if loss == "batch":
        return token_loss.sum() / counts.sum()
    raise ValueError(f"unknown loss scaling {loss!r}; choose 'sample' or 'batch'")


def score_batch(model: torch.nn.Module, layout: AttentionLayout, batch: Batch,
                method: Method = "paper", loss: LossScaling = "sample",
                sample_ids: list[str] | None = None) -> torch.Tensor:
    """Head scores of every sample in ``batch``: float32 ``[B, L, H]`` on the CPU.

    Parameters stay frozen; only activations get gradients.

    Raises:
        NonFiniteScoreError: naming the layer and the sample.
    """
    device = next(model.parameters()).device
    batch = batch.to(device)
    recorder = ScoreRecorder(layout, batch.attention_mask.bool())
    if method == "paper":
        hooks = paper_method_hooks(recorder)
    elif method == "abs":
        hooks = abs_method_hooks(model, recorder)
    else:
        raise ValueError(f"unknown method {method!r}; choose 'paper' or 'abs'")
    with frozen_parameters(model), grad_entry_point(model), hooks, torch.enable_grad():
        value = response_loss(model, batch, loss)
        value.backward()
    scores = recorder.result()
    bad = ~torch.isfinite(scores)
    if bool(bad.any()):
        row, layer, head = (int(v) for v in bad.nonzero()[0])
        name = sample_ids[batch.indices[row]] if sample_ids else f"#{batch.indices[row]}"
        raise NonFiniteScoreError(
            f"non-finite head score at layer {layer}, head {head}, sample {name} "
            f"(loss {float(value.detach()):.4g})")
    return scores
