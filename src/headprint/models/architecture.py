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

__all__ = ["AttentionLayout", "Family", "FAMILIES", "SUPPORTED_FAMILIES", "attention_layout",
           "family_of", "UnsupportedModelError"]


class UnsupportedModelError(HeadprintError, ValueError):
    """The model's family is not in ``FAMILIES`` and no generic layout could be found."""


@dataclass(frozen=True)
class Family:
    """Where the heads live in one family, and how its attention may be computed.

    Attributes:
        layers: dotted path from the ``*ForCausalLM`` model to the list of decoder layers.
        attention: attribute of a layer holding its attention module.
        projection: attribute of the attention holding the output projection, whose input is
            the heads' outputs ``[B, T, H * head_dim]``.
        interface: the attention calls transformers' ``AttentionInterface`` (so ``abs`` can
            swap in its recording attention). Falcon and BLOOM compute attention inline.
        refuse_if: a config flag under which the family's scores cannot be trusted
            (``""``: never); ``refuse_reason`` says why.
    """

    layers: str
    attention: str
    projection: str
    interface: bool = True
    refuse_if: str = ""
    refuse_reason: str = ""


_DECODER = Family("model.layers", "self_attn", "o_proj")

# model_type -> Family. Checked against the eager reference on a tiny config per family
# (tests/models/test_families.py); module paths as in transformers 5.x.
FAMILIES: dict[str, Family] = {
    "llama": _DECODER,
    "mistral": _DECODER,
    "mixtral": _DECODER,
    "qwen2": _DECODER,
    "qwen2_moe": _DECODER,
    "qwen3": _DECODER,
    "gemma": _DECODER,
    "gemma2": _DECODER,          # transformers refuses SDPA (logit soft-capping): eager
    "gemma3_text": _DECODER,
    "phi3": _DECODER,
    "olmo": _DECODER,
    "olmo2": _DECODER,
    "granite": _DECODER,
    "stablelm": _DECODER,
    "starcoder2": _DECODER,
    "cohere": _DECODER,
    "llama4_text": _DECODER,
    "phi": Family("model.layers", "self_attn", "dense"),
    "gpt_neox": Family("gpt_neox.layers", "attention", "dense"),
    "gptj": Family("transformer.h", "attn", "out_proj"),
    "gpt2": Family("transformer.h", "attn", "c_proj"),
    "opt": Family("model.decoder.layers", "self_attn", "out_proj"),
    # transformers 5.x's Falcon adds the ALiBi bias twice under eager attention (once in the
    # mask FalconModel builds, once in FalconAttention) and once under SDPA: the two kernels
    # give different models and no eager reference checks either (falcon-rw-* only).
    "falcon": Family("transformer.h", "self_attention", "dense", interface=False,
                     refuse_if="alibi",
                     refuse_reason="transformers' Falcon ALiBi attention differs between its "
                                   "eager path (bias added twice) and its SDPA path (once), so "
                                   "neither can be checked against the eager reference"),
    "bloom": Family("transformer.h", "self_attention", "dense", interface=False),  # eager only
}

#: The families headprint supports, each tested against the eager reference; the README's
#: "Supported families" line lists exactly these.
SUPPORTED_FAMILIES: tuple[str, ...] = tuple(sorted(FAMILIES))


@dataclass
class AttentionLayout:
    """Where the heads live in one model.

    Attributes:
        num_layers: L.
        num_heads: H, query heads per layer (under grouped-query attention too).
        head_dim: width of one head's output slice at the output projection's input.
        attentions: the L attention modules, in layer order.
        out_projections: the L output projections; input ``[B, T, H * head_dim]``.
        model_type: the family's key in ``FAMILIES``.
        interface: the attention goes through transformers' ``AttentionInterface``.
    """

    num_layers: int
    num_heads: int
    head_dim: int
    attentions: list[nn.Module]
    out_projections: list[nn.Module]
    model_type: str = "?"
    interface: bool = True


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


def family_of(config) -> str:
    """The ``model_type`` that keys ``FAMILIES`` (the text model's, for multimodal wrappers)."""
    text = _text_config(config)
    return getattr(text, "model_type", None) or getattr(config, "model_type", "?")


def _unsupported(model_type: str) -> UnsupportedModelError:
    return UnsupportedModelError(
        f"model type {model_type!r} is not supported; supported families: "
        f"{', '.join(SUPPORTED_FAMILIES)}. Adding one is one entry in "
        f"headprint.models.architecture.FAMILIES")


def attention_layout(model: nn.Module) -> AttentionLayout:
    """Locate every attention module and output projection of ``model``.

    Raises:
        UnsupportedModelError: naming the model type and the supported families; or a
            model whose attention kernel or layout would make the scores wrong.
    """
    config = _text_config(model.config)
    model_type = family_of(model.config)
    if model_type not in FAMILIES:
        raise _unsupported(model_type)
    family = FAMILIES[model_type]
    if family.refuse_if and getattr(config, family.refuse_if, False):
        raise UnsupportedModelError(
            f"{model_type} with {family.refuse_if}=True is not supported: "
            f"{family.refuse_reason}")
    if getattr(config, "pretraining_tp", 1) > 1 and getattr(config, "slow_but_exact", False):
        raise UnsupportedModelError(
            f"{model_type} with slow_but_exact=True applies its output projection in slices "
            f"that bypass the module, so its heads cannot be read; set slow_but_exact=False")
    try:
        layers = _get_path(model, family.layers)
    except AttributeError:
        # Multimodal wrappers (e.g. Gemma3ForConditionalGeneration) nest the text model.
        layers = _get_path(model, "model.language_model.layers")
    attentions = [getattr(layer, family.attention) for layer in layers]
    projections = [getattr(attn, family.projection) for attn in attentions]
    num_heads = int(config.num_attention_heads)
    width = _projection_in_features(projections[0])
    if width % num_heads:
        raise UnsupportedModelError(
            f"{model_type}: output-projection width {width} is not a multiple of {num_heads} heads")
    return AttentionLayout(len(layers), num_heads, width // num_heads, attentions, projections,
                           model_type, family.interface)


def layer_index_map(layout: AttentionLayout) -> dict[int, int]:
    """``id(attention module) -> layer index``; used by attention functions given a module."""
    return {id(module): index for index, module in enumerate(layout.attentions)}


__all__.append("layer_index_map")
