"""The overview: every profile of the install on one screen, one line each. Enter opens the
chosen profile's queue (and with it its setup and troubleshooting screens); F5 comes back here."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Footer, Static

from bp_tui.service.overview import read_overview
from bp_tui.ui.screens.base import DashboardScreen
from bp_tui.ui.widgets.navbar import NavBar
from bp_tui.ui.widgets.profile_table import LEGEND, ProfileTable

REFRESH_SECONDS = 5.0  # the lines are read again this often (a few index reads per profile)


class OverviewScreen(DashboardScreen):
    HELP_TITLE = "Profiles"
    BINDINGS = [
        Binding(
            "enter",
            "open_profile",
            "Open",
            id="overview.open",
            key_display="⏎",
            tooltip="Open this profile's queue, setup and troubleshooting",
        ),
        Binding(
            "r",
            "refresh",
            "Refresh",
            id="overview.refresh",
            tooltip="Read every profile's state again",
        ),
    ]

    def compose(self) -> ComposeResult:
        yield NavBar("overview")
        yield Static(
            Text(
                "Profiles: ↑↓ choose, Enter opens one, F5 comes back here",
                no_wrap=True,
                overflow="ellipsis",
            ),
            id="overview-title",
        )
        yield ProfileTable(id="overview-table")
        yield Static(Text(LEGEND), id="overview-legend")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.refresh_lines()
        self.set_interval(REFRESH_SECONDS, self.refresh_lines, name="overview-refresh")
        self.watch(self.app, "queue_version", lambda _: self.refresh_lines(), init=False)

    def on_screen_resume(self) -> None:
        self.refresh_lines()
        self.query_one(ProfileTable).focus()

    def refresh_lines(self) -> None:
        app = self.bp_app
        self.query_one(ProfileTable).show(read_overview(app.profile_list()), app.clock())

    def action_refresh(self) -> None:
        self.refresh_lines()

    def action_open_profile(self) -> None:
        table = self.query_one(ProfileTable)
        if table.row_count:
            self.bp_app.open_profile(
                str(table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value)
            )

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.bp_app.open_profile(str(event.row_key.value))
