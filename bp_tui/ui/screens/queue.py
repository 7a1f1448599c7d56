"""The order queue: one row per goods-out note, live while a sync runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.reactive import var
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Input, ProgressBar, Static

from bp_tui.core.stages import STAGE_GLYPHS
from bp_tui.core.types import Diagnosis, QueueRow
from bp_tui.ui.messages import DiagnosisReady
from bp_tui.ui.queue_model import SORTS, STAGE_FILTERS, stage_counts, visible_rows
from bp_tui.ui.screens.base import DashboardScreen
from bp_tui.ui.status import SyncStatus
from bp_tui.ui.widgets.detail import detail_renderable
from bp_tui.ui.widgets.diagnosis import diagnosis_renderable
from bp_tui.ui.widgets.navbar import NavBar
from bp_tui.ui.widgets.queue_table import QueueTable
from bp_tui.ui.widgets.status_line import StatusLine

HIDDEN = "-hidden"  # app.tcss: display: none


class DiagnosisScreen(ModalScreen[None]):
    """The diagnose verdict of the selected GON."""

    BINDINGS = [Binding("escape", "dismiss", "Close", id="diagnosis.close", key_display="Esc",
                        tooltip="Back to the queue")]
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


class QueueScreen(DashboardScreen):
    HELP_TITLE = "Order queue"
    PALETTE_GROUP = "Queue"
    AUTO_FOCUS = "#queue-table"

    BINDINGS = [
        Binding("s", "sync('sync')", "Sync now", id="queue.sync",
                tooltip="Import printed GONs and confirm shipments now"),
        Binding("i", "sync('import only')", "Import only", id="queue.import", show=False,
                tooltip="Run only the import half of a cycle"),
        Binding("c", "sync('confirm only')", "Confirm only", id="queue.confirm", show=False,
                tooltip="Run only the confirm half (write shipments back)"),
        Binding("r", "retry_selected", "Retry", id="queue.retry",
                tooltip="Make the selected GON eligible again on the next sync"),
        Binding("R", "retry_all", "Retry all failed", id="queue.retry_all", show=False, key_display="R",
                tooltip="Make every failed GON eligible again on the next sync"),
        Binding("d", "diagnose", "Diagnose", id="queue.diagnose",
                tooltip="Why is the selected GON where it is, and the fix"),
        Binding("p", "pause", "Pause/resume", id="queue.pause", show=False,
                tooltip="Pause or resume the automatic sync"),
        Binding("slash", "search", "Search", id="queue.search", key_display="/",
                tooltip="Search GON, order, reference, customer, tracking, reason"),
        Binding("f", "filter_stage", "Filter", id="queue.filter",
                tooltip="Show one stage at a time (cycles: all, waiting, ready, …)"),
        Binding("o", "sort", "Sort", id="queue.sort", show=False,
                tooltip="Change the order: stage, age, GON, order, customer"),
        Binding("enter", "detail", "Detail", id="queue.detail", key_display="⏎",
                tooltip="Both sides' data and the GON's history"),
        Binding("escape", "close", "Close", id="queue.close", show=False, key_display="Esc",
                tooltip="Close the detail pane or the search"),
    ]

    # What the operator chose to see; each change re-shows the table.
    stage_filter: var[str] = var("all", init=False)
    sort: var[str] = var("stage", init=False)
    search: var[str] = var("", init=False)
    # Which panes are open.
    searching: var[bool] = var(False, init=False)
    detail_gon: var[int | None] = var(None, init=False)

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[QueueRow] = []
        self.by_gon: dict[int, QueueRow] = {}
        self._loaded_since: datetime | None = None  # state rows newer than this are re-read live
        self._was_running = False

    def compose(self) -> ComposeResult:
        yield NavBar("queue")
        yield StatusLine(id="status")
        yield ProgressBar(id="sync-progress", show_eta=False, classes=HIDDEN)
        yield Static(id="view-line")
        yield QueueTable(id="queue-table")
        yield Static(id="queue-empty")
        with VerticalScroll(id="detail", classes=HIDDEN):
            yield Static(id="detail-text")
        yield Input(placeholder="search: GON, order, reference, customer, tracking, reason (Enter keeps, Esc clears)",
                    id="search", classes=HIDDEN)
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
        self.refresh_table()

    def watch_sort(self) -> None:
        self.refresh_table()

    def watch_search(self) -> None:
        self.refresh_table()

    def watch_searching(self, searching: bool) -> None:
        self.query_one("#search").set_class(not searching, HIDDEN)

    def watch_detail_gon(self, gon: int | None) -> None:
        self.query_one("#detail").set_class(gon is None, HIDDEN)

    # ----------------------------------------------------------------- header
    def _tick(self) -> None:
        self._status_changed(self.bp_app.status)

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
        connector = self.bp_app.connector
        running = self.bp_app.status.running
        # Real time (not the display clock): it is compared with the state's timestamps.
        started = datetime.now(UTC) - timedelta(seconds=1)
        if running and connector is not None and self._loaded_since is not None and self.table.row_count:
            self._apply_changes(connector.queue_rows(changed_since=self._loaded_since))
        else:
            self.rows = connector.queue_rows() if connector is not None else []
            self.by_gon = {r.gon_id: r for r in self.rows}
            self.refresh_table(stable=running)
        self._loaded_since = started
        if self.detail_gon is not None:
            self._show_detail(self.detail_gon)

    def _passes(self, row: QueueRow) -> bool:
        return bool(visible_rows([row], stage=self.stage_filter, search=self.search, sort=self.sort))

    def _apply_changes(self, changed: list[QueueRow]) -> None:
        """Live update while a sync runs: touch only the rows that changed, keep the order."""
        if not changed:
            return
        for row in changed:
            self.by_gon[row.gon_id] = row
        table = self.table
        table.apply_changes([(row, self._passes(row)) for row in changed], self.bp_app.clock())
        self.rows = list(self.by_gon.values())
        self._update_view_line(table.row_count)

    def refresh_table(self, *, stable: bool = False) -> None:
        """Show the filtered, sorted rows; cells are updated in place when the row set is unchanged.

        ``stable`` (while a sync runs) keeps the rows where they are and appends new ones, so a
        live update costs little even with 10,000 rows; the full re-sort comes at the end.
        """
        shown = visible_rows(self.rows, stage=self.stage_filter, search=self.search, sort=self.sort)
        self.table.show(shown, self.bp_app.clock(), stable=stable)
        self._update_view_line(len(shown))

    def _update_view_line(self, count: int) -> None:
        counts = stage_counts(self.rows)
        text = Text()
        text.append(f"Stage: {self.stage_filter}", style="bold")
        text.append(f" · sort: {self.sort}")
        text.append(f" · search: {self.search!r}" if self.search else " · search: -")
        text.append(f" · {count} of {len(self.rows)} GONs")
        problems = [f"{STAGE_GLYPHS[s]} {counts[s]} {s}" for s in ("failed", "attention") if counts.get(s)]
        if problems:
            text.append(" · " + ", ".join(problems), style="bold")
        self.query_one("#view-line", Static).update(text, layout=False)  # one line, fixed height
        empty = self.query_one("#queue-empty", Static)
        if self.bp_app.connector is None:
            empty.update("No connection set up yet. Press F3 for Connection setup, fill in Brightpearl and "
                         "ShipStation, then ctrl+s to save.")
        elif not self.rows:
            empty.update("No goods-out notes yet. Press s to sync: printed GONs from Brightpearl appear here.")
        elif count == 0:
            empty.update("No GON matches this filter/search. Press f to change the stage, Esc to clear the search.")
        empty.set_class(self.bp_app.connector is not None and bool(self.rows) and count > 0, HIDDEN)

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
        self.searching = True
        self.query_one("#search", Input).focus()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.search = event.value

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        self.table.focus()

    def action_filter_stage(self) -> None:
        index = STAGE_FILTERS.index(self.stage_filter)
        self.stage_filter = STAGE_FILTERS[(index + 1) % len(STAGE_FILTERS)]

    def action_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]

    @on(DataTable.RowSelected, "#queue-table")
    def _row_selected(self) -> None:
        self.action_detail()

    def action_detail(self) -> None:
        gon = self.selected_gon()
        if gon is None:
            return
        self._show_detail(gon)

    def _show_detail(self, gon: int) -> None:
        row = self.by_gon.get(gon)
        connector = self.bp_app.connector
        if row is None or connector is None:
            return
        self.query_one("#detail-text", Static).update(
            detail_renderable(row, connector.history(gon), self.bp_app.clock()))
        self.detail_gon = gon

    def action_close(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_focus or (self.searching and self.detail_gon is None):
            search.value = ""
            self.searching = False
            self.table.focus()
            return
        self.detail_gon = None
