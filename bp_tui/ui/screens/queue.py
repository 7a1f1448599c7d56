"""The order queue: one row per goods-out note, live while a sync runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.reactive import var
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, ProgressBar, Static

from bp_tui.core.stages import Stage
from bp_tui.core.types import Diagnosis, QueuePage, QueueRow
from bp_tui.ui.messages import DiagnosisReady
from bp_tui.ui.queue_model import SORTS, STAGE_FILTERS
from bp_tui.ui.screens.base import DashboardScreen
from bp_tui.ui.screens.confirm_cancel import ConfirmCancelScreen
from bp_tui.ui.status import SyncStatus
from bp_tui.ui.widgets.detail import detail_renderable
from bp_tui.ui.widgets.diagnosis import diagnosis_renderable
from bp_tui.ui.widgets.navbar import NavBar
from bp_tui.ui.widgets.queue_header import OperatorHeader
from bp_tui.ui.widgets.queue_table import EmptySource, QueueTable
from bp_tui.ui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from bp_tui.service.connector import Connector

HIDDEN = "-hidden"  # app.tcss: display: none


class DiagnosisScreen(ModalScreen[None]):
    """The diagnose verdict of the selected GON."""

    BINDINGS = [
        Binding(
            "escape",
            "dismiss",
            "Close",
            id="diagnosis.close",
            key_display="Esc",
            tooltip="Back to the queue",
        )
    ]
    HELP_TITLE = "Diagnosis"

    def __init__(self, ident: int, diagnoses: list[Diagnosis]) -> None:
        super().__init__()
        self.ident = ident
        self.diagnoses = diagnoses

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="diagnosis-body"):
            yield Static(f"Why is {self.ident} where it is?", classes="section-title")
            yield Static(diagnosis_renderable(self.ident, self.diagnoses), id="diagnosis-text")
            yield Static("Esc closes.", classes="hint")


@dataclass(frozen=True)
class ConnectorView:
    """One view of the queue as the state serves it: the table's source."""

    connector: Connector
    stage: Stage | None
    search: str
    sort: str

    def page(self, offset: int, limit: int) -> QueuePage:
        return self.connector.queue_page(
            stage=self.stage, search=self.search, sort=self.sort, offset=offset, limit=limit
        )

    def rows_of(self, gon_ids: list[int]) -> dict[int, QueueRow]:
        return self.connector.queue_rows_of(gon_ids)

    def position(self, gon_id: int) -> int | None:
        return self.connector.queue_position(
            gon_id, stage=self.stage, search=self.search, sort=self.sort
        )


