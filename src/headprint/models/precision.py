"""Which number format ``--dtype auto`` chooses, and why.

``auto`` means bfloat16 where the hardware runs it fast and the model passed headprint's
bfloat16 fidelity gate (:mod:`headprint.patterns.fidelity`), float32 everywhere else:

- **CUDA**: bfloat16 when the GPU supports it natively (``torch.cuda.is_bf16_supported``
  without emulation: Ampere and newer).
- **CPU**: bfloat16 when the processor has AVX-512 BF16 or AMX-BF16 (``avx512_bf16`` /
  ``amx_bf16`` in ``/proc/cpuinfo``, or torch's own CPU capability report). Without them
  PyTorch emulates bfloat16 matrix products, several times *slower* than float32 (on an
  AVX2 EPYC: a 1024×576×1536 product 8× slower), so ``auto`` stays in float32.
- **Per model**: a model whose gate failed is listed in :data:`GATE_RESULTS` and ``auto``
  keeps it in float32 on any hardware, saying why.

``HEADPRINT_AUTO_DTYPE=float32|bfloat16`` overrides the hardware decision (not the gate
table), e.g. to pin a test suite or to try bfloat16 on hardware not recognised here.

Every choice is a :class:`DtypeChoice` with a ``reason`` that manifests and logs carry.
"""
from __future__ import annotations

import functools
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import torch

__all__ = ["DtypeChoice", "GateRecord", "GATE_RESULTS", "HardwareSupport", "bf16_support",
           "choose_dtype", "cpu_bf16_flags", "dtype_name", "model_signature"]

log = logging.getLogger(__name__)

_NAMES = {"float32": torch.float32, "fp32": torch.float32, "bfloat16": torch.bfloat16,
          "bf16": torch.bfloat16, "float16": torch.float16, "fp16": torch.float16}


def dtype_name(dtype: torch.dtype) -> str:
    """``torch.bfloat16`` -> ``"bfloat16"`` (what manifests record)."""
    return str(dtype).replace("torch.", "")


@dataclass(frozen=True)
class HardwareSupport:
    """Whether ``device`` runs bfloat16 fast, and the evidence."""

    device: str
    fast: bool
    reason: str


@functools.lru_cache(maxsize=1)
def cpu_bf16_flags() -> frozenset[str]:
    """The bfloat16 instruction-set flags of this CPU (empty when there are none)."""
    wanted = {"avx512_bf16", "amx_bf16"}
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        text = ""
    for line in text.splitlines():
        if line.startswith(("flags", "Features")):
            return frozenset(wanted & set(line.split(":", 1)[1].split()))
    # No /proc/cpuinfo (macOS, Windows): torch's own report ("AVX512_BF16", "AMX" on some
    # builds; most report only "AVX512"/"AVX2", which says nothing about bfloat16).
    capability = str(getattr(torch.backends.cpu, "get_cpu_capability", lambda: "")()).upper()
    return frozenset(f for f, key in (("avx512_bf16", "BF16"), ("amx_bf16", "AMX"))
                     if key in capability)


def bf16_support(device: str | torch.device | None = None) -> HardwareSupport:
    """Does ``device`` (default: CUDA if present, else the CPU) run bfloat16 fast?"""
    device = str(device) if device is not None else ("cuda" if torch.cuda.is_available()
                                                      else "cpu")
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            return HardwareSupport(device, False, "CUDA requested but not available")
        try:
            native = torch.cuda.is_bf16_supported(including_emulation=False)
        except TypeError:  # older torch: no emulation argument
            native = torch.cuda.is_bf16_supported()
        name = torch.cuda.get_device_name(torch.device(device))
        return HardwareSupport(device, bool(native),
                               f"{name} {'supports' if native else 'lacks'} native bfloat16")
    if device.startswith("mps"):
        return HardwareSupport(device, False, "bfloat16 on MPS is not measured by headprint")
    flags = cpu_bf16_flags()
    if flags:
        return HardwareSupport("cpu", True, f"CPU has {', '.join(sorted(flags))}")
    capability = getattr(torch.backends.cpu, "get_cpu_capability", lambda: "unknown")()
    return HardwareSupport("cpu", False,
                           f"CPU lacks AVX-512 BF16 and AMX (torch capability {capability}): "
                           f"bfloat16 would be emulated, slower than float32")


@dataclass(frozen=True)
class GateRecord:
    """The measured bfloat16 fidelity gate of one model (see ``docs/performance.md``)."""

    passed: bool
    summary: str


