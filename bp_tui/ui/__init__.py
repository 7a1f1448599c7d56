"""The Textual dashboard: the only package of bp-tui that imports Textual."""

from bp_tui.ui.app import BpApp

__all__ = ["BpApp"]
