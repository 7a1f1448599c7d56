"""The queue's table widget: rows read a page at a time (never the whole view), only the lines
that changed repainted on a live refresh, rows kept in place while a sync runs, the cursor kept
on its GON, text from the APIs drawn inert, the columns at 80 and 120 cells; and the queue
screen's reactive view state driving it."""

from __future__ import annotations

from dataclasses import replace

from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.widgets import Static

from bp_tui.core.types import QueuePage, QueueRow
from bp_tui.ui.widgets.queue_table import MARGIN, PAGE, QueueTable
from tests.ui.conftest import FROZEN, make_app, plain, settle


class ListSource:
    """A view held in a list; counts the pages read."""

    def __init__(self, rows: list[QueueRow]) -> None:
        self.rows = rows
        self.pages: list[tuple[int, int]] = []

    def page(self, offset: int, limit: int) -> QueuePage:
        if limit:
            self.pages.append((offset, limit))
        return QueuePage(
            rows=self.rows[offset : offset + limit], offset=offset, total=len(self.rows)
        )

    def rows_of(self, gon_ids: list[int]) -> dict[int, QueueRow]:
        wanted = set(gon_ids)
        return {r.gon_id: r for r in self.rows if r.gon_id in wanted}

    def position(self, gon_id: int) -> int | None:
        return next((i for i, r in enumerate(self.rows) if r.gon_id == gon_id), None)


class CountingTable(QueueTable):
    """Records every line repainted."""

    def __init__(self) -> None:
        super().__init__(id="queue-table", now=lambda: FROZEN)
        self.repainted: list[int] = []

    def refresh_line(self, y: int) -> None:
        self.repainted.append(y)
        super().refresh_line(y)


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield CountingTable()


def rows(*ids: int, stage: str = "imported") -> list[QueueRow]:
    return [
        QueueRow(
            gon_id=g,
            order_id=1000 + g,
            stage=stage,
            reference=f"#{g}",
            customer=f"Customer {g}",
            first_seen=FROZEN,
        )
        for g in ids
    ]


def screen_text(table: QueueTable) -> str:
    width, height = table.size
    return "\n".join(
        "".join(s.text for s in strip) for strip in table.render_lines(Region(0, 0, width, height))
    )


async def test_a_live_refresh_with_nothing_changed_repaints_nothing():
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(CountingTable)
        table.load(ListSource(rows(1, 2, 3)))
        await pilot.pause()
        assert table.shown == [1, 2, 3] and table.row_count == 3
        table.repainted.clear()
        assert table.refresh_rows() == 0
        assert table.repainted == []


async def test_a_changed_value_repaints_exactly_its_line():
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(CountingTable)
        source = ListSource(rows(1, 2, 3))
        table.load(source)
        await pilot.pause()
        table.repainted.clear()
        source.rows[1] = replace(source.rows[1], tracking="TRK-2")
        assert table.refresh_rows() == 1
        assert table.repainted == [2]  # line 0 is the header, row 1 of the view is line 2
        assert (
            table.get_row_at(1)[
                table.columns.index(next(c for c in table.columns if c.key == "tracking"))
            ]
            == "TRK-2"
        )
        await pilot.pause()
        assert "TRK-2" in screen_text(table)


async def test_a_new_order_keeps_the_cursor_on_its_gon():
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(CountingTable)
        table.load(ListSource(rows(1, 2, 3, 4)))
        await pilot.pause()
        table.move_cursor(2)
        assert table.selected_gon == 3
        table.load(ListSource(rows(4, 3, 2, 1)), keep_gon=table.selected_gon)
        await pilot.pause()
        assert table.shown == [4, 3, 2, 1] and table.selected_gon == 3 and table.cursor_row == 1
        table.load(ListSource(rows(7, 8)), keep_gon=3)  # not in the new view: the first row
        assert table.selected_gon == 7


async def test_a_live_refresh_keeps_rows_in_place_and_the_next_load_takes_the_new_order():
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(CountingTable)
        source = ListSource(rows(1, 2, 3))
        table.load(source)
        await pilot.pause()
        # mid-sync: note 1 is confirmed (it would now sort elsewhere), 2 left the view, 5 is new
        source.rows = [rows(5)[0], rows(3)[0], replace(rows(1)[0], stage="confirmed")]
        table.refresh_rows()
        assert table.shown == [1, 2, 3]  # nothing moves under the operator
        assert table.get_row_at(0)[0].endswith("confirmed")
        table.load(source)  # the sync ended: the view as it is now
        assert table.shown == [5, 3, 1]


