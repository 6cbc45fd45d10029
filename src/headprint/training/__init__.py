"""headprint training stage."""
