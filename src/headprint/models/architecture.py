"""The one place that knows module paths inside Hugging Face causal LMs.

headprint hooks the unmodified model. For each supported family this table names the list
of decoder layers, the attention module inside a layer, and the attention's output
projection, whose *input* is the concatenation of the heads' outputs ``O_lh`` (shape
``[B, T, H * head_dim]``). Adding a family is one entry in ``FAMILIES``.
"""
from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from headprint.errors import HeadprintError

__all__ = ["AttentionLayout", "FAMILIES", "attention_layout", "UnsupportedModelError"]


class UnsupportedModelError(HeadprintError, ValueError):
    """The model's family is not in ``FAMILIES`` and no generic layout could be found."""


# model_type -> (path to the layer list, attention attribute, output-projection attribute)
FAMILIES: dict[str, tuple[str, str, str]] = {
    "llama": ("model.layers", "self_attn", "o_proj"),
    "mistral": ("model.layers", "self_attn", "o_proj"),
    "qwen2": ("model.layers", "self_attn", "o_proj"),
    "qwen3": ("model.layers", "self_attn", "o_proj"),
    "gemma": ("model.layers", "self_attn", "o_proj"),
    "gemma2": ("model.layers", "self_attn", "o_proj"),
    "gemma3_text": ("model.layers", "self_attn", "o_proj"),
    "phi3": ("model.layers", "self_attn", "o_proj"),
    "gpt2": ("transformer.h", "attn", "c_proj"),
    "opt": ("model.decoder.layers", "self_attn", "out_proj"),
}


@dataclass
class AttentionLayout:
    """Where the heads live in one model.

    Attributes:
        num_layers: L.
        num_heads: H, query heads per layer (under grouped-query attention too).
        head_dim: width of one head's output slice at the output projection's input.
        attentions: the L attention modules, in layer order.
        out_projections: the L output projections; input ``[B, T, H * head_dim]``.
    """

    num_layers: int
    num_heads: int
    head_dim: int
    attentions: list[nn.Module]
    out_projections: list[nn.Module]


def _get_path(root: nn.Module, dotted: str) -> nn.Module:
    module = root
    for part in dotted.split("."):
        module = getattr(module, part)
    return module


def _text_config(config):
    return config.get_text_config() if hasattr(config, "get_text_config") else config


def _projection_in_features(proj: nn.Module) -> int:
    if isinstance(proj, nn.Linear):
        return proj.in_features
    weight = getattr(proj, "weight", None)  # gpt2's Conv1D stores [in, out]
    if weight is not None and type(proj).__name__ == "Conv1D":
        return int(weight.shape[0])
    raise UnsupportedModelError(f"cannot read the input width of {type(proj).__name__}")


def attention_layout(model: nn.Module) -> AttentionLayout:
    """Locate every attention module and output projection of ``model``.

    Raises:
        UnsupportedModelError: naming the model type and the supported families.
    """
    config = _text_config(model.config)
    model_type = getattr(config, "model_type", None) or getattr(model.config, "model_type", "?")
    if model_type not in FAMILIES:
        raise UnsupportedModelError(
            f"model type {model_type!r} is not supported; supported families: "
            f"{', '.join(sorted(FAMILIES))}. Adding one is one entry in "
            f"headprint.models.architecture.FAMILIES")
    layers_path, attn_name, proj_name = FAMILIES[model_type]
    try:
        layers = _get_path(model, layers_path)
    except AttributeError:
        # Multimodal wrappers (e.g. Gemma3ForConditionalGeneration) nest the text model.
        layers = _get_path(model, "model.language_model.layers")
    attentions = [getattr(layer, attn_name) for layer in layers]
    projections = [getattr(attn, proj_name) for attn in attentions]
    num_heads = int(config.num_attention_heads)
    width = _projection_in_features(projections[0])
    if width % num_heads:
        raise UnsupportedModelError(
            f"{model_type}: output-projection width {width} is not a multiple of {num_heads} heads")
    return AttentionLayout(len(layers), num_heads, width // num_heads, attentions, projections)


def layer_index_map(layout: AttentionLayout) -> dict[int, int]:
    """``id(attention module) -> layer index``; used by attention functions given a module."""
    return {id(module): index for index, module in enumerate(layout.attentions)}


__all__.append("layer_index_map")
