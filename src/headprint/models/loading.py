"""Load a causal LM and its tokenizer from a built-in name, a local folder, or a hub id.

``load_model`` always returns a ``LoadedModel`` whose ``fingerprint`` identifies the exact
weights (sha256 of the GGUF or safetensors file, or the hub commit), so every artifact can
say which model made it.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from headprint.io import atomic_replace_dir, atomic_write_json
from headprint.models.preflight import (HubUnreachableError, check_causal_lm, check_device,
                                        hub_unavailable)
from headprint.models.registry import (BUILTIN_MODELS, UnknownModelError, builtin_gguf_path,
                                       cache_root, file_sha256)

__all__ = ["LoadedModel", "load_model", "resolve_dtype", "weights_fingerprint",
           "convert_builtin"]

log = logging.getLogger(__name__)
_FINGERPRINT_FILE = "headprint-model.json"


@dataclass
class LoadedModel:
    """A model ready for headprint: ``model`` (eval mode, parameters frozen), ``tokenizer``."""

    model: Any
    tokenizer: Any
    name: str          # what the user asked for (built-in name, folder, or hub id)
    fingerprint: str   # "sha256:<hex>" of the weights, or "hub:<commit>"
    source: str        # "builtin" | "local" | "hub"
    path: str          # folder the weights were read from
    # The attention kernel the model runs ("sdpa", "eager", ...), for the manifest; read off
    # the model's config when not given.
    attn_implementation: str | None = None
    dtype_reason: str = ""  # why --dtype auto chose this dtype (empty for an explicit one)

    def __post_init__(self) -> None:
        if self.attn_implementation is None:
            config = getattr(self.model, "config", None)
            self.attn_implementation = str(getattr(config, "_attn_implementation", None)
                                           or "unknown")


def resolve_dtype(dtype: str | torch.dtype | None, device: str | torch.device | None = None,
                  model: str | None = None) -> torch.dtype:
    """``torch.dtype`` for ``dtype``: None is float32 (the library default), ``"auto"`` is
    :func:`headprint.models.precision.choose_dtype` (bfloat16 on fast hardware for a model
    that passed the fidelity gate, else float32)."""
    from headprint.models.precision import choose_dtype

    return choose_dtype("float32" if dtype is None else dtype, device, model).dtype


def weights_fingerprint(folder: str | Path) -> str:
    """sha256 over a folder's weight files (recorded once in ``headprint-model.json``)."""
    folder = Path(folder)
    recorded = folder / _FINGERPRINT_FILE
    if recorded.exists():
        try:
            return json.loads(recorded.read_text())["fingerprint"]
        except (KeyError, json.JSONDecodeError):
            pass
    files = sorted(folder.glob("*.safetensors")) or sorted(folder.glob("*.bin")) \
        or sorted(folder.glob("*.gguf"))
    if not files:
        raise UnknownModelError(f"{folder} holds no weights (*.safetensors, *.bin or *.gguf)")
    if len(files) == 1:
        return "sha256:" + file_sha256(files[0])
    import hashlib

    joined = hashlib.sha256("".join(file_sha256(f) for f in files).encode()).hexdigest()
    return "sha256:" + joined


def convert_builtin(name: str) -> Path:
    """Dequantize a built-in GGUF once into ``<cache>/models/<name>`` (float32 safetensors)."""
    final = cache_root() / "models" / name
    if (final / _FINGERPRINT_FILE).exists():
        return final
    # Two processes loading a model for the first time (two experiment workers, say) would
    # both assemble the GGUF and both convert it, the slower one failing on the other's
    # rename: the first to take this lock converts, the others wait and reuse its folder.
    from filelock import FileLock

    final.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(final.parent / f".{name}.convert.lock")):
        if (final / _FINGERPRINT_FILE).exists():
            return final
        return _convert_builtin_locked(name, final)