class QueueScreen(DashboardScreen):
    HELP_TITLE = "Order queue"
    PALETTE_GROUP = "Queue"
    AUTO_FOCUS = "#queue-table"

    BINDINGS = [
        Binding(
            "s",
            "sync('sync')",
            "Sync now",
            id="queue.sync",
            tooltip="Import printed GONs and confirm shipments now",
        ),
        Binding(
            "i",
            "sync('import only')",
            "Import only",
            id="queue.import",
            show=False,
            tooltip="Run only the import half of a cycle",
        ),
        Binding(
            "c",
            "sync('confirm only')",
            "Confirm only",
            id="queue.confirm",
            show=False,
            tooltip="Run only the confirm half (write shipments back)",
        ),
        Binding(
            "x",
            "confirm_cancels",
            "Confirm held cancels",
            id="queue.confirm_cancels",
            show=False,
            tooltip="Cancel the ShipStation orders the deletion guard held (it asks first)",
        ),
        Binding(
            "r",
            "retry_selected",
            "Retry",
            id="queue.retry",
            tooltip="Make the selected GON eligible again on the next sync",
        ),
        Binding(
            "R",
            "retry_all",
            "Retry all failed",
            id="queue.retry_all",
            show=False,
            key_display="R",
            tooltip="Make every failed GON eligible again on the next sync",
        ),
        Binding(
            "d",
            "diagnose",
            "Diagnose",
            id="queue.diagnose",
            tooltip="Why is the selected GON where it is, and the fix",
        ),
        Binding(
            "p",
            "pause",
            "Pause/resume",
            id="queue.pause",
            show=False,
            tooltip="Pause or resume the automatic sync",
        ),
        Binding(
            "slash",
            "search",
            "Search",
            id="queue.search",
            key_display="/",
            priority=True,
            tooltip=(
                "Find notes by the start of their GON id, order id, reference, tracking or customer"
            ),
        ),
        Binding(
            "f",
            "filter_stage",
            "Filter",
            id="queue.filter",
            tooltip="Show one stage at a time (cycles: all, waiting, ready, …)",
        ),
        Binding(
            "o",
            "sort",
            "Sort",
            id="queue.sort",
            show=False,
            tooltip="Change the order: stage, age, GON, order, customer, last changed",
        ),
        Binding(
            "enter",
            "detail",
            "Detail",
            id="queue.detail",
            key_display="⏎",
            tooltip="Both sides' data and the GON's history",
        ),
        Binding(
            "escape",
            "close",
            "Close",
            id="queue.close",
            show=False,
            key_display="Esc",
            tooltip="Close the detail pane or the search",
        ),
    ]

    # What the operator chose to see; each change reads the view from the state again.
    stage_filter: var[str] = var("all", init=False)
    sort: var[str] = var("stage", init=False)
    search: var[str] = var("", init=False)
    # Which panes are open.
    searching: var[bool] = var(False, init=False)
    detail_gon: var[int | None] = var(None, init=False)

    def __init__(self) -> None:
        super().__init__()
        self._was_running = False
        self._loaded = False  # the table holds a view read from the state
        self._notes = 0  # every note in the state, all stages
        self._header_read = False  # the header shows a reading of the state

    def compose(self) -> ComposeResult:
        yield NavBar("queue")
        yield StatusLine(id="status")
        yield ProgressBar(id="sync-progress", show_eta=False, classes=HIDDEN)
        yield OperatorHeader(id="queue-header")
        yield Static(id="view-line")
        yield QueueTable(id="queue-table", now=lambda: self.bp_app.clock())
        yield Static(id="queue-empty")
        with VerticalScroll(id="detail", classes=HIDDEN):
            yield Static(id="detail-text")
        yield Input(
            placeholder="search: start of a GON, order, reference, tracking or customer "
            "(Enter keeps, Esc clears)",
            id="search",
            classes=HIDDEN,
        )
        yield Footer(compact=True)

    @property
    def table(self) -> QueueTable:
        return self.query_one(QueueTable)

    def on_mount(self) -> None:
        self.watch(self.app, "status", self._status_changed)
        self.watch(self.app, "queue_version", self._reload)
        self.set_interval(1.0, self._tick, name="queue-clock")

    # ----------------------------------------------------------------- state
    def watch_stage_filter(self) -> None:
        self.refresh_table(state_changed=False)

    def watch_sort(self) -> None:
        self.refresh_table(state_changed=False)

    def watch_search(self) -> None:
        self.refresh_table(state_changed=False)

    def watch_searching(self, searching: bool) -> None:
        self.query_one("#search").set_class(not searching, HIDDEN)

    def watch_detail_gon(self, gon: int | None) -> None:
        self.query_one("#detail").set_class(gon is None, HIDDEN)

    # ----------------------------------------------------------------- header
    def _tick(self) -> None:
        self._status_changed(self.bp_app.status)
        self.query_one(OperatorHeader).tick(self.bp_app.clock())

    def _status_changed(self, status: SyncStatus) -> None:
        self.query_one(StatusLine).show(status, self.bp_app.clock())
        bar = self.query_one("#sync-progress", ProgressBar)
        if status.running:
            bar.remove_class(HIDDEN)
            bar.update(total=status.total or None, progress=status.done)
        elif self._was_running:
            # Keep the finished bar up a moment, so even a quick cycle is seen to happen.
            bar.update(total=max(status.total, 1), progress=max(status.total, 1))
            linger = self.bp_app.progress_linger_seconds
            if linger > 0:
                self.set_timer(linger, self._hide_bar, name="progress-linger")
            else:
                bar.add_class(HIDDEN)
        self._was_running = status.running

    def _hide_bar(self) -> None:
        if not self.bp_app.status.running:
            self.query_one("#sync-progress").add_class(HIDDEN)

    # ------------------------------------------------------------------- rows
    def _reload(self, _version: int = 0) -> None:
        """The state changed: while a sync runs, the rows on screen and the counts; else the
        whole view again (re-sorted, the cursor kept on its GON)."""
        self.refresh_table(
            stable=self.bp_app.status.running and self._loaded and self.table.row_count > 0
        )
        if self.detail_gon is not None:
            self._show_detail(self.detail_gon)

    def refresh_table(self, *, stable: bool = False, state_changed: bool = True) -> None:
        """Read the view from the state. ``stable`` (while a sync runs): only the rows on screen,
        in place, so nothing moves under the operator; otherwise the view again, in order.
        The header is read again when the state changed, not for another filter, search or
        sort (a keystroke in the search reads the view only)."""
        connector = self.bp_app.connector
        if state_changed or not self._header_read:
            # while a sync runs: the counts and the oldest note; the 24 hours when it ends
            header = (
                connector.queue_header(self.bp_app.clock(), activity=not stable)
                if connector is not None
                else None
            )
            self._notes = sum(header.counts.values()) if header is not None else 0
            self.query_one(OperatorHeader).show(header, self.bp_app.clock())
            self._header_read = True
        table = self.table
        if stable:
            table.refresh_rows()
        elif connector is None:
            table.load(EmptySource())
        else:
            view = ConnectorView(
                connector,
                None if self.stage_filter == "all" else Stage(self.stage_filter),
                self.search,
                self.sort,
            )
            # The cursor stays on its GON, unless it is on the first row: then on the first row
            # (the most urgent note, the list being re-sorted).
            table.load(view, keep_gon=table.selected_gon if table.cursor_row > 0 else None)
            self._loaded = True
        self._update_view_line()

    def _update_view_line(self) -> None:
        table = self.table
        count = table.row_count
        text = Text()
        text.append(f"Stage: {self.stage_filter}", style="bold")
        text.append(f" · sort: {self.sort}")
        text.append(f" · search: {self.search!r}" if self.search else " · search: -")
        if table.capped:
            text.append(f" · more than {count - 1:,} match (type more)", style="bold")
        else:
            text.append(f" · {count:,} of {self._notes:,} GONs")
        self.query_one("#view-line", Static).update(text, layout=False)  # one line, fixed height
        empty = self.query_one("#queue-empty", Static)
        if self.bp_app.connector is None:
            empty.update(
                "No connection set up yet. Press F3 for Connection setup, fill in Brightpearl and "
                "ShipStation, then ctrl+s to save."
            )
        elif not self._notes:
            empty.update(
                "No goods-out notes yet. "
                "Press s to sync: printed GONs from Brightpearl appear here."
            )
        elif count == 0:
            empty.update(
                "No GON matches this filter/search. "
                "Press f to change the stage, Esc to clear the search."
            )
        empty.set_class(
            self.bp_app.connector is not None and bool(self._notes) and count > 0, HIDDEN
        )

    def selected_gon(self) -> int | None:
        return self.table.selected_gon

    # ---------------------------------------------------------------- actions
    def action_sync(self, kind: str) -> None:
        self.bp_app.start_sync(kind)

    def action_retry_selected(self) -> None:
        gon = self.selected_gon()
        if gon is None:
            self.notify("No GON selected.", title="Retry", severity="warning")
            return
        self.bp_app.retry([gon])

    def action_retry_all(self) -> None:
        self.bp_app.retry(None)

    def action_confirm_cancels(self) -> None:
        connector = self.bp_app.connector
        held = connector.held_cancellations() if connector is not None else []
        if not held:
            self.notify(
                "No cancellations are waiting for a confirmation.", title="Confirm held cancels"
            )
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.bp_app.start_sync("confirm cancels")

        self.app.push_screen(ConfirmCancelScreen(len(held)), answered)

    def action_diagnose(self) -> None:
        gon = self.selected_gon()
        if gon is None:
            self.notify("No GON selected.", title="Diagnose", severity="warning")
            return
        self.bp_app.diagnose(gon, self)

    def on_diagnosis_ready(self, message: DiagnosisReady) -> None:
        self.app.push_screen(DiagnosisScreen(message.ident, message.diagnoses))

    def action_pause(self) -> None:
        self.bp_app.toggle_pause()

    def action_search(self) -> None:
        """``/``: a priority binding, run before the next key is taken, and the focus moves now
        (not after a refresh): keys typed right after it, in one burst over SSH or while a sync
        keeps the loop busy, all go to the search, in order, and none to the queue's shortcuts."""
        search = self.query_one("#search", Input)
        if search.has_focus:  # a "/" typed in the search is part of it
            search.insert_text_at_cursor("/")
            return
        self.searching = True
        self.set_focus(search)

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.search = event.value

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        """Enter keeps the search (the filter line shows it; ``/`` edits it, Esc clears it) and
        gives its rows back to the table and the detail pane."""
        self.searching = False
        self.table.focus()

    def action_filter_stage(self) -> None:
        index = STAGE_FILTERS.index(self.stage_filter)
        self.stage_filter = STAGE_FILTERS[(index + 1) % len(STAGE_FILTERS)]

    def action_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]

    @on(QueueTable.Selected, "#queue-table")
    def _row_selected(self) -> None:
        self.action_detail()

    def action_detail(self) -> None:
        gon = self.selected_gon()
        if gon is None:
            return
        self._show_detail(gon)

    def _show_detail(self, gon: int) -> None:
        connector = self.bp_app.connector
        row = connector.queue_rows_of([gon]).get(gon) if connector is not None else None
        if row is None or connector is None:
            return
        self.query_one("#detail-text", Static).update(
            detail_renderable(row, connector.history(gon), self.bp_app.clock())
        )
        self.detail_gon = gon

    def action_close(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_focus or ((self.searching or self.search) and self.detail_gon is None):
            search.value = ""
            self.searching = False
            self.table.focus()
            return
        self.detail_gon = None
