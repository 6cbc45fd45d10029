"""Per-row response losses of a model under many head-ablation settings, and the first-order
estimate of every head's effect.

The loss of a row is the one ``--loss sample`` patterns use: the mean cross-entropy over
the row's response tokens (prompt and pads masked). :func:`ablation_losses` evaluates many
ablation settings ("configurations": a boolean ``[L, H]`` mask of ablated heads each) on
the same rows, several settings per forward by repeating the rows with different gates,
and runs only the layers from the lowest ablated one on (the layers below are replayed
from the unablated pass over the same rows).
"""
from __future__ import annotations

import inspect
from typing import Sequence

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from headprint.models.architecture import AttentionLayout
from headprint.patterns.batching import Batch
from headprint.patterns.capture import frozen_parameters, grad_entry_point
from headprint.validation.hooks import (first_order_hooks, head_gates, recorded_layer_outputs,
                                        replayed_layers)

__all__ = ["per_row_loss", "ablation_losses", "first_order", "vocabulary_size",
           "copies_within_budget", "LOGITS_BUDGET_BYTES"]

# Logits of one stacked forward are held at once; 2 GiB keeps SmolLM2 (49k vocabulary) at
# its 32 rows per forward and a 262k-vocabulary model at a few rows.
LOGITS_BUDGET_BYTES = 2 * 1024 ** 3


