"""Activation patterns: per-head gradient scores of a causal LM on a dataset."""
from headprint.patterns.artifact import PatternSet, PatternSetError, load_pattern_set

__all__ = ["PatternSet", "PatternSetError", "load_pattern_set"]
