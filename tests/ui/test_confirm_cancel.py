"""x on the queue screen: the confirmation the deletion guard asks for. n (or Esc) keeps the
orders; y starts a sync that cancels the held ones. At 80x24, keyboard only."""

from __future__ import annotations

from bp_tui.core import reasons
from bp_tui.sandbox.environment import build_environment, in_process
from bp_tui.service.connector import Connector
from bp_tui.ui import BpApp
from bp_tui.ui.screens.confirm_cancel import ConfirmCancelScreen
from tests.ui.conftest import frozen_clock, settle


async def held_env(tmp_path):  # type: ignore[no-untyped-def]
    env = build_environment(tmp_path / "env", orders=0, seed=3)
    gons = [env.bp.add_printed_gon() for _ in range(2)]

    async def prepare() -> None:
        await env.connector.run_cycle()
        for gid in gons:
            env.bp.delete_gon(gid)
        await env.connector.run_cycle()
        await env.connector.run_cycle()  # both read twice as deleted: every open order, so held
        await env.connector.aclose()

    await prepare()
    connector = Connector(
        env.config,
        env.state_path,
        config_path=env.config_path,
        bp_transport=in_process(env.bp.app),
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
    return env, gons, connector, app


async def test_x_asks_first_and_y_cancels_the_held_orders(tmp_path):
    env, gons, connector, app = await held_env(tmp_path)
    assert connector.held_cancellations() == sorted(gons)
    assert all(
        r.reason.startswith(reasons.CANCELS_HELD) for r in connector.store.gons(gons).values()
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmCancelScreen) and "Cancel 2 held" in str(
            app.screen.query_one("#confirm-cancel-title").render()
        )
        await pilot.press("n")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmCancelScreen)
        assert all(o["orderStatus"] != "cancelled" for o in env.ss.orders.values())
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        stages = {r.stage for r in connector.store.gons(gons).values()}
    assert {o["orderStatus"] for o in env.ss.orders.values()} == {"cancelled"} and stages == {
        "cancelled"
    }


async def test_x_with_nothing_held_says_so_and_asks_nothing(tmp_path):
    env = build_environment(tmp_path / "env", orders=4, seed=3)
    app = BpApp(
        config=env.config,
        config_path=env.config_path,
        state_path=env.state_path,
        connector=env.connector,
        clock=frozen_clock,
        auto_sync=False,
        progress_linger_seconds=0,
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmCancelScreen)
        assert any("No cancellations are waiting" in str(n.message) for n in app._notifications)
