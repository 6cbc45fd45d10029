"""Length-grouped batches: samples of similar length share a batch, padded only to its longest.

Samples are encoded sequences (``input_ids`` and unshifted ``labels`` with -100 where no loss
is taken). Padding goes on the right: under causal attention right padding never changes
what the real tokens see, and no loss is taken on pads.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch

__all__ = ["Batch", "length_grouped_batches", "collate"]


@dataclass
class Batch:
    """One padded batch.

    Attributes:
        indices: positions of these samples in the caller's list, ``[B]``.
        input_ids: ``[B, T]`` long, right-padded.
        attention_mask: ``[B, T]`` long, 1 on real tokens.
        labels: ``[B, T]`` long, unshifted, -100 where no loss is taken (prompt, pads).
    """

    indices: list[int]
    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    labels: torch.Tensor

    def to(self, device: torch.device | str) -> "Batch":
        return Batch(self.indices, self.input_ids.to(device), self.attention_mask.to(device),
                     self.labels.to(device))

    @property
    def num_tokens(self) -> int:
        return int(self.attention_mask.sum())


def collate(samples: Sequence, indices: Sequence[int], pad_id: int) -> Batch:
    """Right-pad ``samples[i]`` for ``i`` in ``indices`` to the longest among them."""
    chosen = [samples[i] for i in indices]
    width = max(len(s.input_ids) for s in chosen)
    input_ids = torch.full((len(chosen), width), pad_id, dtype=torch.long)
    labels = torch.full((len(chosen), width), -100, dtype=torch.long)
    mask = torch.zeros((len(chosen), width), dtype=torch.long)
    for row, sample in enumerate(chosen):
        n = len(sample.input_ids)
        input_ids[row, :n] = torch.tensor(sample.input_ids, dtype=torch.long)
        labels[row, :n] = torch.tensor(sample.labels, dtype=torch.long)
        mask[row, :n] = 1
    # Position 0 has no preceding token to predict it from: never a target.
    labels[:, 0] = -100
    return Batch(list(indices), input_ids, mask, labels)


def length_grouped_batches(samples: Sequence, batch_size: int, pad_id: int) -> list[Batch]:
    """Sort by length (longest first, ties by index) and cut into batches of ``batch_size``.

    Longest first makes an out-of-memory failure happen on the first batch, not the last.
    """
    if batch_size < 1:
        raise ValueError(f"batch size must be at least 1, got {batch_size}")
    order = sorted(range(len(samples)), key=lambda i: (-len(samples[i].input_ids), i))
    return [collate(samples, order[i:i + batch_size], pad_id)
            for i in range(0, len(order), batch_size)]
