"""Alerts (incidents from the state, messages through Apprise, the heartbeat) and the health
report of `bp-tui status` (text, JSON, Prometheus textfile)."""
