"""Hooks at the input of each attention output projection, the point the head scores read.

The projection's input is ``[B, T, H*D]``: head ``h``'s output ``O_lh`` is the slice
``h*D:(h+1)*D``. Every hook here is a forward pre-hook on the unmodified Hugging Face
model (module paths come from :func:`headprint.models.architecture.attention_layout`).

- :func:`head_gates`: per row ``b``, replace head output ``O`` by ``r + g·(O − r)`` with a
  gate ``g[b, l, h]`` and a replacement ``r[l]`` (zeros, or the head's mean output). Gate 0
  ablates the head, 1 leaves it untouched, ``1 − ε`` scales its deviation from ``r``.
- :func:`head_output_means`: mean of every head's output over the real tokens of a set of
  batches (the replacement of ``--ablation mean``).
- :func:`first_order_hooks`: during one backward pass, per row, ``Σ_t ⟨O_t, ∂ℓ/∂O_t⟩`` and
  ``Σ_t ⟨r − O_t, ∂ℓ/∂O_t⟩`` (the signed first-order change of the row's loss when the head
  is replaced by ``r``); the first's absolute value is the head score.
- :func:`replayed_layers`: run only the layers from ``start`` on, replaying the outputs of
  the layers below, recorded on the same rows without ablation (ablating heads of layer
  ``start`` or above cannot change them). Saves the forward of the unchanged prefix.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, Sequence

import torch

from headprint.models.architecture import AttentionLayout

__all__ = ["head_gates", "head_output_means", "first_order_hooks", "recorded_layer_outputs",
           "replayed_layers", "decoder_layers"]


@contextmanager
def head_gates(layout: AttentionLayout, gates: torch.Tensor,
               replacement: torch.Tensor | None = None) -> Iterator[None]:
    """Gate every head's output per row for the duration.

    Args:
        gates: ``[B, L, H]`` float; 1 keeps a head, 0 replaces it by ``replacement``.
        replacement: ``[L, H*D]`` (the head outputs' means) or None for zeros.
    """
    heads, dim = layout.num_heads, layout.head_dim
    touched = (gates != 1).any(dim=0).any(dim=-1).tolist()  # layers with a gate other than 1

    def make(layer: int):
        def pre_hook(_module, args):
            x = args[0]
            batch, length = x.shape[:2]
            if gates.shape[0] != batch:
                raise RuntimeError(f"gates for {gates.shape[0]} rows, batch has {batch}")
            g = gates[:, layer].to(device=x.device, dtype=x.dtype).view(batch, 1, heads, 1)
            o = x.view(batch, length, heads, dim)
            if replacement is None:
                new = o * g
            else:
                r = replacement[layer].to(device=x.device, dtype=x.dtype).view(1, 1, heads, dim)
                new = r + g * (o - r)
            return (new.reshape(x.shape), *args[1:])
        return pre_hook

    handles = [proj.register_forward_pre_hook(make(i))
               for i, proj in enumerate(layout.out_projections) if touched[i]]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


@torch.no_grad()
def head_output_means(model: torch.nn.Module, layout: AttentionLayout,
                      batches: Sequence[Any]) -> torch.Tensor:
    """Mean head output over the real tokens of ``batches``: float32 ``[L, H*D]``."""
    device = next(model.parameters()).device
    width = layout.num_heads * layout.head_dim
    sums = torch.zeros(layout.num_layers, width, dtype=torch.float64)
    count = [0]
    mask_now: list[torch.Tensor] = []

    def make(layer: int):
        def pre_hook(_module, args):
            x = args[0].detach().double()
            mask = mask_now[0].to(device=x.device, dtype=x.dtype)[:, :x.shape[1], None]
            sums[layer] += (x * mask).sum(dim=(0, 1)).cpu()
            return None
        return pre_hook

    handles = [p.register_forward_pre_hook(make(i)) for i, p in enumerate(layout.out_projections)]
    try:
        for batch in batches:
            batch = batch.to(device)
            mask_now[:] = [batch.attention_mask]
            model(input_ids=batch.input_ids, attention_mask=batch.attention_mask,
                  use_cache=False, **_one_logit(model))
            count[0] += int(batch.attention_mask.sum())
    finally:
        for handle in handles:
            handle.remove()
    return (sums / max(count[0], 1)).float()


def _one_logit(model: torch.nn.Module) -> dict[str, int]:
    import inspect

    return {"logits_to_keep": 1} if "logits_to_keep" in inspect.signature(
        model.forward).parameters else {}


@contextmanager
def first_order_hooks(layout: AttentionLayout, token_mask: torch.Tensor,
                      replacement: torch.Tensor | None,
                      out: dict[str, torch.Tensor]) -> Iterator[None]:
    """Record, during backward, ``out["inner"]`` = ``Σ_t ⟨O_t, g_t⟩`` and ``out["estimate"]``
    = ``Σ_t ⟨r − O_t, g_t⟩`` (float32 ``[B, L, H]``, real tokens only), where ``g = ∂ℓ/∂O``.

    With a per-row loss summed over rows, row ``b``'s entries are those of its own loss.
    """
    heads, dim = layout.num_heads, layout.head_dim
    batch = token_mask.shape[0]
    out["inner"] = torch.full((batch, layout.num_layers, heads), float("nan"))
    out["estimate"] = torch.full((batch, layout.num_layers, heads), float("nan"))

    def make(layer: int):
        def pre_hook(_module, args):
            x = args[0]
            if not x.requires_grad:
                return None
            o = x.detach()  # no reference cycle tensor -> hook -> tensor (see capture.py)

            def on_grad(grad: torch.Tensor) -> None:
                length = grad.shape[1]
                g = grad.double().view(batch, length, heads, dim)
                mask = token_mask[:, :length, None].to(device=g.device, dtype=g.dtype)
                ov = o.double().view(batch, length, heads, dim)
                inner = ((ov * g).sum(-1) * mask).sum(1)
                if replacement is None:
                    estimate = -inner
                else:
                    r = replacement[layer].to(device=g.device, dtype=g.dtype).view(
                        1, 1, heads, dim)
                    estimate = ((r * g).sum(-1) * mask).sum(1) - inner
                out["inner"][:, layer] = inner.float().cpu()
                out["estimate"][:, layer] = estimate.float().cpu()

            x.register_hook(on_grad)
            return None
        return pre_hook

    handles = [p.register_forward_pre_hook(make(i)) for i, p in enumerate(layout.out_projections)]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def decoder_layers(model: torch.nn.Module, layout: AttentionLayout) -> list[torch.nn.Module]:
    """Decoder layer ``l``: the module whose child is attention module ``l``."""
    wanted = {id(a): i for i, a in enumerate(layout.attentions)}
    found: list[torch.nn.Module | None] = [None] * layout.num_layers
    for module in model.modules():
        for child in module.children():
            if id(child) in wanted:
                found[wanted[id(child)]] = module
    if any(m is None for m in found):
        raise RuntimeError("could not find the decoder layer of every attention module")
    return found  # type: ignore[return-value]


@contextmanager
def recorded_layer_outputs(model: torch.nn.Module, layout: AttentionLayout,
                           out: list[Any]) -> Iterator[None]:
    """Append every decoder layer's output (as the layer returned it) to ``out``."""
    layers = decoder_layers(model, layout)
    out[:] = [None] * len(layers)

    def make(i: int):
        def hook(_module, _args, output):
            out[i] = output
        return hook

    handles = [layer.register_forward_hook(make(i)) for i, layer in enumerate(layers)]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def _tile(value: Any, copies: int) -> Any:
    if isinstance(value, torch.Tensor):
        return value.repeat(copies, *([1] * (value.dim() - 1))) if copies > 1 else value
    if isinstance(value, tuple):
        return tuple(_tile(v, copies) for v in value)
    return value


@contextmanager
def replayed_layers(model: torch.nn.Module, layout: AttentionLayout, recorded: list[Any],
                    start: int, copies: int = 1) -> Iterator[None]:
    """Layers below ``start`` return their ``recorded`` outputs (tiled ``copies`` times
    along the batch, for rows repeated that many times) instead of computing them.

    The instances' ``forward`` is shadowed for the duration and restored after; the model's
    class and weights are untouched.
    """
    layers = decoder_layers(model, layout)[:start]
    tiled = [_tile(recorded[i], copies) for i in range(len(layers))]
    for layer, value in zip(layers, tiled):
        layer.forward = (lambda *_a, _v=value, **_k: _v)
    try:
        yield
    finally:
        for layer in layers:
            del layer.forward