#: Gate results measured with ``python -m headprint.patterns.fidelity --model NAME``, keyed
#: by built-in name. Fine-tuned copies share their base's entry (matched by
#: :func:`model_signature`). Models not listed were not gated: ``auto`` uses bfloat16 for
#: them when the hardware is fast, and says that the model was not gated.
GATE_RESULTS: dict[str, GateRecord] = {
    # Measured on a CPU without bfloat16 instructions, bfloat16 products emulated as float32
    # products of bfloat16 values (patterns.fidelity.float32_products); docs/performance.md.
    "smollm2-135m": GateRecord(True, "gsm8k, 24 rows: mean r 0.9996, median 0.9972, worst "
                                     "0.9940; few-shot 24×256: 0.9991 / 0.9969 / 0.9836"),
    "gemma3-270m": GateRecord(True, "gsm8k, 24 rows: mean r 0.9998, median 0.9981, worst "
                                    "0.9942"),
    "qwen2.5-coder-0.5b": GateRecord(True, "gsm8k, 24 rows: mean r 0.9996, median 0.9984, "
                                           "worst 0.9967"),
}

#: Architecture signatures of the built-in models, so that a fine-tuned checkpoint of one
#: (a local folder) finds its base model's gate result.
_BUILTIN_SIGNATURES: dict[tuple, str] = {
    ("llama", 30, 9, 576, 49152): "smollm2-135m",
    ("gemma3_text", 18, 4, 640, 262144): "gemma3-270m",
    ("qwen2", 24, 14, 896, 151936): "qwen2.5-coder-0.5b",
}


def model_signature(config: dict) -> tuple:
    """``(model_type, layers, heads, hidden, vocab)`` of a config.json mapping."""
    return (config.get("model_type"), config.get("num_hidden_layers"),
            config.get("num_attention_heads"), config.get("hidden_size"),
            config.get("vocab_size"))


def _gated_name(model: str | None) -> str | None:
    """The built-in model whose gate result applies to ``model`` (name or folder)."""
    if model is None:
        return None
    from headprint.models.registry import BUILTIN_MODELS

    if model in BUILTIN_MODELS:
        return model
    config = Path(model).expanduser() / "config.json"
    if config.is_file():
        try:
            return _BUILTIN_SIGNATURES.get(model_signature(json.loads(config.read_text())))
        except (OSError, json.JSONDecodeError):
            return None
    return None


@dataclass(frozen=True)
class DtypeChoice:
    """A resolved dtype: ``dtype`` (what the weights are in), ``requested`` (as given),
    ``reason`` (why, for ``auto``; empty for an explicit choice)."""

    dtype: torch.dtype
    requested: str
    reason: str = ""

    @property
    def name(self) -> str:
        return dtype_name(self.dtype)


def choose_dtype(requested: str | torch.dtype | None = "auto",
                 device: str | torch.device | None = None,
                 model: str | None = None) -> DtypeChoice:
    """Resolve ``requested`` (``auto``, a dtype name, a ``torch.dtype``; None = ``auto``).

    Raises:
        ValueError: an unknown dtype name.
    """
    if isinstance(requested, torch.dtype):
        return DtypeChoice(requested, dtype_name(requested))
    if requested is not None and requested != "auto":
        if requested not in _NAMES:
            raise ValueError(f"unknown dtype {requested!r}; choose auto or one of "
                             f"{sorted(_NAMES)}")
        return DtypeChoice(_NAMES[requested], requested)
    override = os.environ.get("HEADPRINT_AUTO_DTYPE")
    if override:
        if override not in ("float32", "bfloat16"):
            raise ValueError(f"HEADPRINT_AUTO_DTYPE={override!r}: use float32 or bfloat16")
        hardware = HardwareSupport(str(device or "cpu"), override == "bfloat16",
                                   f"HEADPRINT_AUTO_DTYPE={override}")
    else:
        hardware = bf16_support(device)
    if not hardware.fast:
        return DtypeChoice(torch.float32, "auto", f"float32: {hardware.reason}")
    gated = _gated_name(model)
    record = GATE_RESULTS.get(gated) if gated else None
    if record is not None and not record.passed:
        return DtypeChoice(torch.float32, "auto",
                           f"float32: {gated} failed the bfloat16 fidelity gate "
                           f"({record.summary})")
    note = (f"{gated} passed the bfloat16 fidelity gate ({record.summary})" if record
            else "model not gated for bfloat16")
    return DtypeChoice(torch.bfloat16, "auto", f"bfloat16: {hardware.reason}; {note}")
