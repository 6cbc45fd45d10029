"""Turning rows into token ids and loss labels: the contract every stage relies on.

``prompt``/``completion`` rows::

    input_ids = tokenizer(prompt)                      # the tokenizer's default special tokens
              + tokenizer(completion, add_special_tokens=False)
              + [tokenizer.eos_token_id]
    labels    = [-100] * len(prompt ids) + completion ids + [eos]

``messages`` rows: the tokenizer's chat template is applied and the loss is on assistant
turns only. For each assistant message ``i``, the text of
``template(messages[:i], add_generation_prompt=True)`` beyond what was already rendered is
context (masked); the text that ``template(messages[:i + 1])`` adds beyond that is the
target. The target ends at the tokenizer's eos token when the turn contains it (SmolLM2:
``<|im_end|>``), otherwise at its last non-space character (Gemma: ``...<end_of_turn>``);
what follows (a newline) is context. Pieces are tokenized separately and concatenated, so
mask boundaries fall exactly between pieces: the first piece with the default special
tokens unless the rendered text already starts with the BOS token, the others without.
Messages after the last assistant turn are dropped (there is nothing to learn from them).

The prompt format (:mod:`headprint.data.prompt_format`): in ``raw`` (the default here)
prompt/completion rows are encoded as above; in ``chat`` they are first turned into a
``messages`` row (user turn = prompt, assistant turn = completion) and encoded as one, so
the loss is on exactly the assistant turn.

Labels are *not* shifted: ``labels[i] == input_ids[i]`` on target positions, Hugging Face's
``labels=`` convention (the model's loss shifts). Sequences longer than ``max_length`` are
cut from the right (the start is kept). ``n_target`` counts the unmasked labels left after
the cut; a sample with ``n_target == 0`` has lost its whole response and must be excluded
(and counted) by the caller, never averaged in.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from headprint.data.errors import DataError
from headprint.data.formats import validate_row
from headprint.data.prompt_format import apply_format

__all__ = ["IGNORE_INDEX", "EncodedSample", "encode_row", "encode_rows"]

IGNORE_INDEX = -100


@dataclass
class EncodedSample:
    """One tokenized sample.

    Attributes:
        input_ids: token ids, length ``<= max_length``.
        labels: same length; ``IGNORE_INDEX`` (-100) on masked positions, else the token id.
        truncated: True if the untruncated sequence was longer than ``max_length``.
        n_target: number of labels that are not ``IGNORE_INDEX`` (after truncation).
        id: the row's id, when the row had one.
    """

    input_ids: list[int]
    labels: list[int]
    truncated: bool
    n_target: int
    id: str | None = None


def _ids(tokenizer: Any, text: str, special: bool) -> list[int]:
    return list(tokenizer(text, add_special_tokens=special)["input_ids"])


def _eos_id(tokenizer: Any) -> int:
    eos = getattr(tokenizer, "eos_token_id", None)
    if eos is None:
        raise DataError(f"tokenizer {type(tokenizer).__name__} has no eos token; "
                        "prompt/completion rows end with eos")
    return int(eos)


def _render(tokenizer: Any, messages: list[dict], generation_prompt: bool, where: str) -> str:
    try:
        text = tokenizer.apply_chat_template(messages, tokenize=False,
                                             add_generation_prompt=generation_prompt)
    except Exception as exc:  # jinja raises TemplateError and friends
        raise DataError(f"{where}: the chat template failed on the first {len(messages)} "
                        f"messages: {exc}") from exc
    return text if isinstance(text, str) else str(text)


def _target_end(text: str, eos_token: str | None) -> int:
    """Length of the target part of an assistant turn's rendered text (see module doc)."""
    if eos_token and eos_token in text:
        return text.rindex(eos_token) + len(eos_token)
    return len(text.rstrip())


def _message_pieces(row: dict, tokenizer: Any, where: str) -> list[tuple[str, bool]]:
    """Split the rendered conversation into ``(text, is_target)`` pieces."""
    if not getattr(tokenizer, "chat_template", None):
        raise DataError(f"{where}: 'messages' rows need a tokenizer with a chat template, and "
                        f"this one ({getattr(tokenizer, 'name_or_path', '?')}) has none; use "
                        "prompt/completion rows or a chat model's tokenizer")
    messages = row["messages"]
    eos_token = getattr(tokenizer, "eos_token", None)
    pieces: list[tuple[str, bool]] = []
    done = ""
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        context = _render(tokenizer, messages[:i], True, where)
        full = _render(tokenizer, messages[: i + 1], False, where)
        if not context.startswith(done) or not full.startswith(context):
            raise DataError(f"{where}: the chat template does not render message {i} as an "
                            "extension of the messages before it, so assistant-only loss "
                            "masks cannot be placed exactly")
        turn = full[len(context):]
        cut = _target_end(turn, eos_token)
        pieces += [(context[len(done):], False), (turn[:cut], True), (turn[cut:], False)]
        done = full
    return pieces


def encode_row(row: dict, tokenizer: Any, max_length: int | None,
               prompt_format: str = "raw") -> EncodedSample:
    """Tokenize one row (prompt/completion or messages) under the contract above, in the
    resolved ``prompt_format`` (``raw`` or ``chat``).

    Raises :class:`DataError` for a malformed row (naming its id and field), for messages
    rows when the tokenizer has no chat template, and for prompt/completion rows when the
    tokenizer has no eos token.
    """
    where = str(row.get("id", "row")) if isinstance(row, dict) else "row"
    validate_row(row, where)
    row = apply_format(row, prompt_format)
    input_ids: list[int] = []
    labels: list[int] = []
    if row.get("messages") is not None:
        pieces = _message_pieces(row, tokenizer, where)
        bos = getattr(tokenizer, "bos_token", None)
        first_special = not (bos and pieces and pieces[0][0].startswith(bos))
        for k, (text, is_target) in enumerate(pieces):
            if not text and k > 0:
                continue
            ids = _ids(tokenizer, text, special=first_special and k == 0)
            input_ids += ids
            labels += ids if is_target else [IGNORE_INDEX] * len(ids)
    else:
        prompt_ids = _ids(tokenizer, row["prompt"], special=True)
        target = _ids(tokenizer, row["completion"], special=False) + [_eos_id(tokenizer)]
        input_ids = prompt_ids + target
        labels = [IGNORE_INDEX] * len(prompt_ids) + target
    truncated = max_length is not None and len(input_ids) > max_length
    if truncated:
        input_ids, labels = input_ids[:max_length], labels[:max_length]
    n_target = sum(1 for label in labels if label != IGNORE_INDEX)
    return EncodedSample(input_ids, labels, bool(truncated), n_target, row.get("id"))


def encode_rows(rows: Sequence[dict], tokenizer: Any, max_length: int | None,
                prompt_format: str = "raw") -> list[EncodedSample]:
    """:func:`encode_row` over ``rows``, same order (samples with ``n_target == 0`` kept)."""
    return [encode_row(row, tokenizer, max_length, prompt_format) for row in rows]
