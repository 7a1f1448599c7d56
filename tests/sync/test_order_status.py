"""The configured order status is set once every note of the order has shipped, by whichever
path the last note was confirmed, and a status that could not be set is tried again."""

from __future__ import annotations

from bp_tui.errors import ApiThrottled
from tests.sync.conftest import make_env

SETS_STATUS = {
    "brightpearl": {"shipped_action": "mark_shipped_and_set_status", "shipped_status_id": 5}
}


def status_puts(env, order_id: int) -> int:
    path = f"/order-service/order/{order_id}/status"
    return sum(1 for _t, m, p, _s in env.bp.request_log if m == "PUT" and p.endswith(path))


async def test_a_status_that_could_not_be_set_is_tried_again(tmp_path, monkeypatch):
    env = make_env(tmp_path, orders=0, config_overrides=SETS_STATUS)
    try:
        order_id = env.bp.add_order(rows=[(1001, 1)])
        gid = env.bp.add_gon(order_id, state="printed")
        await env.connector.run_cycle()
        env.ss.create_label(env.connector.store.gon(gid).ss_order_id)

        async def throttled(order_id, status_id):
            raise ApiThrottled("brightpearl", 429, "still throttled")

        monkeypatch.setattr(env.connector.bp, "set_order_status", throttled)
        summary = await env.connector.run_cycle()
        assert summary.confirmed == 1 and any("status not set" in e for e in summary.errors)
        monkeypatch.undo()
        await env.connector.run_cycle()
        assert env.bp.orders[order_id]["orderStatus"]["orderStatusId"] == 5
        await env.connector.run_cycle()
        assert status_puts(env, order_id) == 1
    finally:
        await env.aclose()


async def test_the_status_is_set_when_the_last_note_ships_in_brightpearl(tmp_path):
    """Note 1 labelled and written back while note 2 is open (no status yet); note 2 then
    shipped in Brightpearl, its order marked shipped in ShipStation: every note has shipped."""
    env = make_env(tmp_path, orders=0, config_overrides=SETS_STATUS)
    try:
        order_id = env.bp.add_order(rows=[(1001, 1), (1002, 1)])
        rows = list(env.bp.orders[order_id]["orderRows"])
        first = env.bp.add_gon(order_id, {int(rows[0]): 1}, state="printed")
        second = env.bp.add_gon(order_id, {int(rows[1]): 1}, state="printed")
        await env.connector.run_cycle()
        env.ss.create_label(env.connector.store.gon(first).ss_order_id)
        await env.connector.run_cycle()
        assert env.bp.orders[order_id]["orderStatus"]["orderStatusId"] != 5
        env.bp.ship_outside(second, reference="HAND-1")
        await env.connector.run_cycle()
        assert env.connector.store.gon(second).stage == "confirmed"
        assert env.bp.orders[order_id]["orderStatus"]["orderStatusId"] == 5
        await env.connector.run_cycle()
        assert status_puts(env, order_id) == 1
    finally:
        await env.aclose()
