"""headprint selection stage."""
