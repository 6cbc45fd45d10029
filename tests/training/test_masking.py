"""Completion-only loss, token by token: what trl's SFTTrainer trains on is headprint's mask."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from transformers import AutoModelForCausalLM, AutoTokenizer

from headprint.data import encode_row, load_data
from headprint.training.api import _trainer_args
from headprint.training.config import SFTConfig
from headprint.training.dataset import build_training_set


def _trainer(model_dir, rows, tmp_path, max_length=128):
    from trl import SFTTrainer

    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    model = AutoModelForCausalLM.from_pretrained(str(model_dir))
    train_set = build_training_set(rows, tokenizer, max_length)
    config = SFTConfig(max_length=max_length, batch_size=len(rows))
    trainer = SFTTrainer(model=model, args=_trainer_args(config, tmp_path, 1, False),
                         train_dataset=train_set.dataset, processing_class=tokenizer)
    return trainer, tokenizer, train_set


def _check_rows(trainer, tokenizer, rows, max_length=128):
    prepared = trainer.train_dataset
    assert len(prepared) == len(rows)
    for row, example in zip(rows, prepared):
        expected = encode_row(row, tokenizer, max_length)
        assert example["input_ids"] == expected.input_ids
        assert example["labels"] == expected.labels
    return prepared


def test_prompt_completion_rows_mask_the_prompt(tiny_model_dir, rows_file, tmp_path):
    rows = load_data(str(rows_file), limit=4).rows
    trainer, tokenizer, _ = _trainer(tiny_model_dir, rows, tmp_path)
    prepared = _check_rows(trainer, tokenizer, rows)
    for row, example in zip(rows, prepared):
        n_prompt = len(tokenizer(row["prompt"])["input_ids"])
        target = tokenizer(row["completion"], add_special_tokens=False)["input_ids"]
        labels = example["labels"]
        assert labels[:n_prompt] == [-100] * n_prompt
        assert labels[n_prompt:] == target + [tokenizer.eos_token_id]
        assert tokenizer.decode(labels[n_prompt:-1]) == row["completion"]


def test_messages_rows_train_on_assistant_turns_only(tiny_model_dir, messages_file, tmp_path):
    rows = load_data(str(messages_file), limit=3).rows
    trainer, tokenizer, _ = _trainer(tiny_model_dir, rows, tmp_path)
    prepared = _check_rows(trainer, tokenizer, rows)
    for row, example in zip(rows, prepared):
        spans, current = [], []
        for token, label in zip(example["input_ids"], example["labels"]):
            if label != -100:
                assert label == token
                current.append(token)
            elif current:
                spans.append(current)
                current = []
        if current:
            spans.append(current)
        answers = [m["content"] for m in row["messages"] if m["role"] == "assistant"]
        assert [tokenizer.decode(s).replace(tokenizer.eos_token, "").strip()
                for s in spans] == answers


def test_trainer_loss_is_mean_over_completion_tokens(tiny_model_dir, rows_file, tmp_path):
    rows = load_data(str(rows_file), limit=4).rows
    trainer, tokenizer, _ = _trainer(tiny_model_dir, rows, tmp_path)
    batch = next(iter(trainer.get_train_dataloader()))
    labels = batch["labels"]
    # Padding positions carry no loss either.
    assert bool((labels[batch["attention_mask"] == 0] == -100).all())
    model = trainer.model
    model.eval()
    with torch.no_grad():
        trainer_loss = trainer.compute_loss(model, dict(batch))
        logits = model(input_ids=batch["input_ids"],
                       attention_mask=batch["attention_mask"]).logits.float()
    shifted = labels[:, 1:]
    manual = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), shifted.reshape(-1),
                             ignore_index=-100)
    assert trainer_loss.item() == pytest.approx(manual.item(), rel=1e-5)
    # Changing a prompt token's *label* to a target would change the loss: the mask matters.
    n_prompt = len(tokenizer(rows[0]["prompt"])["input_ids"])
    unmasked = shifted.clone()
    unmasked[0, : n_prompt - 1] = batch["input_ids"][0, 1:n_prompt]
    widened = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]),
                              unmasked.reshape(-1), ignore_index=-100)
    assert abs(widened.item() - manual.item()) > 1e-3


def test_samples_without_a_response_token_are_dropped(tiny_model_dir, rows_file):
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_model_dir))
    rows = load_data(str(rows_file), limit=4).rows
    rows[0] = {**rows[0], "prompt": "word " * 60}
    train_set = build_training_set(rows, tokenizer, max_length=32)
    assert train_set.n_dropped == 1 and len(train_set) == 3
    assert rows[0]["id"] not in train_set.ids