async def test_only_the_rows_around_the_screen_are_read_from_a_large_view():
    app = TableApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(CountingTable)
        source = ListSource(rows(*range(1, 100_001)))
        table.load(source)
        await pilot.pause()
        assert table.row_count == 100_000 and table.selected_gon == 1
        assert len(source.pages) <= 2 and len(table.shown) <= 2 * PAGE
        table.focus()
        await pilot.press("pagedown")
        assert table.cursor_row == table.body_height and table.selected_gon == table.body_height + 1
        await pilot.press("end")
        await pilot.pause()
        assert table.selected_gon == 100_000 and table.cursor_row == 99_999
        assert (
            source.pages[-1][0] == (99_999 // PAGE) * PAGE
        )  # the last page, not the ones before it
        assert len(source.pages) <= 5 and len(table.shown) <= 4 * PAGE + 2 * MARGIN
        assert f"{100_000}" in screen_text(table)
        await pilot.press("up", "up")
        assert table.selected_gon == 99_998
        await pilot.press("home")
        assert table.selected_gon == 1 and table.scroll_offset.y == 0
        table.move_cursor(50_000)  # a jump into the middle reads the page there
        await pilot.pause()
        assert table.selected_gon == 50_001 and str(50_001) in screen_text(table)


async def test_cells_from_the_apis_are_kept_as_text():
    app = TableApp()
    async with app.run_test(size=(160, 10)) as pilot:
        table = app.query_one(CountingTable)
        table.load(
            ListSource(
                [replace(rows(1)[0], customer="[/]", reason="[link=https://x]y[/link]\x1b[2J")]
            )
        )
        await pilot.pause()
        cells = table.get_row_at(0)
        assert "#1 / [/]" in cells and "[link=https://x]y[/link]\\x1b[2J" in cells
        shown = screen_text(table)
        assert (
            "#1 / [/]" in shown
            and "[link=https://x]y[/link]\\x1b[2J" in shown
            and "\x1b" not in shown
        )
        assert not any(
            s.style and s.style.link
            for strip in table.render_lines(Region(0, 0, 160, 10))
            for s in strip
        )


async def test_80_columns_show_stage_gon_order_customer_tracking_reason_and_120_everything():
    app = TableApp()
    async with app.run_test(size=(80, 10)) as pilot:
        table = app.query_one(CountingTable)
        table.load(ListSource(rows(1)))
        await pilot.pause()
        header = screen_text(table).splitlines()[0]
        assert header.split() == ["Stage", "GON", "Order", "Customer", "Tracking", "Reason"]
        await pilot.resize_terminal(120, 10)
        await pilot.pause()
        header = screen_text(table).splitlines()[0]
        for title in (
            "Stage",
            "GON",
            "Order",
            "Ref / customer",
            "Whse",
            "GON state",
            "SS order",
            "Tracking",
            "Age",
            "Reason",
        ):
            assert title in header


async def test_a_click_moves_the_cursor_and_a_click_on_it_selects():
    selected: list[int] = []

    class SelectingApp(TableApp):
        def on_queue_table_selected(self, message: QueueTable.Selected) -> None:
            selected.append(message.gon_id)

    app = SelectingApp()
    async with app.run_test(size=(80, 10)) as pilot:
        table = app.query_one(CountingTable)
        table.load(ListSource(rows(1, 2, 3)))
        await pilot.pause()
        await pilot.click(CountingTable, offset=(5, 3))  # line 3: the third row
        assert table.selected_gon == 3 and selected == []
        await pilot.click(CountingTable, offset=(5, 3))
        await pilot.pause()
        assert selected == [3]


async def test_the_screen_view_state_is_reactive(env):
    app = make_app(env)
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("s")
        await settle(pilot)
        screen = app.screen
        failed = sorted(r.gon_id for r in env.connector.queue_rows() if r.stage == "failed")
        screen.stage_filter = "failed"  # as the f key does
        screen.sort = "gon"
        await pilot.pause()
        assert screen.table.shown == failed
        assert "Stage: failed · sort: gon" in plain(screen.query_one("#view-line", Static))
        screen.search = str(failed[0])
        await pilot.pause()
        assert screen.table.shown == [failed[0]]
        screen.detail_gon = failed[0]
        await pilot.pause()
        assert screen.query_one("#detail").display
        screen.detail_gon = None
        await pilot.pause()
        assert not screen.query_one("#detail").display
