"""Provider-neutral business services."""
