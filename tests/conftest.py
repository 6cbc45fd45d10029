"""Shared fixtures: the real SmolLM2 tokenizer and a tiny random model folder that uses it.

The tiny model has SmolLM2's vocabulary, so it reads every task's real rows through the
real tokenizer and chat template, while a forward and backward take milliseconds.
"""
from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# `--dtype auto` follows the hardware (bfloat16 on a CPU with AMX-BF16 or AVX-512 BF16), so
# the same test would compute in float32 on one machine and bfloat16 on another: the suite
# pins auto to float32. Tests of auto itself clear this (tests/patterns/test_precision.py),
# and bfloat16 paths are tested by asking for bfloat16 explicitly.
os.environ["HEADPRINT_AUTO_DTYPE"] = "float32"


@pytest.fixture(scope="session")
def smollm2_folder():
    """Folder of the converted embedded model (converted once per cache)."""
    from headprint.models.loading import convert_builtin

    return convert_builtin("smollm2-135m")


@pytest.fixture(scope="session")
def smollm2_tokenizer(smollm2_folder):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(smollm2_folder))
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, smollm2_tokenizer):
    """A 2-layer llama with SmolLM2's tokenizer, saved like a fine-tuned checkpoint."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    folder = tmp_path_factory.mktemp("tiny-llama")
    config = LlamaConfig(vocab_size=len(smollm2_tokenizer), hidden_size=32,
                         intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                         num_key_value_heads=2, max_position_embeddings=2048,
                         tie_word_embeddings=True,
                         bos_token_id=smollm2_tokenizer.bos_token_id,
                         eos_token_id=smollm2_tokenizer.eos_token_id,
                         pad_token_id=smollm2_tokenizer.pad_token_id)
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(folder)
    smollm2_tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_gsm8k_patterns(tmp_path_factory, tiny_model_dir):
    """A pattern set of the tiny model on 4 real GSM8K train rows, made by the CLI."""
    from headprint.cli import main

    out = tmp_path_factory.mktemp("patterns") / "gsm8k"
    assert main(["patterns", "--model", str(tiny_model_dir), "--data", "gsm8k", "--limit", "4",
                 "--max-length", "256", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="session")
def tiny_reproduce_all(tmp_path_factory, tiny_model_dir):
    """``reproduce("all")`` at tiny scale on the tiny model, run once per session: the
    experiments test reads it, and the demo and transfer tests start from copies of it
    (steps are keyed by their content, so a copy is reused rather than recomputed).

    Returns ``(out folder, {experiment: result})``; tests must not write into the folder.
    """
    from headprint.experiments.api import reproduce

    out = tmp_path_factory.mktemp("reproduce-all") / "reproduce"
    return out, reproduce("all", model=str(tiny_model_dir), scale="tiny", out=out)
