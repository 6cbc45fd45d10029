"""headprint data stage."""
