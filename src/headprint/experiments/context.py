"""What every experiment step needs: the model, the scale, the output folder, the step runner.

Output layout of ``headprint reproduce NAME --out DIR``::

    DIR/steps/<kind>/<label>-<key>/   one folder per step (pattern sets, SFT runs, eval
                                      results, data files), shared by the experiments
    DIR/<NAME>/                       the experiment's tables, figures, results.json and
                                      report.html (headprint's numbers beside the paper's)
    DIR/index.html                    one page linking every experiment run into DIR
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from headprint.experiments.scales import Scale
from headprint.experiments.steps import Steps

__all__ = ["Context", "model_identity", "model_format"]


def model_identity(name: str) -> str:
    """Fingerprint of a model's weights without loading it (built-in, folder) or the name
    itself for a hub id (its commit is only known once loaded)."""
    from headprint.models import BUILTIN_MODELS, weights_fingerprint

    if name in BUILTIN_MODELS:
        from headprint.models.loading import convert_builtin

        return weights_fingerprint(convert_builtin(name))
    if Path(name).expanduser().is_dir():
        return weights_fingerprint(Path(name).expanduser())
    return f"hub:{name}"


def model_format(name: str, requested: str = "auto") -> str:
    """The resolved prompt format (chat or raw) of a model for ``requested`` (auto, chat,
    raw; :mod:`headprint.data.prompt_format`), from its tokenizer alone."""
    from headprint.data.prompt_format import resolve_format

    if requested == "raw":
        return "raw"
    from transformers import AutoTokenizer

    from headprint.models import BUILTIN_MODELS

    folder: Path | None = None
    if name in BUILTIN_MODELS:
        from headprint.models.loading import convert_builtin

        folder = convert_builtin(name)
    elif Path(name).expanduser().is_dir():
        folder = Path(name).expanduser()
    tokenizer = AutoTokenizer.from_pretrained(str(folder or name))
    return resolve_format(requested, tokenizer, folder)


@dataclass
class Context:
    """Model, scale and folders of one ``reproduce`` call.

    Attributes:
        model: the model as given (built-in name, folder or hub id).
        fingerprint: its weights' fingerprint, part of every step's settings.
        scale: sizes (:class:`~headprint.experiments.scales.Scale`).
        out: the output folder ``DIR``; ``steps`` runs steps under ``DIR/steps``.
        format: the resolved prompt format (chat or raw) every step trains, measures and
            evaluates in; part of the settings of every step when it is chat (raw steps
            keep the keys they had before formats).
    """

    model: str
    fingerprint: str
    scale: Scale
    out: Path
    steps: Steps
    format: str = "raw"
    dtype: str = "auto"
    """``--dtype`` for every step (SFT, patterns, evaluation); see :meth:`precision`."""

    @classmethod
    def create(cls, model: str, scale: Scale, out: str | Path,
               prompt_format: str = "auto", dtype: str = "auto") -> "Context":
        out = Path(out)
        return cls(model, model_identity(model), scale, out, Steps(out / "steps"),
                   model_format(model, prompt_format), dtype)

    def with_format(self, settings: dict) -> dict:
        """``settings`` with the prompt format added when it is not raw."""
        return settings if self.format == "raw" else {**settings, "format": self.format}

    def precision(self) -> str:
        """The dtype ``self.dtype`` resolves to for the base model on this machine."""
        from headprint.models.precision import choose_dtype

        return choose_dtype(self.dtype, None, self.model).name

    def base(self) -> dict[str, str]:
        """Settings entry naming the base model (and the dtype, unless float32: steps made
        in float32 before ``--dtype`` existed keep their keys)."""
        base = {"model": self.model, "fingerprint": self.fingerprint}
        used = self.precision()
        if used != "float32":
            base["dtype"] = used
        return base

    def model_path(self, ref: str | None) -> str:
        """The model to load: the base model for ``None``, else the final model of the SFT
        step whose folder (relative to the step root) is ``ref``.

        Raises:
            FileNotFoundError: that step's weights were pruned or never written.
        """
        if ref is None:
            return self.model
        final = self.steps.path(ref) / "run" / "final"
        if not any(final.glob("*.safetensors")):
            raise FileNotFoundError(
                f"{final} holds no weights (pruned after its evaluation?); delete the step "
                f"folder {self.steps.path(ref)} to train it again")
        return str(final)

    def exp_dir(self, name: str) -> Path:
        folder = self.out / name
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def prune_weights(self, ref: str) -> None:
        """Delete a finished SFT step's model weights (tracked patterns and logs stay)."""
        final = self.steps.path(ref) / "run" / "final"
        for weights in final.glob("*.safetensors"):
            weights.unlink()
        for checkpoint in (self.steps.path(ref) / "run").glob("checkpoint-*"):
            shutil.rmtree(checkpoint, ignore_errors=True)
