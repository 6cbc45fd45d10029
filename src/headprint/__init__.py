"""headprint: attention-head activation patterns of causal language models.

The public API (see ``docs/api.md``) is importable from the top level, lazily, so that the
CLI does not pay for torch and transformers on ``--help``::

    import headprint as hp
    loaded = hp.load_model("smollm2-135m")
    patterns = hp.compute_patterns(loaded.model, loaded.tokenizer, "gsm8k", limit=16)
"""
from __future__ import annotations

from headprint.lazy import lazy_exports

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


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
