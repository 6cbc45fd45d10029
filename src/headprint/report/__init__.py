"""headprint report stage."""