def _convert_builtin_locked(name: str, final: Path) -> Path:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = builtin_gguf_path(name)
    log.info("converting %s (%s) to float32 safetensors in %s (first load only)",
             name, gguf.name, final)

    def build(tmp: Path) -> None:
        model = AutoModelForCausalLM.from_pretrained(
            str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        # A GGUF-loaded model refuses save_pretrained until its quantization marks are gone.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        atomic_write_json(tmp / _FINGERPRINT_FILE, {
            "name": name, "gguf": gguf.name, "fingerprint": "sha256:" + file_sha256(gguf)})

    return atomic_replace_dir(build, final)


def load_model(name: str, dtype: str | torch.dtype | None = None,
               device: str | torch.device | None = None,
               attn_implementation: str | None = None, device_map: str | None = None,
               freeze: bool = True) -> LoadedModel:
    """Load ``name``: a built-in name, a local folder (checkpoints included) or a hub id.

    ``attn_implementation=None`` (default) lets transformers choose: SDPA where the model
    class supports it, eager where it does not (Gemma-2, BLOOM). The choice is returned in
    ``LoadedModel.attn_implementation`` for the manifest.

    Raises:
        UnknownModelError: with the list of built-in names, when nothing matches.
        DeviceError: ``device`` does not exist here (checked before anything is loaded).
        HubUnreachableError: a hub id, the hub does not answer within seconds, and the
            model is not in the local Hugging Face cache.
        NotCausalLMError: an encoder-decoder model, or one without a causal-LM class.
    """
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    check_device(device)
    from headprint.models.precision import choose_dtype

    choice = choose_dtype("float32" if dtype is None else dtype, device, name)
    torch_dtype = choice.dtype
    if choice.reason:
        log.info("--dtype auto for %s: %s", name, choice.reason)
    if name in BUILTIN_MODELS:
        folder, source = convert_builtin(name), "builtin"
    elif Path(name).expanduser().is_dir():
        folder, source = Path(name).expanduser(), "local"
        if not (folder / "config.json").exists():
            raise UnknownModelError(f"{folder} is not a model folder: no config.json")
    elif Path(name).expanduser().exists() or name.startswith((".", "/", "~")) or \
            name.count("/") != 1:
        raise UnknownModelError(
            f"unknown model {name!r}: not a built-in name ({', '.join(BUILTIN_MODELS)}), "
            f"not a model folder, and not a hub id of the form owner/name")
    else:
        folder, source = name, "hub"
    if source != "hub":
        fingerprint = weights_fingerprint(folder)  # fails early, naming the folder
    # Without the hub, read only the local Hugging Face cache: huggingface_hub would retry
    # with backoff for about a minute before failing.
    unreachable = hub_unavailable() if source == "hub" else ""
    common: dict[str, Any] = {"local_files_only": True} if unreachable else {}
    try:
        config = AutoConfig.from_pretrained(str(folder), **common)
    except OSError as err:
        if source != "hub":
            raise
        if unreachable:
            raise HubUnreachableError(
                f"cannot load {name!r}: {unreachable}, and it is not in the local Hugging Face "
                f"cache; built-in models that work offline: {', '.join(BUILTIN_MODELS)}, or "
                f"pass a local model folder") from None
        raise UnknownModelError(
            f"could not load {name!r} from the hub ({err.__class__.__name__}); built-in models "
            f"that work offline: {', '.join(BUILTIN_MODELS)}") from err
    check_causal_lm(config, name)
    kwargs: dict[str, Any] = dict(common, config=config, dtype=torch_dtype,
                                  attn_implementation=attn_implementation)
    if device_map:
        kwargs["device_map"] = device_map
    try:
        model = AutoModelForCausalLM.from_pretrained(str(folder), **kwargs)
        tokenizer = AutoTokenizer.from_pretrained(str(folder), **common)
    except OSError as err:
        if source != "hub":
            raise
        raise UnknownModelError(
            f"could not load {name!r} from the hub ({err.__class__.__name__}); built-in models "
            f"that work offline: {', '.join(BUILTIN_MODELS)}") from err
    if device is not None and not device_map:
        model.to(device)
    model.eval()
    if freeze:
        model.requires_grad_(False)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    if source == "hub":
        fingerprint = "hub:" + str(getattr(model.config, "_commit_hash", None) or "unknown")
    return LoadedModel(model, tokenizer, name, fingerprint, source, str(folder),
                       model.config._attn_implementation, choice.reason)
