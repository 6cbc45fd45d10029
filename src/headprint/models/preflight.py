"""Checks that run before a model is loaded, so that a bad request fails in a second.

- ``check_device``: the device exists on this machine (``--device cuda`` without CUDA, an
  unknown device string).
- ``hub_reachable``: one short request to the hub endpoint instead of huggingface_hub's
  retries with backoff (about a minute when there is no network).
- ``check_causal_lm``: the config is a decoder-only causal LM (an encoder-decoder such as
  T5 or BART is refused by name, not by a page of transformers' mapping).
"""
from __future__ import annotations

import os

import torch

from headprint.errors import HeadprintError

__all__ = ["DeviceError", "HubUnreachableError", "NotCausalLMError", "available_devices",
           "check_device", "hub_reachable", "hub_offline", "hub_unavailable",
           "check_causal_lm",
           "HUB_PROBE_TIMEOUT"]

#: Seconds the hub probe waits for an answer (``$HEADPRINT_HUB_TIMEOUT`` overrides).
HUB_PROBE_TIMEOUT = 3.0


class DeviceError(HeadprintError, ValueError):
    """The requested device does not exist on this machine."""


class HubUnreachableError(HeadprintError, OSError):
    """A hub id was asked for, the hub cannot be reached and the model is not cached."""


class NotCausalLMError(HeadprintError, ValueError):
    """The model is not a decoder-only causal LM (e.g. an encoder-decoder)."""


def available_devices() -> list[str]:
    """Devices this torch can use here: ``cpu``, then ``cuda:i`` and ``mps`` if present."""
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append("mps")
    return devices


def check_device(device: str | torch.device | None) -> torch.device | None:
    """Parse ``device`` and check that it exists here.

    Raises:
        DeviceError: one line naming the device and the devices available.
    """
    if device is None:
        return None
    available = ", ".join(available_devices())
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise DeviceError(f"unknown device {str(device)!r}; available here: {available}") \
            from None
    if parsed.type == "cpu":
        return parsed
    if parsed.type == "cuda":
        if not torch.cuda.is_available():
            why = ("this torch build has no CUDA" if torch.version.cuda is None
                   else "no CUDA device is visible")
            raise DeviceError(f"device {str(device)!r} is not available: {why} "
                              f"(torch {torch.__version__}); available here: {available}")
        if parsed.index is not None and parsed.index >= torch.cuda.device_count():
            raise DeviceError(f"device {str(device)!r} does not exist: "
                              f"{torch.cuda.device_count()} CUDA device(s); available here: "
                              f"{available}")
        return parsed
    if parsed.type == "mps" and "mps" in available_devices():
        return parsed
    raise DeviceError(f"device {str(device)!r} is not available; available here: {available}")


def hub_offline() -> bool:
    """``HF_HUB_OFFLINE`` (or ``TRANSFORMERS_OFFLINE``) is set."""
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE)


def hub_reachable(timeout: float | None = None) -> tuple[bool, str]:
    """One request to the hub endpoint, no retries: ``(reachable, endpoint or reason)``.

    Uses huggingface_hub's own HTTP session, so ``HF_ENDPOINT`` and proxy settings apply.
    Any HTTP answer counts as reachable; only a failure to connect or a timeout does not.
    """
    from huggingface_hub import constants
    from huggingface_hub.utils import get_session

    if timeout is None:
        timeout = float(os.environ.get("HEADPRINT_HUB_TIMEOUT", HUB_PROBE_TIMEOUT))
    endpoint = constants.ENDPOINT
    try:
        get_session().head(endpoint, timeout=timeout)
    except Exception as err:  # noqa: BLE001  (httpx's connect/timeout errors, DNS, TLS)
        reason = str(err).strip() or type(err).__name__
        return False, f"{endpoint} ({reason})"
    return True, endpoint


def hub_unavailable() -> str:
    """Why the hub cannot be used now (``HF_HUB_OFFLINE``, or no answer), or ``""``."""
    if hub_offline():
        return "HF_HUB_OFFLINE is set"
    reachable, where = hub_reachable()
    return "" if reachable else f"the hub does not answer: {where}"


def check_causal_lm(config, name: str) -> None:
    """Refuse configs that are not decoder-only causal LMs, naming the model type.

    Raises:
        NotCausalLMError: an encoder-decoder model, or a type without a causal-LM class.
    """
    from transformers import MODEL_FOR_CAUSAL_LM_MAPPING

    model_type = getattr(config, "model_type", "?")
    if getattr(config, "is_encoder_decoder", False):
        raise NotCausalLMError(
            f"{name}: model type {model_type!r} is an encoder-decoder model, not supported: "
            f"headprint needs a decoder-only causal LM")
    if type(config) not in MODEL_FOR_CAUSAL_LM_MAPPING:
        raise NotCausalLMError(
            f"{name}: model type {model_type!r} has no causal-LM class in transformers, not "
            f"supported: headprint needs a decoder-only causal LM")
