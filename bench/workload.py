"""What the benchmark feeds the model: real GSM8K rows, tokenized by headprint's own contract.

Two shapes of workload:

- :func:`fixed_batch` — exactly ``B × T`` tokens, no padding, for the per-shape table and the
  length sweep. Row ``b`` is a few-shot GSM8K prompt: whole worked examples (question and
  solution) followed by a final question, whose solution is the response (the only tokens
  with a loss). The context is cut from the left to make the row exactly ``T`` tokens, so
  the response is the last ~60–200 tokens whatever ``T`` is, as in few-shot use.
- :func:`gsm8k_samples` — the first ``n`` rows of the ``gsm8k`` task, one sample each
  (question → solution), as ``headprint patterns --data gsm8k`` sees them; used end to end.

Batches are deterministic (fixed row order, fixed seed), so every variant and every process
sees the same tokens.
"""
from __future__ import annotations

from functools import lru_cache

import torch

from headprint.patterns.batching import Batch

__all__ = ["gsm8k_samples", "fixed_batch", "padded_batches"]


@lru_cache(maxsize=4)
def _rows(limit: int) -> tuple:
    from headprint.data import load_data

    return tuple(load_data("gsm8k", limit=limit).rows)


def gsm8k_samples(tokenizer, n: int, max_length: int = 1024) -> list:
    """``n`` GSM8K samples encoded by :func:`headprint.data.encode_rows` (no sample dropped)."""
    from headprint.data import encode_rows

    samples = encode_rows(list(_rows(n)), tokenizer, max_length)
    return [s for s in samples if s.n_target > 0]


def fixed_batch(tokenizer, batch: int, length: int, offset: int = 0) -> Batch:
    """A ``[batch, length]`` batch of few-shot GSM8K rows (see the module docstring).

    ``offset`` picks other questions (the gate and the timed runs may use different ones).
    """
    pool = gsm8k_samples(tokenizer, 256, max_length=None)
    input_ids = torch.empty(batch, length, dtype=torch.long)
    labels = torch.full((batch, length), -100, dtype=torch.long)
    for row in range(batch):
        target = pool[(offset + row * 37) % len(pool)]
        ids, labs = list(target.input_ids), list(target.labels)
        shot = offset + row * 37 + 1
        while len(ids) < length:  # prepend whole worked examples as context
            example = pool[shot % len(pool)]
            ids = list(example.input_ids) + ids
            labs = [-100] * len(example.input_ids) + labs
            shot += 1
        ids, labs = ids[-length:], labs[-length:]
        if all(label == -100 for label in labs):
            raise ValueError(f"length {length} leaves no response token")
        input_ids[row] = torch.tensor(ids)
        labels[row] = torch.tensor(labs)
    labels[:, 0] = -100
    return Batch(list(range(batch)), input_ids, torch.ones_like(input_ids), labels)


def padded_batches(samples: list, batch_size: int, length: int, pad_id: int) -> list[Batch]:
    """The released script's batching: samples in order, every one right-padded to ``length``.

    Samples longer than ``length`` are cut from the right, as the script's tokenizer call
    (``padding="max_length", truncation=True``) does.
    """
    batches = []
    for start in range(0, len(samples), batch_size):
        chosen = samples[start:start + batch_size]
        input_ids = torch.full((len(chosen), length), pad_id, dtype=torch.long)
        labels = torch.full((len(chosen), length), -100, dtype=torch.long)
        mask = torch.zeros((len(chosen), length), dtype=torch.long)
        for row, sample in enumerate(chosen):
            n = min(length, len(sample.input_ids))
            input_ids[row, :n] = torch.tensor(sample.input_ids[:n])
            labels[row, :n] = torch.tensor(sample.labels[:n])
            mask[row, :n] = 1
        labels[:, 0] = -100
        batches.append(Batch(list(range(start, start + len(chosen))), input_ids, mask, labels))
    return batches
