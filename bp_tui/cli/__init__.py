"""The `bp-tui` command line."""

from bp_tui.cli.main import main

__all__ = ["main"]
