"""The order queue: one row per goods-out note, live while a sync runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Input, ProgressBar, Static

from bp_tui.core.stages import STAGE_GLYPHS
from bp_tui.core.types import Diagnosis, QueueRow
from bp_tui.ui.messages import DiagnosisReady
from bp_tui.ui.queue_model import COLUMNS, SORTS, STAGE_FILTERS, row_cells, stage_counts, visible_rows
from bp_tui.ui.status import SyncStatus
from bp_tui.ui.widgets.detail import detail_renderable
from bp_tui.ui.widgets.diagnosis import diagnosis_renderable
from bp_tui.ui.widgets.navbar import NavBar
from bp_tui.ui.widgets.status_line import StatusLine


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


class QueueScreen(Screen[None]):
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

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[QueueRow] = []
        self.by_gon: dict[int, QueueRow] = {}
        self.stage_filter = "all"
        self.sort = "stage"
        self.search = ""
        self._shown: list[int] = []
        self._loaded_since: datetime | None = None  # state rows newer than this are re-read live
        self._cells: dict[int, tuple[object, ...]] = {}
        self._detail_gon: int | None = None
        self._was_running = False

    def compose(self) -> ComposeResult:
        yield NavBar("queue")
        yield StatusLine(id="status")
        yield ProgressBar(id="sync-progress", show_eta=False)
        yield Static(id="view-line")
        table: DataTable[object] = DataTable(id="queue-table", cursor_type="row", zebra_stripes=True)
        for key, header, width in COLUMNS:
            table.add_column(header, key=key, width=width)
        yield table
        yield Static(id="queue-empty")
        with VerticalScroll(id="detail"):
            yield Static(id="detail-text")
        yield Input(placeholder="search: GON, order, reference, customer, tracking, reason (Enter keeps, Esc clears)",
                    id="search")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#sync-progress").display = False
        self.query_one("#detail").display = False
        self.query_one("#search").display = False
        self.watch(self.app, "status", self._status_changed)
        self.watch(self.app, "queue_version", self._reload)
        self.set_interval(1.0, self._tick, name="queue-clock")

    # ----------------------------------------------------------------- header
    def _tick(self) -> None:
        self._status_changed(self.app.status)  # type: ignore[attr-defined]

    def _status_changed(self, status: SyncStatus) -> None:
        self.query_one(StatusLine).show(status, self.app.clock())  # type: ignore[attr-defined]
        bar = self.query_one("#sync-progress", ProgressBar)
        if status.running:
            bar.display = True
            bar.update(total=status.total or None, progress=status.done)
        elif self._was_running:
            # Keep the finished bar up a moment, so even a quick cycle is seen to happen.
            bar.update(total=max(status.total, 1), progress=max(status.total, 1))
            linger = getattr(self.app, "progress_linger_seconds", 0.0)
            if linger > 0:
                self.set_timer(linger, self._hide_bar, name="progress-linger")
            else:
                bar.display = False
        self._was_running = status.running

    def _hide_bar(self) -> None:
        if not self.app.status.running:  # type: ignore[attr-defined]
            self.query_one("#sync-progress").display = False

    # ------------------------------------------------------------------- rows
    def _reload(self, _version: int = 0) -> None:
        connector = self.app.connector  # type: ignore[attr-defined]
        running = self.app.status.running  # type: ignore[attr-defined]
        # Real time (not the display clock): it is compared with the state's timestamps.
        started = datetime.now(UTC) - timedelta(seconds=1)
        if running and connector is not None and self._loaded_since is not None and self._shown:
            self._apply_changes(connector.queue_rows(changed_since=self._loaded_since))
        else:
            self.rows = connector.queue_rows() if connector is not None else []
            self.by_gon = {r.gon_id: r for r in self.rows}
            self.refresh_table(stable=running)
        self._loaded_since = started
        if self._detail_gon is not None and self.query_one("#detail").display:
            self._show_detail(self._detail_gon)

    def _apply_changes(self, changed: list[QueueRow]) -> None:
        """Live update while a sync runs: touch only the rows that changed, keep the order."""
        if not changed:
            return
        table = self.query_one("#queue-table", DataTable)
        now = self.app.clock()  # type: ignore[attr-defined]
        shown = set(self._shown)
        for row in changed:
            self.by_gon[row.gon_id] = row
            passes = bool(visible_rows([row], stage=self.stage_filter, search=self.search, sort=self.sort))
            cells = self._styled(row_cells(row, now), row)
            if row.gon_id in shown and passes:
                self._update_row(table, row.gon_id, cells)
                self._cells[row.gon_id] = cells
            elif row.gon_id in shown:
                table.remove_row(str(row.gon_id))
                self._shown.remove(row.gon_id)
                shown.discard(row.gon_id)
                self._cells.pop(row.gon_id, None)
            elif passes:
                table.add_row(*cells, key=str(row.gon_id))
                self._shown.append(row.gon_id)
                shown.add(row.gon_id)
                self._cells[row.gon_id] = cells
        self.rows = list(self.by_gon.values())
        self._update_view_line(len(self._shown))

    def refresh_table(self, *, stable: bool = False) -> None:
        """Show the filtered, sorted rows; update cells in place when the row set is unchanged.

        ``stable`` (while a sync runs) keeps the rows where they are and appends new ones, so a
        live update costs little even with 10,000 rows; the full re-sort comes at the end.
        """
        table = self.query_one("#queue-table", DataTable)
        now = self.app.clock()  # type: ignore[attr-defined]
        shown = visible_rows(self.rows, stage=self.stage_filter, search=self.search, sort=self.sort)
        ids = [r.gon_id for r in shown]
        cells = {r.gon_id: self._styled(row_cells(r, now), r) for r in shown}
        if stable and self._shown:
            visible = set(ids)
            for gon_id in [g for g in self._shown if g not in visible]:
                table.remove_row(str(gon_id))
            kept = [g for g in self._shown if g in visible]
            known = set(kept)
            ids = kept + [g for g in ids if g not in known]
        if ids[: len(self._shown)] == self._shown:
            for gon_id in self._shown:
                self._update_row(table, gon_id, cells[gon_id])
            for gon_id in ids[len(self._shown):]:
                table.add_row(*cells[gon_id], key=str(gon_id))
        elif stable and ids[: len(kept)] == kept:
            for gon_id in kept:
                self._update_row(table, gon_id, cells[gon_id])
            for gon_id in ids[len(kept):]:
                table.add_row(*cells[gon_id], key=str(gon_id))
        else:
            current = self.selected_gon()
            table.clear()
            for gon_id in ids:
                table.add_row(*cells[gon_id], key=str(gon_id))
            if current is not None and current in cells:
                table.move_cursor(row=ids.index(current))
        self._shown, self._cells = ids, cells
        self._update_view_line(len(shown))

    def _update_row(self, table: DataTable, gon_id: int, new: tuple[object, ...]) -> None:  # type: ignore[type-arg]
        old = self._cells.get(gon_id)
        if new == old:
            return
        for index, (key, _h, _w) in enumerate(COLUMNS):
            if old is None or new[index] != old[index]:
                table.update_cell(str(gon_id), key, new[index])

    def _styled(self, cells: tuple[str, ...], row: QueueRow) -> tuple[object, ...]:
        stage = Text(cells[0], style="bold" if row.stage in ("failed", "attention") else "")
        return (stage, *cells[1:])

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
        if self.app.connector is None:  # type: ignore[attr-defined]
            empty.update("No connection set up yet. Press F3 for Connection setup, fill in Brightpearl and "
                         "ShipStation, then ctrl+s to save.")
            empty.display = True
        elif not self.rows:
            empty.update("No goods-out notes yet. Press s to sync: printed GONs from Brightpearl appear here.")
            empty.display = True
        elif count == 0:
            empty.update("No GON matches this filter/search. Press f to change the stage, Esc to clear the search.")
            empty.display = True
        else:
            empty.display = False

    def selected_gon(self) -> int | None:
        table = self.query_one("#queue-table", DataTable)
        if not self._shown or table.cursor_row < 0 or table.cursor_row >= len(self._shown):
            return None
        return self._shown[table.cursor_row]

    # ---------------------------------------------------------------- actions
    def action_sync(self, kind: str) -> None:
        self.app.start_sync(kind)  # type: ignore[attr-defined]

    def action_retry_selected(self) -> None:
        gon = self.selected_gon()
        if gon is None:
            self.notify("No GON selected.", title="Retry", severity="warning")
            return
        self.app.retry([gon])  # type: ignore[attr-defined]

    def action_retry_all(self) -> None:
        self.app.retry(None)  # type: ignore[attr-defined]

    def action_diagnose(self) -> None:
        gon = self.selected_gon()
        if gon is None:
            self.notify("No GON selected.", title="Diagnose", severity="warning")
            return
        self.app.diagnose(gon, self)  # type: ignore[attr-defined]

    def on_diagnosis_ready(self, message: DiagnosisReady) -> None:
        self.app.push_screen(DiagnosisScreen(message.ident, message.diagnoses))

    def action_pause(self) -> None:
        self.app.toggle_pause()  # type: ignore[attr-defined]

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.display = True
        search.focus()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.search = event.value
        self.refresh_table()

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        self.query_one("#queue-table").focus()

    def action_filter_stage(self) -> None:
        index = STAGE_FILTERS.index(self.stage_filter)
        self.stage_filter = STAGE_FILTERS[(index + 1) % len(STAGE_FILTERS)]
        self.refresh_table()

    def action_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self.refresh_table()

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
        connector = self.app.connector  # type: ignore[attr-defined]
        if row is None or connector is None:
            return
        self._detail_gon = gon
        detail = self.query_one("#detail")
        self.query_one("#detail-text", Static).update(
            detail_renderable(row, connector.history(gon), self.app.clock()))  # type: ignore[attr-defined]
        detail.display = True

    def action_close(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_focus or (search.display and not self.query_one("#detail").display):
            search.value = ""
            search.display = False
            self.query_one("#queue-table").focus()
            return
        self.query_one("#detail").display = False
        self._detail_gon = None
