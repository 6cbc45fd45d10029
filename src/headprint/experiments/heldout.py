"""Held-out loss: the mean response-token cross-entropy of a model on test rows.

A 135M-parameter model solves few GSM8K-as-Python problems, so accuracy differences between
training arms are mostly noise at the sizes a CPU allows. The loss of the gold response is
a graded signal on the same rows and is reported beside accuracy (never instead of it).
Rows are encoded under headprint's one tokenization contract
(:func:`headprint.data.encode_rows`), so the loss is the one SFT minimises.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import torch

__all__ = ["heldout_loss"]


@torch.no_grad()
def heldout_loss(model: Any, tokenizer: Any, rows: Sequence[dict], max_length: int = 512,
                 batch_size: int = 8, prompt_format: str = "raw") -> dict[str, Any]:
    """Per-row mean response-token loss and their mean, rows encoded in the (resolved)
    ``prompt_format``.

    Returns:
        ``{"loss": mean over rows, "per_row": {id: loss}, "n": rows scored,
        "n_excluded": rows whose response was cut away entirely by ``max_length``}``.
    """
    from headprint.data import encode_rows
    from headprint.patterns.batching import length_grouped_batches

    encoded = encode_rows(list(rows), tokenizer, max_length, prompt_format)
    kept = [(row, s) for row, s in zip(rows, encoded) if s.n_target > 0]
    samples = [s for _, s in kept]
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    per_row: dict[str, float] = {}
    try:
        for batch in length_grouped_batches(samples, batch_size, tokenizer.pad_token_id):
            batch = batch.to(device)
            logits = model(input_ids=batch.input_ids,
                           attention_mask=batch.attention_mask).logits.float()
            targets = batch.labels[:, 1:]
            nll = torch.nn.functional.cross_entropy(
                logits[:, :-1].transpose(1, 2), targets, ignore_index=-100, reduction="none")
            mask = (targets != -100).float()
            means = (nll * mask).sum(1) / mask.sum(1).clamp(min=1)
            for i, value in zip(batch.indices, means.tolist()):
                per_row[str(kept[i][0]["id"])] = value
    finally:
        model.train(was_training)
    values = list(per_row.values())
    return {"loss": sum(values) / len(values) if values else math.nan, "per_row": per_row,
            "n": len(values), "n_excluded": len(rows) - len(kept)}
