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
           "family_of", "attention_implementation", "UnsupportedModelError"]


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
        eager_if: a config flag under which the family must run eager attention (``""``:
            never; transformers' own choice, SDPA where the model class supports it and
            eager where it does not, is exact).
        eager_reason: why, for messages.
    """

    layers: str
    attention: str
    projection: str
    interface: bool = True
    eager_if: str = ""
    eager_reason: str = ""


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
    "falcon": Family("transformer.h", "self_attention", "dense", interface=False, eager_if="alibi",
                     eager_reason="under ALiBi, transformers' Falcon SDPA path gives other numbers "
                           "than its eager attention"),
    "bloom": Family("transformer.h", "self_attention", "dense", interface=False),
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


def attention_implementation(config, requested: str | None = None) -> str | None:
    """The ``attn_implementation`` to load a model of ``config`` with.

    ``None`` lets transformers choose: SDPA where the model class supports it, eager where it
    does not (Gemma-2, BLOOM). A family whose SDPA path is not exact under some setting
    (Falcon with ALiBi) gets ``"eager"``; asking for another kernel there is refused.
    Families outside ``FAMILIES`` keep ``requested`` (training and evaluation load them too).

    Raises:
        UnsupportedModelError: a kernel other than eager requested where eager is required.
    """
    family = FAMILIES.get(family_of(config))
    text = _text_config(config)
    if family is not None and family.eager_if and getattr(text, family.eager_if, False):
        if requested not in (None, "eager"):
            raise UnsupportedModelError(
                f"{family_of(config)} with {family.eager_if}=True needs eager attention "
                f"({family.eager_reason}); attn_implementation={requested!r} is refused")
        return "eager"
    return requested


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
    if family.eager_if and getattr(config, family.eager_if, False) and \
            model.config._attn_implementation != "eager":
        raise UnsupportedModelError(
            f"{model_type} with {family.eager_if}=True must run eager attention "
            f"({family.eager_reason}), not {model.config._attn_implementation!r}: load it "
            f"with headprint.models.load_model or attn_implementation='eager'")
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
