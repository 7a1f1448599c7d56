"""Widgets of the dashboard's screens."""
