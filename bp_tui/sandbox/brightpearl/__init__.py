"""Emulation of the Brightpearl public API (see ``sandbox.py``)."""

from bp_tui.sandbox.brightpearl.sandbox import BrightpearlSandbox

__all__ = ["BrightpearlSandbox"]
