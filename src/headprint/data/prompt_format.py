"""One prompt-format choice shared by every stage: ``--format auto|chat|raw``.

- ``raw`` (the paper's format): a prompt/completion row is the text ``prompt + completion``,
  tokenized as :mod:`headprint.data.tokenize` states; evaluation prompts with the row's own
  prompt and no chat template.
- ``chat``: a prompt/completion row is one exchange rendered through the tokenizer's chat
  template, a user turn (the prompt) and an assistant turn (the completion), as
  :func:`chat_messages` builds it. This is trl's *conversational* prompt-completion layout
  (``prompt=[user]``, ``completion=[assistant]``); the loss is on the assistant turn only.
  Evaluation renders the prompt as the user turn with lm-evaluation-harness's chat-template
  support (``simple_evaluate(apply_chat_template=True)``), which produces exactly the
  context that SFT masks.
- ``auto``: the format a fine-tuned checkpoint was trained in, when the model folder
  remembers one (:data:`FORMAT_FILE`); otherwise ``chat`` when the tokenizer has a chat
  template and ``raw`` when it has none.

``messages`` rows always go through the chat template, whatever the format.

Chat turns from prompt/completion rows: the user turn is the prompt without surrounding
whitespace; the assistant turn is the completion without surrounding whitespace, except for
code rows (``meta`` with ``tests``): their assistant turn is the whole program in one fenced
block (``program_prefix + completion``), the way chat models write code and the way
:func:`headprint.evaluation.answers.extract_program` reads it back. Multiple-choice rows
answer with the chosen option without its leading space.

Every stage records the *resolved* format (``chat`` or ``raw``) in what it writes: the
pattern manifest, ``run.json`` and the checkpoint folders of an SFT run, and each results
file of ``headprint eval``.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from headprint.data.errors import DataError

__all__ = ["FORMATS", "FORMAT_FILE", "resolve_format", "has_chat_template", "chat_messages",
           "user_content", "assistant_content", "apply_format", "read_model_format",
           "write_model_format", "FormatError"]

log = logging.getLogger(__name__)

FORMATS = ("auto", "chat", "raw")
FORMAT_FILE = "headprint-format.json"
"""Written into every checkpoint folder of an SFT run: ``{"format": "chat"|"raw"}``."""


class FormatError(DataError):
    """An unknown format, or ``chat`` for a tokenizer without a chat template."""


def has_chat_template(tokenizer: Any) -> bool:
    return bool(getattr(tokenizer, "chat_template", None))


def read_model_format(folder: str | Path | None) -> str | None:
    """The format a model folder was fine-tuned in (``None``: not recorded, not a folder)."""
    if folder is None:
        return None
    path = Path(folder) / FORMAT_FILE
    if not path.is_file():
        return None
    try:
        value = json.loads(path.read_text(encoding="utf-8")).get("format")
    except (OSError, ValueError, AttributeError):
        return None
    return value if value in ("chat", "raw") else None


def write_model_format(folder: str | Path, fmt: str) -> Path:
    """Record in a model folder the (resolved) format it was trained in."""
    if fmt not in ("chat", "raw"):
        raise FormatError(f"a model folder records a resolved format (chat or raw), not "
                          f"{fmt!r}")
    path = Path(folder) / FORMAT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"format": fmt}) + "\n", encoding="utf-8")
    return path


def resolve_format(fmt: str | None, tokenizer: Any = None,
                   model_path: str | Path | None = None) -> str:
    """``chat`` or ``raw`` for a requested format (see the module docstring).

    Args:
        fmt: ``auto`` (or None), ``chat`` or ``raw``.
        tokenizer: the model's tokenizer (None: no chat template known).
        model_path: the model's folder, read for a remembered format.

    Raises:
        FormatError: unknown ``fmt``; ``chat`` for a tokenizer without a chat template.
    """
    fmt = fmt or "auto"
    if fmt not in FORMATS:
        raise FormatError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    remembered = read_model_format(model_path) if model_path else None
    if fmt == "auto":
        if remembered is not None:
            return remembered
        return "chat" if has_chat_template(tokenizer) else "raw"
    if fmt == "chat" and tokenizer is not None and not has_chat_template(tokenizer):
        raise FormatError(f"--format chat needs a tokenizer with a chat template, and "
                          f"{getattr(tokenizer, 'name_or_path', None) or 'this one'} has "
                          "none; use --format raw (or auto)")
    if remembered is not None and remembered != fmt:
        log.warning("%s was fine-tuned in the %s format and is now used in the %s format",
                    model_path, remembered, fmt)
    return fmt


def _is_code(meta: dict) -> bool:
    return "tests" in meta


def user_content(prompt: str) -> str:
    """The user turn of a prompt/completion row in the chat format."""
    return prompt.strip()


def assistant_content(row: dict) -> str:
    """The assistant turn of a prompt/completion row in the chat format."""
    meta = row.get("meta") or {}
    if _is_code(meta):
        program = (meta.get("program_prefix") or "") + row["completion"]
        return f"```python\n{program.strip(chr(10)).rstrip()}\n```"
    return row["completion"].strip()


def chat_messages(row: dict) -> list[dict[str, str]]:
    """``[user, assistant]`` messages of a prompt/completion row."""
    return [{"role": "user", "content": user_content(row["prompt"])},
            {"role": "assistant", "content": assistant_content(row)}]


def apply_format(row: dict, fmt: str) -> dict:
    """The row as it is tokenized in ``fmt`` (resolved): a ``messages`` row for ``chat``,
    unchanged for ``raw`` (and for rows that already are ``messages`` rows)."""
    if fmt == "raw" or row.get("messages") is not None or "prompt" not in row:
        return row
    if fmt != "chat":
        raise FormatError(f"apply_format needs a resolved format (chat or raw), got {fmt!r}")
    converted = {key: value for key, value in row.items() if key not in ("prompt",
                                                                            "completion")}
    converted["messages"] = chat_messages(row)
    return converted
