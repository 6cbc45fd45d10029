"""The released extraction script's computation, kept as the reference headprint is checked
and benchmarked against (tests, ``bench/``). Not used to compute patterns.

What the released script does, and this function reproduces: eager attention with the
attention probabilities returned and their gradient retained (``A.retain_grad()``),
gradients for every parameter, and the batch's token-mean loss; then per head
``|Σ_ij A_ij ∂ℓ/∂A_ij|`` (``paper``) or ``Σ_ij |A_ij ∂ℓ/∂A_ij|`` (``abs``, Eq. 2 read
literally). Memory grows as ``L·H·T²`` and every parameter gets a gradient: this is the
cost headprint removes.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from headprint.patterns.batching import Batch

__all__ = ["reference_scores"]


def reference_scores(model: torch.nn.Module, batch: Batch, method: str = "paper",
                     loss: str = "batch", parameter_grads: bool = True) -> torch.Tensor:
    """Per-sample head scores ``[B, L, H]`` by the released script's route.

    ``loss="sample"`` sums the samples' own token-mean losses instead (headprint's default),
    so the same reference checks both scalings. The model's attention implementation and
    parameters' ``requires_grad`` are restored afterwards; parameter ``.grad`` is cleared.
    """
    previous = model.config._attn_implementation
    trainable = [p.requires_grad for p in model.parameters()]
    model.set_attn_implementation("eager")
    if model.config._attn_implementation != "eager":
        # Falcon and BLOOM only warn and keep their kernel: a reference computed that way
        # would silently not be the eager computation it claims to be.
        model.set_attn_implementation(previous)
        raise ValueError(f"{model.config.model_type}: cannot switch this model to eager "
                         "attention at run time; build it with attn_implementation='eager'")
    model.requires_grad_(parameter_grads)
    device = next(model.parameters()).device
    batch = batch.to(device)
    try:
        with torch.enable_grad():
            embeds = model.get_input_embeddings()(batch.input_ids)
            if not parameter_grads:
                embeds = embeds.detach().requires_grad_(True)
            out = model(inputs_embeds=embeds, attention_mask=batch.attention_mask,
                        output_attentions=True, use_cache=False)
            attentions = list(out.attentions)
            for probs in attentions:
                probs.retain_grad()
            logits = out.logits[:, :-1].float()
            labels = batch.labels[:, 1:]
            token_loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1),
                                         ignore_index=-100, reduction="none").view(labels.shape)
            counts = (labels != -100).sum(dim=1)
            if loss == "batch":
                value = token_loss.sum() / counts.sum()
            else:
                value = (token_loss.sum(dim=1) / counts.clamp(min=1)).sum()
            value.backward()
        mask = batch.attention_mask.bool()
        per_layer = []
        for probs in attentions:
            product = probs.float() * probs.grad.float()      # [B, H, T, T]
            product = product * mask[:, None, :, None]
            if method == "paper":
                per_layer.append(product.sum(dim=(-1, -2)).abs())
            else:
                per_layer.append(product.abs().sum(dim=(-1, -2)))
        return torch.stack(per_layer, dim=1).detach().cpu()
    finally:
        model.set_attn_implementation(previous)
        for parameter, flag in zip(model.parameters(), trainable):
            parameter.requires_grad_(flag)
            parameter.grad = None
