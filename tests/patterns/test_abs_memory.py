"""The tiled ``abs`` backward: exact scores and gradients, and bounded memory.

Exactness is checked against brute force (eager attention with the probabilities' gradient
retained) in float64, under grouped-query attention, padding, sliding windows, boolean,
additive and absent masks. The memory bound is checked structurally: a dispatch mode
records every tensor created while the backward runs, and the largest must stay below
``H·T²`` elements (one layer's full attention matrix for one sample).
"""
from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from headprint.patterns.tiled_attention import TiledAbsAttention, TileSpec, tile_block_size

SCALE = 0.3


def _allowed(length: int, window: int | None, pad_from: int | None, batch: int = 2):
    rows, cols = torch.arange(length)[:, None], torch.arange(length)[None, :]
    allowed = cols <= rows
    if window:
        allowed &= rows - cols < window
    allowed = allowed[None, None].expand(batch, 1, length, length).clone()
    if pad_from is not None:
        allowed[1, :, :, pad_from:] = False
    return allowed


def _eager(q, k, v, allowed):
    """Brute force: full ``[B, H, T, S]`` probabilities, ``[B, T, H, D]`` output."""
    groups = q.shape[1] // k.shape[1]
    k, v = k.repeat_interleave(groups, 1), v.repeat_interleave(groups, 1)
    logits = (q @ k.transpose(-1, -2)) * SCALE
    logits = logits.masked_fill(~allowed, torch.finfo(logits.dtype).min)
    # A row that sees no key gets probabilities 0, as in SDPA (eager would make it uniform).
    probs = torch.softmax(logits, dim=-1) * allowed.any(dim=-1, keepdim=True)
    return (probs @ v).transpose(1, 2), probs


def _inputs(batch=2, heads=6, kv_heads=2, length=37, dim=8):
    gen = torch.Generator().manual_seed(0)
    make = lambda *shape: torch.randn(*shape, generator=gen, dtype=torch.float64)  # noqa: E731
    return (make(batch, heads, length, dim).requires_grad_(),
            make(batch, kv_heads, length, dim).requires_grad_(),
            make(batch, kv_heads, length, dim).requires_grad_(),
            make(batch, length, heads, dim))


@pytest.mark.parametrize("window", [None, 5])
@pytest.mark.parametrize("mask_kind", ["none", "bool", "float"])
@pytest.mark.parametrize("block", [1, 5, 64])
def test_tiled_backward_is_exact(window, mask_kind, block):
    q, k, v, weight = _inputs()
    length = q.shape[2]
    pad_from = None if mask_kind == "none" else 30   # implicit masks carry no padding
    allowed = _allowed(length, window, pad_from)
    out, probs = _eager(q, k, v, allowed)
    probs.retain_grad()
    (out * weight).sum().backward()
    want_scores = (probs * probs.grad).abs().sum(dim=(-1, -2)).detach()
    want = [t.grad.clone() for t in (q, k, v)]
    for t in (q, k, v):
        t.grad = None

    mask = {"none": None, "bool": allowed,
            "float": torch.zeros(allowed.shape, dtype=torch.float64).masked_fill(
                ~allowed, torch.finfo(torch.float64).min)}[mask_kind]
    got = {}
    spec = TileSpec(scaling=SCALE, causal=True, window=window, block=block,
                    sink=lambda s: got.setdefault("scores", s), query_mask=None,
                    forward=lambda q_, k_, v_, m_: _eager(q_, k_, v_, allowed)[0])
    out = TiledAbsAttention.apply(q, k, v, mask, spec)
    (out * weight).sum().backward()
    scale = float(want_scores.abs().max())
    assert torch.allclose(got["scores"].double(), want_scores, rtol=1e-5, atol=1e-6 * scale)
    for tensor, expected in zip((q, k, v), want):
        assert torch.allclose(tensor.grad, expected, rtol=1e-5,
                              atol=1e-6 * float(expected.abs().max()))


def test_block_size_shrinks_with_batch_heads_and_length():
    assert tile_block_size(1, 9, 256) == 64
    assert 16 <= tile_block_size(8, 32, 8192) < 64
    assert tile_block_size(1, 9, 256, block=7) == 7


class _LargestTensor(TorchDispatchMode):
    """Records the element count of every tensor an op returns."""

    def __init__(self):
        super().__init__()
        self.largest = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        result = func(*args, **(kwargs or {}))
        for value in (result if isinstance(result, (tuple, list)) else (result,)):
            if isinstance(value, torch.Tensor):
                self.largest = max(self.largest, value.numel())
        return result


def test_abs_backward_never_holds_an_attention_matrix():
    """On a real (tiny) model: the largest tensor in backward is < H·T² (B = 1)."""
    from transformers import AutoModelForCausalLM, LlamaConfig

    from headprint.models.architecture import attention_layout
    from headprint.patterns.abs_attention import abs_method_hooks
    from headprint.patterns.batching import collate
    from headprint.patterns.capture import ScoreRecorder, frozen_parameters, grad_entry_point
    from headprint.patterns.scoring import response_loss

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=64,
                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=1024)
    model = AutoModelForCausalLM.from_config(config, attn_implementation="sdpa").eval()
    length, heads = 512, 4
    ids = torch.randint(0, 64, (length,)).tolist()
    sample = SimpleNamespace(input_ids=ids, labels=[-100] * 10 + ids[10:])
    batch = collate([sample], [0], pad_id=0)
    layout = attention_layout(model)
    recorder = ScoreRecorder(layout, batch.attention_mask.bool())
    watch = _LargestTensor()
    with frozen_parameters(model), grad_entry_point(model), \
            abs_method_hooks(model, recorder), torch.enable_grad():
        value = response_loss(model, batch, "sample")
        with watch:
            value.backward()
    assert torch.isfinite(recorder.result()).all()
    # The logits' gradient [T, V] and the MLP activations are far below H·T² here.
    assert watch.largest < heads * length * length / 2, watch.largest
    # One tile is B·H·block·T; nothing larger than a few tiles' worth is ever created.
    assert watch.largest <= heads * 64 * length

