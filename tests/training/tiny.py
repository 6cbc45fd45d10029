"""A tiny random Llama saved with the real SmolLM2 tokenizer, loadable by ``load_model``.

The tokenizer comes from the converted built-in model in the headprint cache (no download);
the model is 2 layers x 4 heads of width 32, so training and evaluation take seconds.
"""
from __future__ import annotations

from pathlib import Path

import torch
from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

__all__ = ["tokenizer_folder", "save_tiny_model", "gsm8k_like_rows"]


def tokenizer_folder() -> Path:
    """Folder of the built-in SmolLM2 model (converted on first use; holds the tokenizer)."""
    from headprint.models.loading import convert_builtin

    return convert_builtin("smollm2-135m")


def save_tiny_model(folder: str | Path, seed: int = 0, layers: int = 2) -> Path:
    """Save a random tiny Llama and the SmolLM2 tokenizer into ``folder``."""
    folder = Path(folder)
    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_folder()))
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64,
                         num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=512, bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id, tie_word_embeddings=False)
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def gsm8k_like_rows(n: int) -> list[dict]:
    """``n`` short prompt/completion rows in GSM8K's format."""
    return [{"id": f"row-{i}", "prompt": f"Question: What is {i} plus {i}?\nAnswer:",
             "completion": f" {i} + {i} = {2 * i}\n#### {2 * i}", "meta": {"answer": str(2 * i)}}
            for i in range(n)]
