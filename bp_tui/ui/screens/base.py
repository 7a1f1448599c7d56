"""What the dashboard's screens share: typed access to the running app."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.screen import Screen

if TYPE_CHECKING:
    from bp_tui.ui.app import BpApp


class DashboardScreen(Screen[None]):
    """A screen of :class:`~bp_tui.ui.app.BpApp` (queue, setup, troubleshoot)."""

    @property
    def bp_app(self) -> BpApp:
        """The running dashboard, typed (``self.app`` is typed as a plain ``App``)."""
        return cast("BpApp", self.app)
