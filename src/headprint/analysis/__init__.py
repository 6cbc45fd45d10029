"""headprint analysis stage."""
