"""The order queue over the real Connector and the in-process sandboxes: every key action."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import Input, ProgressBar, Static

from bp_tui.core.stages import STAGE_GLYPHS
from bp_tui.core.types import QueueRow
from bp_tui.state import SyncLock
from bp_tui.ui.messages import SyncFinished, SyncProgress
from bp_tui.ui.screens.help import HelpScreen
from bp_tui.ui.screens.queue import DiagnosisScreen, QueueScreen
from tests.ui.conftest import FROZEN, make_app, plain, settle


def stage_cells(screen: QueueScreen) -> list[str]:
    table = screen.table
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


def state_rows(screen: QueueScreen) -> list[QueueRow]:
    """Every note the queue holds (the state's, all stages)."""
    return screen.bp_app.connector.queue_rows()


def state_rows_by_gon(screen: QueueScreen) -> dict[int, QueueRow]:
    return {r.gon_id: r for r in state_rows(screen)}


async def synced(pilot) -> QueueScreen:  # type: ignore[no-untyped-def]
    await pilot.pause()
    await pilot.press("s")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, QueueScreen)
    return screen


async def test_sync_now_imports_the_sandbox_printed_gons(env):
    printed = [
        g
        for g, n in env.bp.gons.items()
        if n["orderId"] and n["status"]["printed"] and not n["status"]["shipped"]
    ]
    messages: list[object] = []
    app = make_app(env)
    async with app.run_test(message_hook=messages.append) as pilot:
        screen = await synced(pilot)
        imported = [r for r in state_rows(screen) if r.stage == "imported"]
        failed = [r for r in state_rows(screen) if r.stage == "failed"]
        assert len(env.ss.orders) == len(imported) > 0
        assert {r.gon_id for r in imported} | {r.gon_id for r in failed} <= set(printed)
        assert f"{STAGE_GLYPHS['imported']} imported" in stage_cells(screen)
        assert any(isinstance(m, SyncProgress) for m in messages)
        assert any(isinstance(m, SyncFinished) for m in messages)
        assert app.status.last_run_at == FROZEN and not app.status.running
        assert app.status.budget.shipstation_remaining is not None
        line = plain(screen.query_one("#status", Static))
        assert "idle" in line and "next 0:30" in line and "API left BP" in line


async def test_progress_bar_and_running_flag_while_a_sync_runs(env):
    seen: list[tuple[bool, bool]] = []
    app = make_app(env)
    async with app.run_test() as pilot:
        await pilot.pause()
        screen = app.screen
        bar = screen.query_one("#sync-progress", ProgressBar)
        assert bar.display is False

        def record(status):  # type: ignore[no-untyped-def]
            seen.append((status.running, bool(bar.display)))

        screen.watch(app, "status", record, init=False)
        await pilot.press("s")
        await settle(pilot)
        assert (True, True) in seen and seen[-1] == (False, False)


async def test_import_only_then_confirm_only_writes_labels_back(env):
    app = make_app(env)
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("i")
        await settle(pilot)
        screen = app.screen
        assert not any(r.stage == "confirmed" for r in state_rows(screen))
        labels = env.label(3)
        assert len(labels) == 3
        await pilot.press("c")
        await settle(pilot)
        confirmed = [r for r in state_rows(screen) if r.stage == "confirmed"]
        assert len(confirmed) == 3 and all(r.tracking for r in confirmed)
        assert f"{STAGE_GLYPHS['confirmed']} confirmed" in stage_cells(screen)


async def test_retry_selected_and_retry_all_failed(env):
    app = make_app(env)
    async with app.run_test() as pilot:
        screen = await synced(pilot)
        failed = [r for r in state_rows(screen) if r.stage == "failed"]
        assert len(failed) >= 2 and all(r.next_attempt_at for r in failed)
        # the queue sorts problems first: the cursor is on a failed row
        first = screen.selected_gon()
        assert first in {r.gon_id for r in failed}
        await pilot.press("r")
        await pilot.pause()
        rows = {r.gon_id: r for r in env.connector.queue_rows()}
        assert rows[first].next_attempt_at is None
        others = [r.gon_id for r in failed if r.gon_id != first]
        assert all(rows[g].next_attempt_at is not None for g in others)
        await pilot.press("R")
        await pilot.pause()
        rows = {r.gon_id: r for r in env.connector.queue_rows()}
        assert all(rows[g].next_attempt_at is None for g in others)


async def test_diagnose_selected_shows_the_verdict(env):
    app = make_app(env)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await synced(pilot)
        gon = screen.selected_gon()
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, DiagnosisScreen)
        text = plain(app.screen.query_one("#diagnosis-text", Static))
        assert f"GON {gon}" in text and "Verdict:" in text and "Fix:" in text
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen


async def test_search_filters_rows_and_escape_clears(env):
    app = make_app(env)
    async with app.run_test() as pilot:
        screen = await synced(pilot)
        target = state_rows(screen)[3]
        total = len(state_rows(screen))
        await pilot.press("slash")
        search = screen.query_one("#search", Input)
        assert search.display and search.has_focus
        await pilot.press(*str(target.gon_id))
        await pilot.pause()
        assert screen.table.shown == [target.gon_id]
        await pilot.press(
            "enter"
        )  # keeps the search, hides its box: the rows and the detail get the room
        await pilot.pause()
        assert screen.query_one("#queue-table").has_focus and not search.display
        assert screen.table.shown == [target.gon_id] and f"search: '{target.gon_id}'" in plain(
            screen.query_one("#view-line", Static)
        )
        await pilot.press("enter")  # the detail of the row found, with the whole pane
        await pilot.pause()
        assert screen.detail_gon == target.gon_id and not search.display
        await pilot.press("escape")  # closes the detail; the search stays
        await pilot.pause()
        assert screen.detail_gon is None and screen.table.shown == [target.gon_id]
        await pilot.press("escape")  # then clears the search
        await pilot.pause()
        assert len(screen.table.shown) == total
        await pilot.press("slash", *str(target.gon_id), "enter", "slash")  # / edits the kept search
        await pilot.pause()
        assert search.display and search.value == str(target.gon_id)
        await pilot.press("escape")
        await pilot.pause()
        assert not search.display and len(screen.table.shown) == total


