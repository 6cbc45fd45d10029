"""Tokenizers for the data-stage tests.

``byte_tokenizer`` is built in memory (no downloads, milliseconds): byte-level BPE with no
merges, so every ASCII character is exactly one token and expected ids can be written down;
it adds ``<s>`` in front of every text encoded with special tokens and has a ChatML chat
template ending turns with its eos token ``<|im_end|>``. The real SmolLM2 tokenizer comes
from the suite-wide ``smollm2_tokenizer`` fixture in ``tests/conftest.py`` (slow tests).
"""
from __future__ import annotations

import pytest

CHATML = ("{% for m in messages %}{% if loop.first and m['role'] != 'system' %}"
          "{{ '<|im_start|>system\nDefault system.<|im_end|>\n' }}{% endif %}"
          "{{ '<|im_start|>' + m['role'] + '\n' + m['content'] + '<|im_end|>\n' }}"
          "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")


def make_byte_tokenizer(chat_template: str | None = CHATML, add_bos: bool = True,
                        eos: str | None = "<|im_end|>"):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    tok = Tokenizer(models.BPE(vocab={ch: i for i, ch in enumerate(alphabet)}, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens(["<s>", "<|im_start|>", "<|im_end|>"])
    if add_bos:
        tok.post_processor = processors.TemplateProcessing(
            single="<s> $A", pair="<s> $A $B", special_tokens=[("<s>", tok.token_to_id("<s>"))])
    kwargs = {"bos_token": "<s>"}
    if eos:
        kwargs["eos_token"] = eos
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, **kwargs)
    tokenizer.chat_template = chat_template
    return tokenizer


@pytest.fixture(scope="session")
def byte_tokenizer():
    return make_byte_tokenizer()


@pytest.fixture(scope="session")
def make_tokenizer():
    """The byte tokenizer factory, for variants (no template, no BOS, no eos)."""
    return make_byte_tokenizer
