"""Troubleshooting: guided checks (doctor), per-note diagnosis, support bundle."""
