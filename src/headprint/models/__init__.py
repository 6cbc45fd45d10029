"""Models: built-in offline models, local folders and hub ids; per-architecture module paths."""
from headprint.models.loading import LoadedModel, load_model, resolve_dtype, weights_fingerprint
from headprint.models.registry import BUILTIN_MODELS, DEFAULT_MODEL, UnknownModelError

__all__ = ["LoadedModel", "load_model", "resolve_dtype", "weights_fingerprint",
           "BUILTIN_MODELS", "DEFAULT_MODEL", "UnknownModelError"]
