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


# -- the chat prompt format -------------------------------------------------------------------

def test_chat_format_trains_on_exactly_the_assistant_turn(tiny_model_dir, rows_file, tmp_path):
    """Token by token through trl's SFTTrainer: the masked part is the chat template's
    rendering of the user turn with the generation prompt, the trained part the assistant's
    answer and its end-of-turn token; and the same tokens and loss positions as trl's own
    conversational prompt-completion format, except the newline after the end-of-turn
    token (context in headprint's contract, a target for trl)."""
    from datasets import Dataset
    from trl import SFTConfig as TrlSFTConfig, SFTTrainer

    from headprint.data.prompt_format import chat_messages

    rows = load_data(str(rows_file), limit=4).rows
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_model_dir))
    model = AutoModelForCausalLM.from_pretrained(str(tiny_model_dir))
    train_set = build_training_set(rows, tokenizer, 128, "chat")
    trainer = SFTTrainer(model=model, args=_trainer_args(SFTConfig(max_length=128), tmp_path,
                                                         1, False),
                         train_dataset=train_set.dataset, processing_class=tokenizer)
    conversational = Dataset.from_list([{"prompt": chat_messages(r)[:1],
                                         "completion": chat_messages(r)[1:]} for r in rows])
    reference = SFTTrainer(model=model, args=TrlSFTConfig(
        output_dir=str(tmp_path / "trl"), report_to="none", max_length=128, use_cpu=True),
        train_dataset=conversational, processing_class=tokenizer).train_dataset
    for row, example, theirs in zip(rows, trainer.train_dataset, reference):
        ids, labels = example["input_ids"], example["labels"]
        assert ids == encode_row(row, tokenizer, 128, "chat").input_ids
        user = [{"role": "user", "content": row["prompt"].strip()}]
        context = tokenizer.apply_chat_template(user, tokenize=False,
                                                add_generation_prompt=True)
        whole = tokenizer.apply_chat_template(
            user + [{"role": "assistant", "content": row["completion"].strip()}],
            tokenize=False)
        assert tokenizer.decode(ids) == whole
        n_context = next(i for i, label in enumerate(labels) if label != -100)
        assert tokenizer.decode(ids[:n_context]) == context
        target = [label for label in labels if label != -100]
        assert labels[n_context:n_context + len(target)] == target  # one contiguous span
        assert target == ids[n_context:n_context + len(target)]
        assert tokenizer.decode(target) == row["completion"].strip() + tokenizer.eos_token
        assert labels[n_context + len(target):] == [-100] * (len(ids) - n_context
                                                             - len(target))
        assert tokenizer.decode(ids[n_context + len(target):]) == "\n"
        # trl's conversational format: same tokens; same loss positions but the last newline
        assert theirs["input_ids"] == ids
        trl_mask = [label != -100 for label in theirs["labels"]]
        ours = [label != -100 for label in labels]
        assert trl_mask[:-1] == ours[:-1] and trl_mask[-1] and not ours[-1]


@pytest.mark.parametrize("fmt", ["chat", "raw"])
def test_checkpoint_remembers_its_format(fmt, tiny_model_dir, rows_file, tmp_path):
    """SFT in a format; eval and patterns on its checkpoint use that format by default
    (``raw`` here although the tokenizer has a chat template, which ``auto`` would pick)."""
    import json

    from headprint.evaluation.api import evaluate_detailed
    from headprint.models import load_model
    from headprint.patterns.api import compute_patterns
    from headprint.training import run_sft

    config = SFTConfig(model=str(tiny_model_dir), data=str(rows_file), max_steps=2,
                       batch_size=4, max_length=64, save_at=[1], format=fmt)
    result = run_sft(config, tmp_path / "run", progress=False)
    run = json.loads((result.run_dir / "run.json").read_text())
    assert run["format"] == fmt
    for folder in (result.final, result.run_dir / "checkpoint-1"):
        assert json.loads((folder / "headprint-format.json").read_text()) == {"format": fmt}
    loaded = load_model(str(result.final))
    detailed = evaluate_detailed(loaded, "gsm8k", 2, max_gen_toks=4)
    assert detailed["format"] == fmt and detailed["settings"]["format_requested"] == "auto"
    context = detailed["tasks"]["gsm8k"]["lm_eval_task"]
    assert context["metadata"]["format"] == fmt
    patterns = compute_patterns(loaded, load_data(str(rows_file), limit=2), progress=False)
    assert patterns.manifest["format"] == fmt
