"""The ``abs`` method: ``s_lh(x) = Σ_ij |A_ij · dℓ/dA_ij|`` (Hao et al. 2021; paper's Eq. 2).

The products per (i, j) need the attention probabilities, which SDPA and flash kernels
never materialise. This module registers an attention function with transformers'
``AttentionInterface`` (the public extension point: no library source is patched, no model
is re-implemented) whose forward is the model's own SDPA call and whose backward is
:class:`headprint.patterns.tiled_attention.TiledAbsAttention`: probabilities are recomputed
for one block of queries at a time, multiplied by their gradient, reduced to ``[B, H]``
scores, and turned into exact ``dQ``, ``dK``, ``dV``. Memory stays ``O(B·H·block·T)`` per
layer in the backward, never ``L·H·T²``.

The matching mask function is transformers' ``sdpa_mask``: the attention function receives
the same mask (or ``None`` for plain causal attention) an SDPA model would.

Per-call state: the registered function is global (transformers looks it up by name), but
what it records into is not. :func:`abs_method_hooks` creates one :class:`_AbsCall` (the
recorder, the block size, the layer index) per call and hangs it on each of that model's
attention modules for the duration; the function reads it from the ``module`` transformers
passes in. Two models recording at once, or two calls with different block sizes, never see
each other's settings, and a module without one runs plain SDPA.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import torch

from headprint.errors import HeadprintError
from headprint.models.architecture import AttentionLayout
from headprint.patterns.capture import ScoreRecorder
from headprint.patterns.tiled_attention import TiledAbsAttention, TileSpec

__all__ = ["ABS_ATTENTION", "abs_method_hooks", "check_abs_supported",
           "UnsupportedAttentionError"]

ABS_ATTENTION = "headprint_abs"
# Attribute of an attention module holding its _AbsCall while abs_method_hooks runs.
_CALL_ATTR = "_headprint_abs_call"


@dataclass(frozen=True)
class _AbsCall:
    """Settings of one :func:`abs_method_hooks` call, as one attention module sees them."""

    recorder: ScoreRecorder
    layer: int
    block: int | None


class UnsupportedAttentionError(HeadprintError, ValueError):
    """The attention call uses a feature the tiled ``abs`` backward does not implement, or the
    family computes attention inline instead of through transformers' attention interface."""


def check_abs_supported(layout: AttentionLayout) -> None:
    """Refuse ``abs`` on a family whose attention bypasses ``AttentionInterface``.

    ``abs`` swaps in its recording attention through that interface; Falcon and BLOOM compute
    attention inline, so the swap would never run and no score would be recorded.

    Raises:
        UnsupportedAttentionError: naming the family and the method that works.
    """
    if not layout.interface:
        raise UnsupportedAttentionError(
            f"method 'abs' is not supported for {layout.model_type}: its attention is computed "
            f"inline in the model's code, not through transformers' AttentionInterface, so "
            f"headprint cannot recompute its attention probabilities; use method 'paper', "
            f"which reads the heads' outputs and works for {layout.model_type}")


def _sdpa_forward(module, scaling: float, is_causal: bool | None, kwargs: dict):
    """The model's own SDPA call, as a ``(q, k, v, mask) -> [B, T, H, D]`` closure."""
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    def run(query, key, value, mask):
        output, _ = sdpa_attention_forward(module, query, key, value, mask, dropout=0.0,
                                           scaling=scaling, is_causal=is_causal, **kwargs)
        return output

    return run


def _abs_attention(module, query, key, value, attention_mask, scaling=None, dropout=0.0,
                   softcap=None, sliding_window=None, is_causal=None, **kwargs):
    """Same signature and result as ``sdpa_attention_forward``: ``([B, T, H, D], None)``.

    ``query`` ``[B, H, T, D]``; ``key``, ``value`` ``[B, Hkv, S, D]``; ``attention_mask``
    None or ``[B|1, 1, T, S]`` from ``sdpa_mask``.

    Raises:
        UnsupportedAttentionError: logit soft-capping (gemma2-style ``softcap``), or
            dropout (patterns are computed in eval mode).
    """
    if softcap is not None:
        raise UnsupportedAttentionError(
            f"method 'abs' does not support attention-logit soft-capping (softcap={softcap}, "
            f"{type(module).__name__}); use method 'paper', which works with any attention "
            f"kernel, or load the model with attn_logit_softcapping=None")
    if dropout:
        raise UnsupportedAttentionError(
            "method 'abs' needs attention dropout off: put the model in eval mode")
    if scaling is None:
        scaling = float(query.shape[-1]) ** -0.5
    causal = bool(is_causal if is_causal is not None else getattr(module, "is_causal", True))
    forward = _sdpa_forward(module, scaling, is_causal, kwargs)
    call: _AbsCall | None = getattr(module, _CALL_ATTR, None)
    needs_grad = torch.is_grad_enabled() and (
        query.requires_grad or key.requires_grad or value.requires_grad)
    if call is None or not needs_grad:
        return forward(query, key, value, attention_mask), None
    recorder, layer = call.recorder, call.layer

    def sink(scores: torch.Tensor) -> None:
        recorder.record(layer, scores)

    spec = TileSpec(scaling=float(scaling), causal=causal, window=sliding_window,
                    block=call.block, sink=sink,
                    query_mask=recorder.token_mask[:, : query.shape[2]].to(query.device),
                    forward=forward)
    output = TiledAbsAttention.apply(query, key, value, attention_mask, spec)
    return output, None


def _register() -> None:
    from transformers import AttentionInterface
    from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, sdpa_mask

    AttentionInterface.register(ABS_ATTENTION, _abs_attention)
    ALL_MASK_ATTENTION_FUNCTIONS.register(ABS_ATTENTION, sdpa_mask)


@contextmanager
def abs_method_hooks(model: torch.nn.Module, recorder: ScoreRecorder,
                     block: int | None = None) -> Iterator[None]:
    """Switch ``model`` to the recording attention for the duration, then restore it.

    Scores land in ``recorder`` (``record(layer, [B, H])``) during backward. ``block`` fixes
    the queries per backward tile (default: 64, fewer when ``B·H·T`` is large). The settings
    belong to this call only (see the module docstring); other models, and this model after
    the ``with`` block, are unaffected.

    Raises:
        UnsupportedAttentionError: the family bypasses the attention interface.
        HeadprintError: the model is already inside another ``abs_method_hooks``.
    """
    check_abs_supported(recorder.layout)
    modules = recorder.layout.attentions
    if any(hasattr(module, _CALL_ATTR) for module in modules):
        raise HeadprintError("abs_method_hooks is already active on this model; one "
                             "recording at a time per model")
    _register()
    previous = model.config._attn_implementation
    model.set_attn_implementation(ABS_ATTENTION)
    try:
        for index, module in enumerate(modules):
            setattr(module, _CALL_ATTR, _AbsCall(recorder, index, block))
        yield
    finally:
        for module in modules:
            if hasattr(module, _CALL_ATTR):
                delattr(module, _CALL_ATTR)
        model.set_attn_implementation(previous)
