"""The queue's table widget: cells diffed in place, stable live updates, cursor kept on its GON;
and the queue screen's reactive view state driving it."""

from __future__ import annotations

from dataclasses import replace

from textual.app import App, ComposeResult
from textual.widgets import Static

from bp_tui.core.types import QueueRow
from bp_tui.ui.widgets.queue_table import QueueTable
from tests.ui.conftest import FROZEN, make_app, plain, settle


class CountingTable(QueueTable):
    """Records every cell update."""

    def __init__(self) -> None:
        super().__init__(id="queue-table")
        self.updates: list[tuple[str, str]] = []

    def update_cell(self, row_key, column_key, value, *, update_width=False):  # type: ignore[no-untyped-def]
        self.updates.append((str(row_key), str(column_key)))
        return super().update_cell(row_key, column_key, value, update_width=update_width)


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield CountingTable()


def rows(*ids: int, stage: str = "imported") -> list[QueueRow]:
    return [QueueRow(gon_id=g, order_id=1000 + g, stage=stage, reference=f"#{g}", customer=f"Customer {g}",
                     first_seen=FROZEN) for g in ids]


def column(table: QueueTable, index: int) -> list[str]:
    return [str(table.get_row_at(i)[index]) for i in range(table.row_count)]


async def test_showing_the_same_rows_again_touches_no_cell():
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(CountingTable)
        table.show(rows(1, 2, 3), FROZEN)
        await pilot.pause()
        assert table.shown == [1, 2, 3] and table.row_count == 3
        table.show(rows(1, 2, 3), FROZEN)
        assert table.updates == []


async def test_a_changed_value_updates_exactly_its_cell():
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(CountingTable)
        table.show(rows(1, 2, 3), FROZEN)
        await pilot.pause()
        changed = rows(1, 2, 3)
        changed[1] = replace(changed[1], tracking="TRK-2")
        table.show(changed, FROZEN)
        assert table.updates == [("2", "tracking")]
        assert column(table, 7) == ["", "TRK-2", ""]


async def test_a_new_order_keeps_the_cursor_on_its_gon():
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(CountingTable)
        table.show(rows(1, 2, 3, 4), FROZEN)
        await pilot.pause()
        table.move_cursor(row=2)
        assert table.selected_gon == 3
        table.show(rows(4, 3, 2, 1), FROZEN)
        await pilot.pause()
        assert table.shown == [4, 3, 2, 1] and table.selected_gon == 3


async def test_stable_keeps_rows_in_place_drops_the_gone_and_appends_the_new():
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(CountingTable)
        table.show(rows(1, 2, 3), FROZEN)
        await pilot.pause()
        table.show(rows(5, 3, 1), FROZEN, stable=True)  # 2 is gone, 5 is new, order differs
        assert table.shown == [1, 3, 5]
        assert column(table, 1) == ["1", "3", "5"]
        table.show(rows(5, 3, 1), FROZEN)  # the next plain show takes the given order
        assert table.shown == [5, 3, 1]


async def test_apply_changes_updates_removes_and_appends():
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(CountingTable)
        table.show(rows(1, 2, 3), FROZEN)
        await pilot.pause()
        confirmed = replace(rows(1)[0], stage="confirmed", tracking="TRK-1")
        table.apply_changes([(confirmed, True), (rows(2)[0], False), (rows(9)[0], True)], FROZEN)
        await pilot.pause()
        assert table.shown == [1, 3, 9]
        assert column(table, 0)[0].endswith("confirmed") and column(table, 7)[0] == "TRK-1"
        assert ("1", "stage") in table.updates and ("3", "stage") not in table.updates


async def test_cells_from_the_apis_are_kept_as_text():
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(CountingTable)
        table.show([replace(rows(1)[0], customer="[/]", reason="[link=https://x]y[/link]\x1b[2J")], FROZEN)
        await pilot.pause()
        assert column(table, 3) == ["#1 / [/]"]
        assert column(table, 9) == ["[link=https://x]y[/link]\\x1b[2J"]


async def test_the_screen_view_state_is_reactive(env):
    app = make_app(env)
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("s")
        await settle(pilot)
        screen = app.screen
        failed = sorted(r.gon_id for r in screen.rows if r.stage == "failed")
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
