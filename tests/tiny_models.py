"""Tiny random causal LMs of every supported family, built from a config (no downloads)."""
from __future__ import annotations

import torch
from transformers import AutoConfig, AutoModelForCausalLM

from headprint.models.architecture import FAMILIES

__all__ = ["FAMILY_CONFIGS", "ABS_FAMILIES", "tiny_config", "tiny_model", "eager_twin",
           "tiny_tokenizer", "save_tiny_folder", "random_samples"]

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
    "qwen3": dict(model_type="qwen3", hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                  num_attention_heads=4, num_key_value_heads=2, head_dim=8),
    "gemma": dict(model_type="gemma", hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                  num_attention_heads=4, num_key_value_heads=1, head_dim=8),
    # Logit soft-capping on, window shorter than the sequences: transformers refuses SDPA.
    "gemma2": dict(model_type="gemma2", hidden_size=32, intermediate_size=64,
                   num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                   head_dim=8, sliding_window=4, attn_logit_softcapping=5.0),
    "phi3": dict(model_type="phi3", hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                 num_attention_heads=4, num_key_value_heads=2, pad_token_id=0),
    "gpt_neox": dict(model_type="gpt_neox", hidden_size=32, intermediate_size=64,
                     num_hidden_layers=2, num_attention_heads=4, rotary_pct=0.5),
    "olmo": dict(model_type="olmo", hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                 num_attention_heads=4, num_key_value_heads=2, clip_qkv=2.0),
    "olmo2": dict(model_type="olmo2", hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                  num_attention_heads=4, num_key_value_heads=2),
    "phi": dict(model_type="phi", hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                num_attention_heads=4, partial_rotary_factor=0.5, qk_layernorm=True),
    "granite": dict(model_type="granite", hidden_size=32, intermediate_size=64,
                    num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                    attention_multiplier=0.2, residual_multiplier=0.5, embedding_multiplier=2.0,
                    logits_scaling=2.0),
    "stablelm": dict(model_type="stablelm", hidden_size=32, intermediate_size=64,
                     num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                     partial_rotary_factor=0.5, qk_layernorm=True),
    "starcoder2": dict(model_type="starcoder2", hidden_size=32, intermediate_size=64,
                       num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                       sliding_window=4),
    "cohere": dict(model_type="cohere", hidden_size=32, intermediate_size=64,
                   num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                   use_qk_norm=True),
    "gptj": dict(model_type="gptj", n_embd=32, n_layer=2, n_head=4, n_positions=64,
                 rotary_dim=4),
    "mixtral": dict(model_type="mixtral", hidden_size=32, intermediate_size=64,
                    num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                    num_local_experts=4, num_experts_per_tok=2),
    "qwen2_moe": dict(model_type="qwen2_moe", hidden_size=32, intermediate_size=64,
                      moe_intermediate_size=16, shared_expert_intermediate_size=32,
                      num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                      num_experts=4, num_experts_per_tok=2),
    # Chunked attention shorter than the sequences; every other layer without RoPE.
    "llama4_text": dict(model_type="llama4_text", hidden_size=32, intermediate_size=64,
                        intermediate_size_mlp=64, num_hidden_layers=2, num_attention_heads=4,
                        num_key_value_heads=2, head_dim=8, num_local_experts=2,
                        num_experts_per_tok=1, interleave_moe_layer_step=2,
                        attention_chunk_size=4, no_rope_layers=[1, 0]),
    # Falcon-7B's layout (multi-query, parallel attention, rotary); ALiBi is refused.
    "falcon": dict(model_type="falcon", hidden_size=32, num_hidden_layers=2,
                   num_attention_heads=4, multi_query=True, parallel_attn=True, alibi=False),
    "bloom": dict(model_type="bloom", hidden_size=32, n_layer=2, n_head=4),
}


#: Families whose tiny model takes method ``abs``: attention through transformers'
#: ``AttentionInterface`` (not falcon, bloom) and no logit soft-capping (not gemma2).
ABS_FAMILIES: list[str] = sorted(
    family for family, spec in FAMILY_CONFIGS.items()
    if FAMILIES[family].interface and not spec.get("attn_logit_softcapping"))


def tiny_config(family: str, **overrides):
    """The tiny config of ``family`` (vocabulary ``VOCAB``, pad id 0)."""
    spec = dict(FAMILY_CONFIGS[family], **overrides)
    model_type = spec.pop("model_type")
    config = AutoConfig.for_model(model_type, vocab_size=VOCAB, **spec)
    if hasattr(config, "pad_token_id"):
        config.pad_token_id = 0
    return config


def tiny_model(family: str, seed: int = 0, attn: str | None = None,
               **overrides) -> torch.nn.Module:
    """A frozen, eval-mode random model of ``family`` with vocabulary ``VOCAB``.

    ``attn=None`` lets transformers choose as ``load_model`` does: SDPA where the model class
    supports it, else eager (gemma2, bloom).
    """
    config = tiny_config(family, **overrides)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config, attn_implementation=attn)
    # Random init is near-uniform; larger weights make attention patterns non-trivial.
    with torch.no_grad():
        for parameter in model.parameters():
            if parameter.dim() > 1:
                parameter.normal_(0, 0.2)
    model.eval().requires_grad_(False)
    return model


def eager_twin(model: torch.nn.Module) -> torch.nn.Module:
    """``model``'s weights in a model built with eager attention.

    Built, not switched at run time: Falcon and BLOOM cannot switch
    (``set_attn_implementation`` only warns), and Falcon's eager branch then adds an
    SDPA-style boolean mask to its logits.
    """
    import copy

    twin = AutoModelForCausalLM.from_config(copy.deepcopy(model.config),
                                            attn_implementation="eager")
    twin.load_state_dict(model.state_dict())
    return twin.eval().requires_grad_(False)


def tiny_tokenizer():
    """A word-level tokenizer over ``VOCAB`` ids (no downloads), pad id 0."""
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace
    from transformers import PreTrainedTokenizerFast

    vocab = {"<pad>": 0, "<eos>": 1, **{f"w{i}": i for i in range(2, VOCAB)}}
    core = Tokenizer(WordLevel(vocab, unk_token="<eos>"))
    core.pre_tokenizer = Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>", eos_token="<eos>")


def save_tiny_folder(family: str, folder, **overrides):
    """Save a tiny ``family`` model and ``tiny_tokenizer`` as a local model folder."""
    tiny_model(family, **overrides).save_pretrained(folder)
    tiny_tokenizer().save_pretrained(folder)
    return folder


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