async def test_filter_cycles_stages_and_sort_changes_order(env):
    app = make_app(env)
    async with app.run_test() as pilot:
        screen = await synced(pilot)
        presses = 0
        while screen.stage_filter != "failed":
            await pilot.press("f")
            presses += 1
            assert presses <= 8
        await pilot.pause()
        cells = stage_cells(screen)
        assert cells and all(c == f"{STAGE_GLYPHS['failed']} failed" for c in cells)
        assert "Stage: failed" in plain(screen.query_one("#view-line", Static))
        while screen.stage_filter != "all":
            await pilot.press("f")
        await pilot.press("o")  # stage -> age
        assert screen.sort == "age"
        await pilot.press("o")  # age -> gon
        await pilot.pause()
        assert screen.table.shown == sorted(screen.table.shown)


async def test_enter_opens_the_detail_pane_with_both_sides_and_history(env):
    app = make_app(env)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await synced(pilot)
        while screen.stage_filter != "imported":
            await pilot.press("f")
        await pilot.press("enter")
        await pilot.pause()
        detail = screen.query_one("#detail")
        assert detail.display
        text = plain(screen.query_one("#detail-text", Static))
        row = state_rows_by_gon(screen)[screen.selected_gon()]
        assert f"GON {row.gon_id}" in text and "Brightpearl" in text and "ShipStation" in text
        assert "History (audit log)" in text and "shipstation" in text
        assert str(row.ss_order_id) in text
        await pilot.press("escape")
        assert not detail.display


async def test_pause_resume_controls_auto_sync(env):
    now = [FROZEN]
    app = make_app(env)
    app.clock = lambda: now[0]
    app.auto_sync = True
    async with app.run_test() as pilot:
        await settle(pilot)  # the first automatic sync runs on start
        assert app.status.last_run_at == FROZEN
        await pilot.press("p")
        assert app.status.paused
        assert "PAUSED" in plain(app.screen.query_one("#status", Static))
        now[0] = FROZEN + timedelta(minutes=5)
        app._heartbeat()  # noqa: SLF001
        await settle(pilot)
        assert app.status.last_run_at == FROZEN
        await pilot.press("p")
        app._heartbeat()  # noqa: SLF001
        await settle(pilot)
        assert not app.status.paused and app.status.last_run_at == now[0]


async def test_a_failing_sync_becomes_a_notice_not_a_crash(env):
    app = make_app(env)
    lock = SyncLock(env.state_path)
    lock.acquire(wait=False)
    try:
        async with app.run_test(notifications=True) as pilot:
            await pilot.pause()
            await pilot.press("s")
            await settle(pilot)
            assert app.is_running and not app.status.running
            assert "another sync is running" in app.status.error
            assert "last sync failed" in plain(app.screen.query_one("#status", Static))
            assert any(n.severity == "error" for n in app._notifications)  # noqa: SLF001
    finally:
        lock.release()


async def test_help_lists_the_queue_keys(env):
    app = make_app(env)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        keys = plain(app.screen.query_one("#help-screen-keys", Static))
        for words in (
            "Sync now",
            "Import only",
            "Confirm only",
            "Retry all failed",
            "Diagnose",
            "Pause/resume",
            "Search",
            "Filter",
            "Sort",
            "Detail",
        ):
            assert words in keys
        anywhere = plain(app.screen.query_one("#help-app-keys", Static))
        assert "Quit" in anywhere and "F2" in anywhere
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)


async def test_q_quits_outside_inputs(env):
    app = make_app(env)
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_finished_progress_bar_lingers_then_hides(env):
    app = make_app(env)
    # The app's own linger: long enough that the check below still falls inside it on a busy
    # machine (0.2 s was shorter than `settle` takes under load).
    app.progress_linger_seconds = 1.5
    async with app.run_test() as pilot:
        await pilot.pause()
        bar = app.screen.query_one("#sync-progress", ProgressBar)
        await pilot.press("s")
        await settle(pilot)
        assert bar.display and bar.percentage == 1.0
        await pilot.pause(2.0)
        assert not bar.display


async def test_live_refresh_during_a_sync_keeps_rows_in_place(env):
    app = make_app(env)
    async with app.run_test() as pilot:
        screen = await synced(pilot)
        before = list(screen.table.shown)
        store = env.connector.store
        first = store.gon(before[0])
        assert first.stage == "failed"
        first.stage = "confirmed"  # as a cycle writes it mid-way
        store.save_gons([first])
        screen.refresh_table(stable=True)
        assert screen.table.shown == before  # rows stay put while a sync runs
        assert stage_cells(screen)[0] == f"{STAGE_GLYPHS['confirmed']} confirmed"
        screen.refresh_table()
        assert screen.table.shown[-1] == first.gon_id  # the final refresh re-sorts


async def test_a_second_sync_is_refused_while_one_runs(env):
    app = make_app(env)
    async with app.run_test() as pilot:
        await pilot.pause()
        app.status = app.status.but(running=True)
        assert app.start_sync("sync") is False
        await pilot.pause()
        assert not app.workers
