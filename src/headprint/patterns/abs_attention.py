"""The ``abs`` method: ``s_lh(x) = Σ_ij |A_ij · dℓ/dA_ij|`` (Hao et al. 2021; the paper's Eq. 2).

The products per (i, j) are needed, so the attention probabilities must be formed. This
module registers an attention function with transformers' ``AttentionInterface`` (the
public extension point: no library source is patched) that runs the model family's own
eager attention and hooks the probabilities' gradient. It is a plain, correct version: it
holds one layer's ``[B, H, T, T]`` probabilities per layer until backward reaches them.
"""
from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Iterator

import torch

from headprint.patterns.capture import ScoreRecorder

__all__ = ["ABS_ATTENTION", "abs_method_hooks"]

ABS_ATTENTION = "headprint_abs"
_ACTIVE: dict[str, object] = {}


def _abs_attention(module, query, key, value, attention_mask, scaling=None, dropout=0.0,
                   **kwargs):
    """Same signature and result as the family's ``eager_attention_forward``."""
    eager = sys.modules[type(module).__module__].eager_attention_forward
    output, probs = eager(module, query, key, value, attention_mask, scaling=scaling,
                          dropout=dropout, **kwargs)
    recorder: ScoreRecorder | None = _ACTIVE.get("recorder")  # type: ignore[assignment]
    if recorder is not None and probs.requires_grad:
        layer = _ACTIVE["layers"][id(module)]  # type: ignore[index]
        mask = recorder.token_mask

        def on_grad(grad: torch.Tensor) -> None:
            product = (probs.float() * grad.float()).abs()  # [B, H, Tq, Tk]
            # Pad queries carry no gradient; mask them anyway so the contract is explicit.
            product = product * mask[:, None, : product.shape[2], None].to(product.dtype)
            recorder.record(layer, product.sum(dim=(-1, -2)))

        probs.register_hook(on_grad)
    return output, probs


def _register() -> None:
    from transformers import AttentionInterface
    from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, eager_mask

    AttentionInterface.register(ABS_ATTENTION, _abs_attention)
    ALL_MASK_ATTENTION_FUNCTIONS.register(ABS_ATTENTION, eager_mask)


@contextmanager
def abs_method_hooks(model: torch.nn.Module, recorder: ScoreRecorder) -> Iterator[None]:
    """Switch ``model`` to the recording attention for the duration, then restore it."""
    _register()
    previous = model.config._attn_implementation
    layers = {id(module): index for index, module in enumerate(recorder.layout.attentions)}
    model.set_attn_implementation(ABS_ATTENTION)
    _ACTIVE.update(recorder=recorder, layers=layers)
    try:
        yield
    finally:
        _ACTIVE.clear()
        model.set_attn_implementation(previous)
