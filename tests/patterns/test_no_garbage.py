"""Scoring a batch leaves no reference cycle behind.

A hook closure that holds the tensor it is registered on forms a cycle; reference counting
cannot free it, so each batch's head outputs (``[B, T, H·D]`` per layer) would wait for
Python's cyclic collector, which runs rarely for long-lived objects. Over hundreds of
batches that grows the process by gigabytes. The test counts GC-tracked tensors with the
collector switched off, so garbage that only the collector could free is counted.
"""
from __future__ import annotations

import gc

import pytest
import torch

from headprint.models.architecture import attention_layout
from headprint.patterns.batching import collate
from headprint.patterns.scoring import score_batch
from tests.tiny_models import random_samples, tiny_model


def _tensors() -> int:
    # type(), not isinstance(): isinstance reads __class__, which some deprecated objects
    # that gc tracks answer with a warning.
    return sum(1 for obj in gc.get_objects() if issubclass(type(obj), torch.Tensor))


@pytest.mark.parametrize("method", ["paper", "abs"])
def test_batches_are_freed_without_the_cyclic_collector(method):
    model = tiny_model("llama")
    layout = attention_layout(model)
    batch = collate(random_samples(4, max_len=30), [0, 1, 2, 3], pad_id=0)
    score_batch(model, layout, batch, method, "sample")  # first call: lazy set-up
    gc.collect()
    gc.disable()
    try:
        before = _tensors()
        for _ in range(4):
            score_batch(model, layout, batch, method, "sample")
        after = _tensors()
    finally:
        gc.enable()
    assert after <= before, f"{after - before} tensors left for the cyclic collector"
