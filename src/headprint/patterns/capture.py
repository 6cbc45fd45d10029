"""Hooks that read per-head scores off the unmodified model during one backward pass.

``paper`` method: a forward pre-hook on each attention output projection sees the heads'
outputs ``O`` (``[B, T, H*D]``); a tensor hook on ``O`` receives ``dℓ/dO`` during backward.
The head score is ``|Σ_t ⟨O_t, dℓ/dO_t⟩|`` per sample, which equals
``|Σ_ij A_ij dℓ/dA_ij|`` because ``O = A V``. No attention matrix is ever formed, so the
model keeps its SDPA (or flash) kernel.

``abs`` method: see :mod:`headprint.patterns.abs_attention`.

The model's parameters stay frozen; the only tensor made to require grad is the output of
the input embedding, so backward computes activation gradients and nothing else.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import torch

from headprint.models.architecture import AttentionLayout

__all__ = ["ScoreRecorder", "grad_entry_point", "paper_method_hooks", "frozen_parameters",
           "float32_output_layer"]


class ScoreRecorder:
    """Collects head scores of one batch into a float32 ``[B, L, H]`` tensor.

    ``token_mask`` (``[B, T]`` bool) marks real tokens; pads never contribute.
    """

    def __init__(self, layout: AttentionLayout, token_mask: torch.Tensor) -> None:
        self.layout = layout
        self.token_mask = token_mask
        batch = token_mask.shape[0]
        self.scores = torch.full((batch, layout.num_layers, layout.num_heads), float("nan"),
                                 dtype=torch.float32)
        self.filled = [False] * layout.num_layers

    def record(self, layer: int, per_sample_head: torch.Tensor) -> None:
        """Store ``[B, H]`` scores of ``layer`` (already absolute values)."""
        self.scores[:, layer] = per_sample_head.detach().to(torch.float32).cpu()
        self.filled[layer] = True

    def result(self) -> torch.Tensor:
        missing = [i for i, done in enumerate(self.filled) if not done]
        if missing:
            raise RuntimeError(
                f"no gradient reached layers {missing}: the loss does not depend on them "
                f"(is every target masked?)")
        return self.scores


@contextmanager
def grad_entry_point(model: torch.nn.Module) -> Iterator[None]:
    """Make the input embeddings' output the one leaf that requires grad."""

    def make_leaf(_module, _inputs, output):
        return output.detach().requires_grad_(True)

    handle = model.get_input_embeddings().register_forward_hook(make_leaf)
    try:
        yield
    finally:
        handle.remove()


@contextmanager
def paper_method_hooks(recorder: ScoreRecorder) -> Iterator[None]:
    """Hook every output projection; scores land in ``recorder`` during backward."""
    layout = recorder.layout
    heads, head_dim = layout.num_heads, layout.head_dim

    def make_pre_hook(layer: int):
        def pre_hook(_module, args):
            head_outputs = args[0]
            if not head_outputs.requires_grad:
                return None
            # The hook must not hold the tensor it is registered on: that cycle (tensor ->
            # hook -> tensor) is invisible to reference counting, so every batch's head
            # outputs would wait for the cyclic collector (gigabytes over a long run). A
            # detached alias shares the storage and carries no hooks.
            outputs = head_outputs.detach()

            def on_grad(grad: torch.Tensor) -> None:
                batch, length = grad.shape[:2]
                # ⟨O_t, dℓ/dO_t⟩ per head, accumulated in float32 whatever the model dtype.
                inner = (outputs.float() * grad.float()).view(
                    batch, length, heads, head_dim).sum(-1)
                # The mask lives where the batch was built; under --device-map auto the
                # layer may sit on another device.
                mask = recorder.token_mask[:, :length, None]
                inner = inner * mask.to(device=inner.device, dtype=inner.dtype)
                recorder.record(layer, inner.sum(1).abs())

            head_outputs.register_hook(on_grad)
            return None

        return pre_hook

    handles = [proj.register_forward_pre_hook(make_pre_hook(i))
               for i, proj in enumerate(layout.out_projections)]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


@contextmanager
def frozen_parameters(model: torch.nn.Module) -> Iterator[None]:
    """Turn off ``requires_grad`` on every parameter for the duration, then restore it.

    Lets patterns be computed in the middle of training without computing (or touching)
    any parameter gradient.
    """
    trainable = [p for p in model.parameters() if p.requires_grad]
    for parameter in trainable:
        parameter.requires_grad_(False)
    try:
        yield
    finally:
        for parameter in trainable:
            parameter.requires_grad_(True)


class _Float32Linear(torch.autograd.Function):
    """``x @ Wᵀ (+ b)`` in float32 for a low-precision ``W``, without a float32 copy of ``W``
    kept alive: the weight is upcast one block of output rows at a time, in the forward and
    again in the backward (only ``x`` and the low-precision ``W`` are saved). The weight is
    frozen here, so no weight gradient is formed."""

    BLOCK = 8192  # output rows (vocabulary entries) per upcast block

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        xf = x.float()
        parts = [xf @ weight[i:i + _Float32Linear.BLOCK].float().T
                 for i in range(0, weight.shape[0], _Float32Linear.BLOCK)]
        out = torch.cat(parts, dim=-1)
        return out if bias is None else out + bias.float()

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        grad_x = None
        if ctx.needs_input_grad[0]:
            grad = grad.float()
            grad_x = torch.zeros(x.shape, dtype=torch.float32, device=x.device)
            for i in range(0, weight.shape[0], _Float32Linear.BLOCK):
                grad_x += grad[..., i:i + _Float32Linear.BLOCK] @ \
                    weight[i:i + _Float32Linear.BLOCK].float()
            grad_x = grad_x.to(x.dtype)
        return grad_x, None, None


_FINAL_NORMS = ("model.norm", "model.language_model.norm", "transformer.ln_f",
                "model.decoder.final_layer_norm", "gpt_neox.final_layer_norm")


def _final_norm(model: torch.nn.Module) -> torch.nn.Module | None:
    for dotted in _FINAL_NORMS:
        module = model
        for part in dotted.split("."):
            module = getattr(module, part, None)
            if module is None:
                break
        if isinstance(module, torch.nn.Module):
            return module
    return None


@contextmanager
def float32_output_layer(model: torch.nn.Module) -> Iterator[None]:
    """Compute the final norm and the logits in float32 when the model is in a lower precision.

    In bfloat16 the logits come out of the output layer rounded to 8 significant bits. The
    final norm's input is upcast here (the norm then computes and returns float32) and the
    output layer multiplies in float32 (:class:`_Float32Linear`), so the logits and the
    gradient entering the network are float32; the layers stay in the model's dtype. A
    no-op for a float32 model.

    Not on by default: the fidelity study (``docs/performance.md``) found that rounding the
    logits costs per-sample r less than 4e-4, while a float32 output layer costs a large
    share of a big-vocabulary model's time (Gemma-3: 262 144 × 640 weights). It stays for
    that ablation (``python -m headprint.patterns.fidelity --float32-logits``).
    """
    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    if head is None or not isinstance(head, torch.nn.Linear) or \
            head.weight.dtype in (torch.float32, torch.float64):
        yield
        return
    handles = []
    norm = _final_norm(model)
    if norm is not None:
        handles.append(norm.register_forward_pre_hook(
            lambda _m, args: (args[0].float(), *args[1:])))

    def forward(x: torch.Tensor) -> torch.Tensor:
        return _Float32Linear.apply(x, head.weight, head.bias)

    head.forward = forward  # an instance attribute, removed on exit: the class is untouched
    try:
        yield
    finally:
        del head.forward
        for handle in handles:
            handle.remove()
