"""Plain web endpoints (health, metrics)."""
