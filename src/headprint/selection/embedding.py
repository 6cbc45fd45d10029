"""Representation similarity, the cheap baseline of pattern selection (as in RDS+).

Each row ``x`` (prompt and response, encoded under headprint's one tokenization contract,
:func:`headprint.data.encode_rows`) is embedded as the mean of the model's final hidden
states over its real tokens: ``e(x) = (1/T_x) Σ_t h_L(x)_t``, ``h_L`` the last layer's
output (after the final norm, what the LM head reads), ``T_x`` the number of non-padding
tokens. Forward only, no gradient. A pool row's score is the cosine similarity of ``e(x)``
with the target set's mean embedding ``ē = (1/|D|) Σ_{x∈D} e(x)``.

Contract: rows keep their order; padding never changes an embedding (right padding under
causal attention, pads excluded from the mean); every row is embedded, including rows whose
response a ``max_length`` cut away (they still have tokens), so no row is dropped.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import torch

from headprint.selection.provenance import SelectionError

__all__ = ["RowEmbeddings", "embed_rows", "cosine_rows", "final_hidden_states"]


@dataclass
class RowEmbeddings:
    """Mean-pooled final hidden states of rows.

    Attributes:
        ids: row ids, in the caller's order (``N`` of them).
        vectors: float64 ``[N, D]``, ``D`` the model's hidden size.
        n_truncated: rows longer than ``max_length`` (embedded from their first tokens).
        seconds: wall time of the forward passes (model loading excluded).
    """

    ids: list[str]
    vectors: np.ndarray
    n_truncated: int = 0
    seconds: float = 0.0

    def mean(self) -> np.ndarray:
        """``[D]``: the set's mean embedding."""
        return self.vectors.mean(axis=0)


def final_hidden_states(model: Any, input_ids: torch.Tensor,
                        attention_mask: torch.Tensor) -> torch.Tensor:
    """``[B, T, D]`` output of the model's last layer (after its final norm).

    Uses the Hugging Face ``base_model`` (the decoder without the LM head) when the model
    has one, else ``output_hidden_states``; both are the unmodified model's own API.
    """
    base = getattr(model, "base_model", None)
    if base is not None and base is not model:
        return base(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
    out = model(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True)
    return out.hidden_states[-1]


@torch.no_grad()
def embed_rows(model: Any, tokenizer: Any, rows: Sequence[dict], max_length: int = 1024,
               batch_size: int = 8, prompt_format: str = "raw") -> RowEmbeddings:
    """Embed ``rows`` (dicts with ``id`` and the text fields) with ``model``, tokenized in the
    resolved ``prompt_format`` (``raw`` or ``chat``).

    Returns:
        :class:`RowEmbeddings` with ``vectors [len(rows), hidden_size]`` in row order.

    Raises:
        SelectionError: no rows, duplicate ids, or a non-finite embedding.
    """
    from headprint.data import encode_rows
    from headprint.patterns.batching import length_grouped_batches

    if not rows:
        raise SelectionError("no rows to embed")
    ids = [str(r["id"]) for r in rows]
    if len(set(ids)) != len(ids):
        raise SelectionError("rows to embed must have unique ids")
    started = time.perf_counter()
    samples = encode_rows(list(rows), tokenizer, max_length, prompt_format)
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    vectors: list[np.ndarray | None] = [None] * len(samples)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    try:
        for batch in length_grouped_batches(samples, batch_size, pad):
            batch = batch.to(device)
            hidden = final_hidden_states(model, batch.input_ids, batch.attention_mask).float()
            mask = batch.attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            for i, vec in zip(batch.indices, pooled.double().cpu().numpy()):
                vectors[i] = vec
    finally:
        model.train(was_training)
    matrix = np.stack(vectors)  # every index is filled: the batches cover all samples
    if not np.isfinite(matrix).all():
        bad = [ids[i] for i in np.flatnonzero(~np.isfinite(matrix).all(1))]
        raise SelectionError(f"non-finite embeddings for rows {', '.join(bad[:5])}")
    return RowEmbeddings(ids, matrix, sum(1 for s in samples if s.truncated),
                         time.perf_counter() - started)


def cosine_rows(rows: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Cosine similarity of each row of ``rows [N, D]`` with ``target [D]`` (float64).

    ``nan`` where a row or the target is the zero vector.
    """
    rows = np.asarray(rows, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    denom = np.linalg.norm(rows, axis=1) * float(np.linalg.norm(target))
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = (rows @ target) / denom
    cos[denom == 0] = np.nan
    return np.clip(cos, -1.0, 1.0)
