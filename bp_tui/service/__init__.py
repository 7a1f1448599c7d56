"""The seam between the core and its callers (dashboard, CLI)."""
