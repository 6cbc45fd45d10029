"""The SFT training set: rows encoded by headprint's contract, handed to trl pre-tokenized.

Every row goes through :func:`headprint.data.encode_row` (prompt tokens with the tokenizer's
default special tokens + completion tokens + eos, labels -100 on the prompt; chat template
with loss on assistant turns only for ``messages`` rows), so the tokens and the loss mask
that SFT trains on are exactly the ones patterns are measured on. The result is a
``datasets.Dataset`` with two columns, ``input_ids`` and ``labels``: trl's ``SFTTrainer``
recognises a dataset with ``input_ids`` as pre-tokenized and uses a ``labels`` column as is
(its collator right-pads ``input_ids`` with the pad token and ``labels`` with -100).

Samples whose response is entirely cut off by ``max_length`` have nothing to learn from:
they are dropped and counted (``n_dropped``), never trained on as all-masked rows.

In the ``chat`` prompt format (:mod:`headprint.data.prompt_format`) each prompt/completion
row is encoded as the conversation ``[user: prompt, assistant: completion]`` (trl's
conversational prompt-completion layout) with the loss on exactly the assistant turn, the
tokens ``headprint eval`` then prompts the model with. :class:`FormatMarker` writes the
format into each checkpoint folder (``headprint-format.json``), so eval and patterns on a
checkpoint use it by default.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from transformers import TrainerCallback

from headprint.errors import HeadprintError

__all__ = ["TrainingSet", "build_training_set", "check_enough", "DatasetTooSmallError",
           "FormatMarker"]


class DatasetTooSmallError(HeadprintError, ValueError):
    """Fewer usable samples than one optimizer step consumes."""


@dataclass
class TrainingSet:
    """Encoded training samples and their counts.

    Attributes:
        dataset: ``datasets.Dataset`` with ``input_ids`` and ``labels`` (lists of ints,
            labels unshifted, -100 where no loss is taken).
        ids: row id of each kept sample, in dataset order.
        n_rows: rows given; ``n_dropped``: rows left without a target token;
        n_truncated: kept samples cut at ``max_length``; ``n_target_tokens``: loss tokens.
    """

    dataset: Any
    ids: list[str] = field(default_factory=list)
    n_rows: int = 0
    n_dropped: int = 0
    n_truncated: int = 0
    n_tokens: int = 0
    n_target_tokens: int = 0

    def __len__(self) -> int:
        return len(self.ids)

    def describe(self) -> dict[str, int]:
        return {"n_rows": self.n_rows, "n_samples": len(self.ids), "n_dropped": self.n_dropped,
                "n_truncated": self.n_truncated, "n_tokens": self.n_tokens,
                "n_target_tokens": self.n_target_tokens}


def build_training_set(rows: Sequence[dict], tokenizer: Any, max_length: int,
                       prompt_format: str = "raw") -> TrainingSet:
    """Encode ``rows`` (headprint rows: prompt/completion or messages) for SFT, in the
    resolved ``prompt_format`` (``raw`` or ``chat``).

    Raises:
        DatasetTooSmallError: no row keeps a response token within ``max_length``.
    """
    from datasets import Dataset

    from headprint.data import encode_row

    input_ids, labels, ids = [], [], []
    dropped = truncated = tokens = targets = 0
    for row in rows:
        sample = encode_row(row, tokenizer, max_length, prompt_format)
        if sample.n_target == 0:
            dropped += 1
            continue
        input_ids.append(list(sample.input_ids))
        labels.append(list(sample.labels))
        ids.append(str(row.get("id")))
        truncated += int(sample.truncated)
        tokens += len(sample.input_ids)
        targets += sample.n_target
    if not ids:
        raise DatasetTooSmallError(
            f"none of the {len(rows)} rows keeps a response token within max_length="
            f"{max_length}; raise --max-length")
    dataset = Dataset.from_dict({"input_ids": input_ids, "labels": labels})
    return TrainingSet(dataset, ids, len(rows), dropped, truncated, tokens, targets)


def check_enough(training_set: TrainingSet, global_batch: int) -> None:
    """Refuse a training set smaller than one optimizer step (``global_batch`` samples)."""
    if len(training_set) < global_batch:
        raise DatasetTooSmallError(
            f"{len(training_set)} usable samples ({training_set.n_dropped} dropped: response "
            f"cut off by max_length) are fewer than one optimizer step consumes "
            f"(batch size x gradient accumulation x processes = {global_batch}); use more "
            f"data (--limit) or a smaller --batch-size / --grad-accum")



class FormatMarker(TrainerCallback):
    """Trainer callback: write the run's prompt format into every checkpoint folder (and
    its ``merged/`` copy under LoRA, when that callback ran first) when the Trainer saves."""

    def __init__(self, prompt_format: str) -> None:
        self.prompt_format = prompt_format

    def on_save(self, args, state, control, **kwargs):
        from headprint.data.prompt_format import write_model_format

        if state.is_world_process_zero:
            folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            for target in (folder, folder / "merged"):
                if target.is_dir():
                    write_model_format(target, self.prompt_format)
        return control
