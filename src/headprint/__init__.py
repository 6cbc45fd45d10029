"""headprint: attention-head activation patterns of causal language models."""
__version__ = "0.1.0"
