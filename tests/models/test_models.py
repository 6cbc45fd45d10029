"""Model resolution, module paths per family, and the real embedded model (slow)."""
from __future__ import annotations

import pytest
import torch

from headprint.models import BUILTIN_MODELS, UnknownModelError, load_model
from headprint.models.architecture import UnsupportedModelError, attention_layout
from tests.tiny_models import FAMILY_CONFIGS, tiny_model


@pytest.mark.parametrize("family", sorted(FAMILY_CONFIGS))
def test_layout_counts_query_heads(family):
    model = tiny_model(family)
    layout = attention_layout(model)
    config = model.config
    assert layout.num_layers == config.num_hidden_layers
    assert layout.num_heads == config.num_attention_heads  # query heads, not KV heads
    assert layout.num_heads * layout.head_dim == (
        getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    ) * config.num_attention_heads


def test_unknown_model_lists_builtins(tmp_path):
    with pytest.raises(UnknownModelError) as err:
        load_model("no-such-model")
    for name in BUILTIN_MODELS:
        assert name in str(err.value)
    with pytest.raises(UnknownModelError, match="no config.json"):
        load_model(str(tmp_path))  # an empty folder


def test_unsupported_family_named():
    from transformers import BertConfig, BertLMHeadModel

    model = BertLMHeadModel(BertConfig(hidden_size=32, num_hidden_layers=1,
                                       num_attention_heads=2, intermediate_size=32,
                                       is_decoder=True))
    with pytest.raises(UnsupportedModelError, match="'bert'"):
        attention_layout(model)


def test_local_folder_round_trip(tmp_path):
    model = tiny_model("llama")
    model.save_pretrained(tmp_path)
    from transformers import AutoTokenizer  # noqa: F401  (a folder needs a tokenizer too)
    import headprint.models.loading as loading

    fingerprint = loading.weights_fingerprint(tmp_path)
    assert fingerprint.startswith("sha256:") and len(fingerprint) == 71
    (tmp_path / "model.safetensors").write_bytes(b"changed")
    assert loading.weights_fingerprint(tmp_path) != fingerprint


@pytest.mark.slow
def test_embedded_default_loads_frozen():
    loaded = load_model("smollm2-135m")
    layout = attention_layout(loaded.model)
    assert (layout.num_layers, layout.num_heads, layout.head_dim) == (30, 9, 64)
    assert loaded.model.config.num_key_value_heads == 3
    assert not any(p.requires_grad for p in loaded.model.parameters())
    assert loaded.fingerprint.startswith("sha256:")
    assert loaded.tokenizer.pad_token_id is not None
    # Real weights give a sensible next token for an easy prompt.
    ids = loaded.tokenizer("The capital of France is", return_tensors="pt").input_ids
    with torch.no_grad():
        top = loaded.model(ids).logits[0, -1].argmax()
    assert "Paris" in loaded.tokenizer.decode(top)
