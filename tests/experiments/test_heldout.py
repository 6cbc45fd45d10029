"""Held-out loss equals Hugging Face's own loss on the response tokens, batched or not."""
from __future__ import annotations

import pytest
import torch


def test_heldout_loss_matches_hf_loss(tiny_model_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from headprint.data import encode_rows
    from headprint.experiments.heldout import heldout_loss

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    rows = [{"id": f"r{i}", "prompt": "Question: " + "two " * i + "plus two?\n",
             "completion": "Answer: four" + "!" * i, "meta": {}} for i in range(5)]
    result = heldout_loss(model, tokenizer, rows, max_length=64, batch_size=3)
    assert result["n"] == 5 and result["n_excluded"] == 0
    for row, sample in zip(rows, encode_rows(rows, tokenizer, 64)):
        with torch.no_grad():
            expected = model(input_ids=torch.tensor([sample.input_ids]),
                             labels=torch.tensor([sample.labels])).loss.item()
        assert result["per_row"][row["id"]] == pytest.approx(expected, rel=1e-4)
    assert result["loss"] == pytest.approx(sum(result["per_row"].values()) / 5)
    assert model.training is False
