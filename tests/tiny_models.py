"""Tiny random causal LMs of every supported family, built from a config (no downloads)."""
from __future__ import annotations

import torch
from transformers import AutoConfig, AutoModelForCausalLM

__all__ = ["FAMILY_CONFIGS", "tiny_model", "random_samples"]

VOCAB = 97
FAMILY_CONFIGS: dict[str, dict] = {
    "llama": dict(model_type="llama", hidden_size=32, intermediate_size=64, num_hidden_layers=3,
                  num_attention_heads=4, num_key_value_heads=2),
    "mistral": dict(model_type="mistral", hidden_size=32, intermediate_size=64,
                    num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=1,
                    sliding_window=None),
    "qwen2": dict(model_type="qwen2", hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                  num_attention_heads=4, num_key_value_heads=2),
    # Sliding-window layers with a window shorter than the test sequences.
    "gemma3_text": dict(model_type="gemma3_text", hidden_size=32, intermediate_size=64,
                        num_hidden_layers=3, num_attention_heads=2, num_key_value_heads=1,
                        head_dim=16, sliding_window=4,
                        layer_types=["sliding_attention", "sliding_attention",
                                     "full_attention"]),
    "gpt2": dict(model_type="gpt2", n_embd=32, n_layer=2, n_head=4, n_positions=64),
    "opt": dict(model_type="opt", hidden_size=32, ffn_dim=64, num_hidden_layers=2,
                num_attention_heads=4, word_embed_proj_dim=32, max_position_embeddings=64),
}


def tiny_model(family: str, seed: int = 0, attn: str = "sdpa") -> torch.nn.Module:
    """A frozen, eval-mode random model of ``family`` with vocabulary ``VOCAB``."""
    spec = dict(FAMILY_CONFIGS[family])
    model_type = spec.pop("model_type")
    config = AutoConfig.for_model(model_type, vocab_size=VOCAB, **spec)
    if hasattr(config, "pad_token_id"):
        config.pad_token_id = 0
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config, attn_implementation=attn)
    # Random init is near-uniform; larger weights make attention patterns non-trivial.
    with torch.no_grad():
        for parameter in model.parameters():
            if parameter.dim() > 1:
                parameter.normal_(0, 0.2)
    model.eval().requires_grad_(False)
    return model


class Sample:
    def __init__(self, input_ids: list[int], labels: list[int]) -> None:
        self.input_ids, self.labels = input_ids, labels
        self.truncated, self.n_target = False, sum(1 for v in labels if v != -100)


def random_samples(n: int, seed: int = 0, min_len: int = 6, max_len: int = 14) -> list[Sample]:
    """``n`` samples of random tokens (1..VOCAB-1); the first 2–4 tokens are the prompt."""
    generator = torch.Generator().manual_seed(seed)
    samples = []
    for _ in range(n):
        length = int(torch.randint(min_len, max_len + 1, (1,), generator=generator))
        prompt = int(torch.randint(2, 5, (1,), generator=generator))
        ids = torch.randint(1, VOCAB, (length,), generator=generator).tolist()
        samples.append(Sample(ids, [-100] * prompt + ids[prompt:]))
    return samples