def per_row_loss(model: torch.nn.Module, input_ids: torch.Tensor,
                 attention_mask: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean response-token cross-entropy of each row: ``[B]``, float32 (float64 for a
    float64 model).

    ``labels`` are unshifted (``-100`` where no loss is taken). Logits are computed only
    from the first target position on, as in :func:`headprint.patterns.scoring.
    response_loss` (whose ``sample`` scaling is the sum of these values).
    """
    targets = labels != -100
    if not bool(targets.any(dim=1).all()):
        raise ValueError("a row has no target token")
    length = labels.shape[1]
    first = int(targets.float().argmax(dim=1).min())
    keep = length - first + 1
    kwargs = {"input_ids": input_ids, "attention_mask": attention_mask, "use_cache": False}
    if "logits_to_keep" in inspect.signature(model.forward).parameters:
        logits = model(**kwargs, logits_to_keep=keep).logits
    else:
        logits = model(**kwargs).logits[:, -keep:]
    logits = logits[:, :-1]
    logits = logits if logits.dtype == torch.float64 else logits.float()
    shifted = labels[:, length - keep + 1:]
    # Row by row: cross_entropy's log-softmax is a full copy of the logits it is given, and
    # with a large vocabulary (Gemma-3: 262k) a copy of a whole batch's logits is gigabytes.
    token = torch.stack([F.cross_entropy(row_logits, row_labels, ignore_index=-100,
                                         reduction="none")
                         for row_logits, row_labels in zip(logits, shifted)])
    return token.sum(dim=1) / (shifted != -100).sum(dim=1)  # float64 for a float64 model


def vocabulary_size(model: torch.nn.Module) -> int:
    """Width of the model's logits (its output embedding's rows)."""
    head = model.get_output_embeddings()
    if head is not None and getattr(head, "weight", None) is not None:
        return int(head.weight.shape[0])
    return int(model.config.get_text_config().vocab_size)


def copies_within_budget(rows: int, length: int, vocab: int, wanted: int,
                         budget_bytes: int = LOGITS_BUDGET_BYTES) -> int:
    """How many copies of a batch of ``rows`` rows one forward may stack: at most
    ``wanted``, and few enough that their float32 logits over ``length`` positions fit in
    ``budget_bytes`` (at least 1: a single batch is never split)."""
    per_copy = rows * length * vocab * 4
    return max(1, min(wanted, budget_bytes // max(per_copy, 1)))


def _start_layer(mask: torch.Tensor) -> int:
    layers = mask.any(dim=1).nonzero()
    return int(layers[0]) if len(layers) else mask.shape[0]


@torch.no_grad()
def ablation_losses(model: torch.nn.Module, layout: AttentionLayout, batches: Sequence[Batch],
                    masks: torch.Tensor, *, replacement: torch.Tensor | None = None,
                    rows_per_forward: int = 32, reuse_prefix: bool = True,
                    progress: bool = True, description: str = "ablation",
                    logits_budget_bytes: int = LOGITS_BUDGET_BYTES) -> torch.Tensor:
    """Per-row losses under each ablation setting.

    Args:
        batches: the rows, as padded batches (``Batch.indices`` number the rows 0..N-1).
        masks: bool ``[C, L, H]``; ``masks[c, l, h]`` ablates head ``h`` of layer ``l``.
        replacement: ``[L, H*D]`` head-output means, or None to ablate to zero.
        rows_per_forward: rows in one forward; settings are stacked up to this many rows,
            and fewer when their logits would exceed :data:`LOGITS_BUDGET_BYTES` (a batch
            is never split: lower the batch size for a model with a very large vocabulary).

    Returns:
        float32 ``[C, N]``: loss of row ``n`` under setting ``c``.
    """
    device = next(model.parameters()).device
    n_rows = sum(len(b.indices) for b in batches)
    n_set = masks.shape[0]
    out = torch.full((n_set, n_rows), float("nan"))
    clean = [c for c in range(n_set) if not bool(masks[c].any())]
    ablated = sorted((c for c in range(n_set) if bool(masks[c].any())),
                     key=lambda c: (-_start_layer(masks[c]), c))
    starts = {c: _start_layer(masks[c]) for c in ablated}
    vocab = vocabulary_size(model)
    bar = tqdm(total=n_rows * (len(ablated) + 1), unit="row", desc=description,
               disable=not progress, dynamic_ncols=True, smoothing=0.1)
    was_training = model.training
    model.eval()
    try:
        for batch in batches:
            batch = batch.to(device)
            size = len(batch.indices)
            recorded: list = []
            if reuse_prefix:
                with recorded_layer_outputs(model, layout, recorded):
                    base = per_row_loss(model, batch.input_ids, batch.attention_mask,
                                        batch.labels)
            else:
                base = per_row_loss(model, batch.input_ids, batch.attention_mask, batch.labels)
            for c in clean:
                out[c, batch.indices] = base.cpu()
            bar.update(size)
            targets = batch.labels != -100
            keep = batch.labels.shape[1] - int(targets.float().argmax(dim=1).min())
            per_forward = copies_within_budget(size, keep, vocab,
                                               max(1, rows_per_forward // size),
                                               logits_budget_bytes)
            for lo in range(0, len(ablated), per_forward):
                chunk = ablated[lo:lo + per_forward]
                copies = len(chunk)
                gates = (~masks[chunk]).float().repeat_interleave(size, dim=0)
                start = min(starts[c] for c in chunk) if reuse_prefix else 0
                with head_gates(layout, gates, replacement), \
                        replayed_layers(model, layout, recorded, start, copies):
                    losses = per_row_loss(model, batch.input_ids.repeat(copies, 1),
                                          batch.attention_mask.repeat(copies, 1),
                                          batch.labels.repeat(copies, 1))
                for j, c in enumerate(chunk):
                    out[c, batch.indices] = losses[j * size:(j + 1) * size].cpu()
                bar.update(size * copies)
            del recorded
    finally:
        bar.close()
        model.train(was_training)
    return out


def first_order(model: torch.nn.Module, layout: AttentionLayout, batches: Sequence[Batch],
                replacement: torch.Tensor | None = None, progress: bool = True
                ) -> dict[str, torch.Tensor]:
    """One forward and backward per batch: per row and head, ``inner`` = ``Σ_t ⟨O_t,
    ∂ℓ/∂O_t⟩`` (its absolute value is the head score) and ``estimate`` = ``Σ_t ⟨r − O_t,
    ∂ℓ/∂O_t⟩``, the first-order change of the row's loss when the head is ablated (to
    ``r``; ``−inner`` for zero ablation). Also ``loss``, the rows' unablated losses.

    Returns:
        ``{"inner": [N, L, H], "estimate": [N, L, H], "loss": [N]}`` float32.
    """
    device = next(model.parameters()).device
    n_rows = sum(len(b.indices) for b in batches)
    shape = (n_rows, layout.num_layers, layout.num_heads)
    result = {"inner": torch.empty(shape), "estimate": torch.empty(shape),
              "loss": torch.empty(n_rows)}
    bar = tqdm(total=n_rows, unit="row", desc="first-order", disable=not progress,
               dynamic_ncols=True)
    was_training = model.training
    model.eval()
    try:
        for batch in batches:
            batch = batch.to(device)
            got: dict[str, torch.Tensor] = {}
            with frozen_parameters(model), grad_entry_point(model), \
                    first_order_hooks(layout, batch.attention_mask.bool(), replacement, got), \
                    torch.enable_grad():
                losses = per_row_loss(model, batch.input_ids, batch.attention_mask,
                                      batch.labels)
                losses.sum().backward()
            for key in ("inner", "estimate"):
                if bool(torch.isnan(got[key]).any()):
                    raise RuntimeError("no gradient reached some layer: is every target masked?")
                result[key][batch.indices] = got[key]
            result["loss"][batch.indices] = losses.detach().float().cpu()
            bar.update(len(batch.indices))
    finally:
        bar.close()
        model.train(was_training)
    return result
