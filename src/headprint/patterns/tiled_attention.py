"""Memory-bounded attention for the ``abs`` method: SDPA forward, tiled recomputing backward.

``abs`` needs ``Σ_ij |A_ij · dℓ/dA_ij|`` per (sample, head), i.e. every product of an
attention probability with its gradient. Holding ``A`` for every layer costs ``L·H·T²``
floats. :class:`TiledAbsAttention` instead

- runs the forward with the same SDPA call the model would make anyway (so nothing
  ``T×T`` is kept: only ``q``, ``k``, ``v`` and the mask are saved), and
- in the backward, walks over blocks of ``block`` queries; for each block it recomputes the
  probabilities ``A`` (``[B, H, block, w]``, ``w`` = the keys the block can see), forms
  ``dA = dO·Vᵀ``, adds ``Σ |A ⊙ dA|`` to the head scores, and returns the exact gradients
  ``dV += Aᵀ dO``, ``dS = A ⊙ (dA − rowsum(A ⊙ dA))``, ``dQ = scale · dS K``,
  ``dK += scale · dSᵀ Q``. All of it in float32 at least, whatever the model dtype.

The largest tensor alive at once is one tile of ``B·H·block·w`` floats (``w ≤ T``), never
``H·T²`` for ``T > block``. Grouped-query attention is handled by stacking the query heads of
one key/value head along the query axis, so ``K`` and ``V`` are never repeated. Masks: the
model's own mask (boolean or additive float, ``[B|1, 1, T, S]``, padding and sliding windows
included) sliced per block, or — when the model passes none — causality and
``sliding_window`` built per block. Keys a block cannot see (the causal future, outside a
window) are skipped, so the backward costs about half of a full ``T×T`` pass.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

__all__ = ["TileSpec", "TiledAbsAttention", "tile_block_size"]

DEFAULT_BLOCK = 64
"""Queries per tile: enough rows for efficient matmuls, few enough that a tile's elementwise
passes stay in cache (measured on CPU: 32–128 within noise, 256 clearly slower)."""
TILE_BUDGET = 1 << 22
"""Upper bound on the elements of one ``[B, H, block, S]`` tile (16 MB in float32)."""


@dataclass
class TileSpec:
    """Everything about one attention call the backward needs besides tensors.

    Attributes:
        scaling: multiplier of ``q·k`` before the softmax.
        causal: apply causality when ``mask`` is None.
        window: sliding-window size (key ``j`` visible from query ``i`` iff ``i − j < window``)
            when ``mask`` is None; None for full attention.
        block: queries per tile.
        sink: called once per call with the ``[B, H]`` float32 scores (may be None).
        query_mask: ``[B, T]`` bool, real query tokens; None counts every row.
        forward: ``(q, k, v, mask) -> [B, T, H, D]``, the model's own SDPA call.
    """

    scaling: float
    causal: bool
    window: int | None
    block: int
    sink: Callable[[torch.Tensor], None] | None
    query_mask: torch.Tensor | None
    forward: Callable[..., torch.Tensor]


def tile_block_size(batch: int, heads: int, keys: int, block: int | None = None) -> int:
    """Queries per tile: ``block`` if given, else ``DEFAULT_BLOCK`` within ``TILE_BUDGET``."""
    if block is not None:
        return max(1, int(block))
    fit = TILE_BUDGET // max(1, batch * heads * keys)
    return int(max(16, min(DEFAULT_BLOCK, fit)))


def _allowed(mask: torch.Tensor) -> torch.Tensor:
    """Boolean view of a boolean or additive float mask (True = may attend)."""
    if mask.dtype == torch.bool:
        return mask
    return mask > torch.finfo(mask.dtype).min / 2


def _key_range(spec: TileSpec, mask: torch.Tensor | None, q0: int, q1: int,
               keys: int) -> tuple[int, int]:
    """The smallest key range ``[lo, hi)`` holding every key queries ``q0..q1-1`` can see."""
    if mask is None:
        hi = min(keys, q1) if spec.causal else keys
        lo = max(0, q0 - spec.window + 1) if spec.window else 0
        return lo, max(hi, lo + 1)
    visible = _allowed(mask[..., q0:q1, :]).flatten(0, -2).any(dim=0).nonzero()
    if visible.numel() == 0:
        return 0, keys  # fully masked block: keep every key, softmax degenerates like eager
    return int(visible[0]), int(visible[-1]) + 1


def _block_probs(spec: TileSpec, q_blk: torch.Tensor, k_rng: torch.Tensor,
                 mask: torch.Tensor | None, q0: int, q1: int, lo: int, hi: int,
                 groups: int) -> torch.Tensor:
    """Attention probabilities of one tile, ``[B, Hkv, g, bq, w]``.

    A query row that may see no key at all (a pad beyond a sliding window, a left pad) gets
    probabilities 0, as SDPA's output for it is 0.
    """
    batch, kv_heads = k_rng.shape[:2]
    # q_blk carries the scale already: no pass over the tile for it.
    logits = torch.matmul(q_blk, k_rng.transpose(-1, -2))        # [B, Hkv, g*bq, w]
    logits = logits.view(batch, kv_heads, groups, q1 - q0, hi - lo)
    floor = torch.finfo(logits.dtype).min
    dead = None
    if mask is not None:
        block_mask = mask[..., q0:q1, lo:hi]                        # [B|1, 1, bq, w]
        block_mask = block_mask.unsqueeze(2)                        # broadcast over groups
        seen = _allowed(block_mask).any(dim=-1, keepdim=True)       # [B|1, 1, 1, bq, 1]
        dead = None if bool(seen.all()) else ~seen
        if block_mask.dtype == torch.bool:
            logits.masked_fill_(~block_mask, floor)
        else:
            logits.add_(block_mask.to(logits.dtype)).clamp_(min=floor)
    elif spec.causal or spec.window:
        # Only columns near the diagonal (causal) or the window's edge can be hidden: mask
        # that strip, not the whole tile.
        spans = []
        if spec.causal:
            spans.append((max(lo, q0 + 1), hi))
        if spec.window:
            spans.append((lo, min(hi, q1 - spec.window)))
        c0 = min(a for a, b in spans if b > a) if any(b > a for a, b in spans) else hi
        c1 = max(b for a, b in spans if b > a) if any(b > a for a, b in spans) else hi
        if c1 > c0:
            rows = torch.arange(q0, q1, device=logits.device)[:, None]
            cols = torch.arange(c0, c1, device=logits.device)[None, :]
            hidden = (cols > rows) if spec.causal else torch.zeros_like(cols > rows)
            if spec.window:
                hidden |= rows - cols >= spec.window
            logits[..., c0 - lo:c1 - lo].masked_fill_(hidden, floor)
    probs = torch.softmax(logits, dim=-1)
    return probs if dead is None else probs.masked_fill_(dead, 0.0)


class TiledAbsAttention(torch.autograd.Function):
    """``apply(query, key, value, mask, spec) -> [B, T, H, D]`` attention output.

    ``query`` ``[B, H, T, D]``; ``key``, ``value`` ``[B, Hkv, S, D]`` with ``H % Hkv == 0``;
    ``mask`` None or ``[B|1, 1, T, S]`` (boolean, True = attend; or additive float).
    """

    @staticmethod
    def forward(ctx, query, key, value, mask, spec: TileSpec):  # type: ignore[override]
        ctx.spec = spec
        ctx.save_for_backward(query, key, value, mask)
        return spec.forward(query, key, value, mask)

    @staticmethod
    def backward(ctx, grad_out):  # type: ignore[override]
        spec: TileSpec = ctx.spec
        query, key, value, mask = ctx.saved_tensors
        batch, heads, length, dim = query.shape
        kv_heads, keys, value_dim = key.shape[1], key.shape[2], value.shape[-1]
        groups = heads // kv_heads
        # float32 at least (bf16/fp16 models), float64 stays float64 (exactness tests).
        f32 = torch.promote_types(query.dtype, torch.float32)
        # [B, T, H, D] -> [B, Hkv, g, T, D]: the g query heads sharing one key/value head.
        grad_out = grad_out.transpose(1, 2).reshape(batch, kv_heads, groups, length, value_dim)
        q5 = query.view(batch, kv_heads, groups, length, dim)
        k32, v32 = key.to(f32), value.to(f32)
        grad_q = torch.empty(batch, kv_heads, groups, length, dim, dtype=f32,
                             device=query.device)
        grad_k = torch.zeros(batch, kv_heads, keys, dim, dtype=f32, device=key.device)
        grad_v = torch.zeros(batch, kv_heads, keys, value_dim, dtype=f32, device=value.device)
        scores = torch.zeros(batch, kv_heads, groups, dtype=f32, device=query.device)
        rows = None if spec.query_mask is None else spec.query_mask.to(f32)
        step = tile_block_size(batch, heads, keys, spec.block)
        for q0 in range(0, length, step):
            q1 = min(length, q0 + step)
            bq = q1 - q0
            lo, hi = _key_range(spec, mask, q0, q1, keys)
            # Scaled queries: logits = (s·Q) Kᵀ and dK = s · dSᵀ Q = dSᵀ (s·Q).
            q_blk = (q5[:, :, :, q0:q1].to(f32) * spec.scaling).reshape(
                batch, kv_heads, groups * bq, dim)
            do_blk = grad_out[:, :, :, q0:q1].to(f32).reshape(batch, kv_heads, groups * bq,
                                                               value_dim)
            k_rng, v_rng = k32[:, :, lo:hi], v32[:, :, lo:hi]
            probs = _block_probs(spec, q_blk, k_rng, mask, q0, q1, lo, hi, groups)  # A
            flat_probs = probs.view(batch, kv_heads, groups * bq, hi - lo)
            # dV += Aᵀ dO (the matmul also sums over the g query heads of a kv head).
            grad_v[:, :, lo:hi] += torch.matmul(flat_probs.transpose(-1, -2), do_blk)
            prod = torch.matmul(do_blk, v_rng.transpose(-1, -2))      # dA
            prod = prod.view_as(probs).mul_(probs)                    # A ⊙ dA
            row_l1 = torch.linalg.vector_norm(prod, ord=1, dim=-1)    # [B, Hkv, g, bq]
            if rows is not None:
                row_l1 = row_l1 * rows[:, None, None, q0:q1]
            scores += row_l1.sum(dim=-1)
            # dS = A ⊙ (dA − Σ_j A ⊙ dA) = (A ⊙ dA) − A · rowsum(A ⊙ dA), in one pass.
            grad_s = prod.addcmul_(probs, prod.sum(dim=-1, keepdim=True), value=-1.0)
            grad_s = grad_s.view(batch, kv_heads, groups * bq, hi - lo)
            del probs, flat_probs
            grad_q[:, :, :, q0:q1] = torch.matmul(grad_s, k_rng).mul_(spec.scaling).view(
                batch, kv_heads, groups, bq, dim)
            grad_k[:, :, lo:hi] += torch.matmul(grad_s.transpose(-1, -2), q_blk)
            del grad_s, prod
        if spec.sink is not None:
            spec.sink(scores.reshape(batch, heads))
        grad_q = grad_q.view(batch, heads, length, dim).to(query.dtype)
        return grad_q, grad_k.to(key.dtype), grad_v.to(value.dtype), None, None
