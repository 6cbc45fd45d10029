"""headprint: attention-head activation patterns of causal language models.

The public API (see ``docs/api.md``) is importable from the top level, lazily, so that the
CLI does not pay for torch and transformers on ``--help``::

    import headprint as hp
    loaded = hp.load_model("smollm2-135m")
    patterns = hp.compute_patterns(loaded.model, loaded.tokenizer, "gsm8k", limit=16)
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    **{name: "headprint.api" for name in (
        "load_model", "load_data", "load_pattern_set", "compute_patterns", "stats", "compare",
        "similarity", "compose", "track", "validate", "select", "mix", "evaluate", "sft")},
    "reproduce": "headprint.experiments.api",
    "build_report": "headprint.report.html",
    "record_head_scores": "headprint.patterns.recording",
    "HeadScoreRecording": "headprint.patterns.recording",
    "PatternSet": "headprint.patterns.artifact",
    "LoadedModel": "headprint.models.loading",
    "HeadprintError": "headprint.errors",
    "StatsResult": "headprint.results",
    "ComparisonResult": "headprint.results",
    "SimilarityResult": "headprint.results",
    "CompositionResult": "headprint.results",
    "TrackingResult": "headprint.results",
    "ValidationResult": "headprint.validation.result",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'headprint' has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
