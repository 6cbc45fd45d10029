"""headprint evaluation stage."""
