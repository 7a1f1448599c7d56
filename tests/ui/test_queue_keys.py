"""Keys are never lost or misread while a sync runs over a few thousand notes: ``/`` then a GON
id (or a reference made of the queue's shortcut letters) then Enter, pressed one by one or
arriving in one burst (as over SSH, before the search field has the focus), all reach the
search, and no shortcut fires."""

from __future__ import annotations

import asyncio
import random

import pytest
from textual import events
from textual.widgets import Input, Static

from bp_tui.sandbox.environment import build_environment, in_process
from bp_tui.service.connector import Connector
from bp_tui.state import GonRecord, StateStore
from bp_tui.ui import BpApp
from bp_tui.ui.screens.queue import DiagnosisScreen, QueueScreen
from tests.ui.conftest import frozen_clock, plain, settle
from tests.ui.slow_demo import slow_writes

HISTORY = 3000
TARGET = 7_000_123
# every letter here is a queue shortcut:
# r retry, s sync, d diagnose, f filter, o sort, p pause, i import
LETTERS = "rsdfopi"


@pytest.fixture
def busy(tmp_path):  # type: ignore[no-untyped-def]
    """The sandbox imported, labels waiting to be confirmed over a slow Brightpearl (the sync runs
    for seconds), and a few thousand confirmed notes already in the state."""
    env = build_environment(tmp_path / "env", orders=30, seed=3)
    asyncio.run(env.connector.run_cycle(import_only=True))
    asyncio.run(env.connector.aclose())
    env.label(12)
    rng = random.Random(4)
    store = StateStore(env.state_path)
    with store.transaction():
        for n in range(HISTORY):
            gon_id = TARGET if n == HISTORY // 2 else 7_000_000 + n
            store.save_gon(
                GonRecord(
                    gon_id=gon_id,
                    order_id=8_000_000 + n,
                    stage="confirmed",
                    reference=f"{LETTERS}-{n}"
                    if gon_id == TARGET
                    else f"PO-{rng.randrange(10**6)}",
                    customer="Customer",
                    tracking=f"1Z{n:08d}",
                )
            )
    store.close()
    connector = Connector(
        env.config,
        env.state_path,
        config_path=env.config_path,
        bp_transport=in_process(slow_writes(env.bp.app, 0.15)),
        ss_transport=in_process(env.ss.app),
    )
    app = BpApp(
        config=env.config,
        config_path=env.config_path,
        state_path=env.state_path,
        connector=connector,
        clock=frozen_clock,
        auto_sync=False,
        progress_linger_seconds=0,
    )
    return env, app


def key_event(key: str) -> events.Key:
    names = {"/": ("slash", "/"), "-": ("minus", "-"), "enter": ("enter", "\r")}
    name, char = names.get(key, (key, key))
    return events.Key(name, char)


async def wait_for(condition, seconds: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out")


async def started_sync(app: BpApp, pilot) -> QueueScreen:  # type: ignore[no-untyped-def]
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, QueueScreen) and screen.table.row_count >= HISTORY
    assert app.start_sync("sync")
    await wait_for(lambda: app.status.step == "confirm")  # writing back, slowly: seconds to go
    return screen


def assert_no_shortcut_fired(app: BpApp, screen: QueueScreen) -> None:
    assert screen.stage_filter == "all" and screen.sort == "stage"  # f, o
    assert not app.status.paused  # p
    assert screen.detail_gon is None  # Enter went to the search, not to the detail pane
    assert not isinstance(app.screen, DiagnosisScreen)  # d
    assert not [
        n for n in app._notifications if n.title in ("Sync", "Retry", "Diagnose")
    ]  # s, i, r  # noqa: SLF001
    assert [w.name for w in app.workers if w.name == "sync"] == ["sync"]  # still the one sync


@pytest.mark.parametrize(
    "typed", [str(TARGET), f"{LETTERS}-{HISTORY // 2}"], ids=["gon-id", "shortcut-letters"]
)
async def test_search_typed_key_by_key_while_a_sync_runs(busy, typed):
    _env, app = busy
    async with app.run_test(notifications=True) as pilot:
        screen = await started_sync(app, pilot)
        await pilot.press("slash", *typed, "enter")
        await wait_for(lambda: screen.selected_gon() == TARGET)
        assert app.status.running  # all of it happened during the sync
        assert screen.query_one("#search", Input).value == typed == screen.search
        assert screen.table.shown == [TARGET] and screen.table.has_focus
        assert_no_shortcut_fired(app, screen)
        await settle(pilot)


@pytest.mark.parametrize(
    "typed", [str(TARGET), f"{LETTERS}-{HISTORY // 2}"], ids=["gon-id", "shortcut-letters"]
)
async def test_search_arriving_in_one_burst_while_a_sync_runs(busy, typed):
    _env, app = busy
    async with app.run_test(notifications=True) as pilot:
        screen = await started_sync(app, pilot)
        for key in ["/", *typed, "enter"]:  # all queued before the first is handled
            app._driver.send_message(key_event(key))  # noqa: SLF001
        await wait_for(lambda: screen.selected_gon() == TARGET and screen.table.has_focus)
        assert app.status.running
        assert screen.query_one("#search", Input).value == typed == screen.search
        assert screen.table.shown == [TARGET]
        assert_no_shortcut_fired(app, screen)
        await settle(pilot)


async def test_enter_during_a_sync_opens_the_row_under_the_cursor_and_it_stays_there(busy):
    """Rows change stage under the cursor while the sync writes them back (live refreshes keep
    them in place), then the sync ends and the view is re-read in its new order: Enter always
    opens the note the cursor is on, and the cursor stays on that note."""
    _env, app = busy
    async with app.run_test(notifications=True) as pilot:
        screen = await started_sync(app, pilot)
        table = screen.table
        await pilot.press(*["down"] * 5)
        under = table.selected_gon
        assert under is not None and table.cursor_row == 5
        shown = table.get_row_at(table.cursor_row)[1]  # the GON column of the cursor's line
        await pilot.press("enter")
        assert screen.detail_gon == under == int(shown)
        assert f"GON {under}" in plain(screen.query_one("#detail-text", Static))
        await pilot.press("escape")
        assert app.status.running  # all of it during the sync
        await settle(pilot)  # the sync ends: the view is read again, re-sorted
        assert not app.status.running and table.selected_gon == under
        await pilot.press("enter")
        assert screen.detail_gon == under
