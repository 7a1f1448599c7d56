"""What real accounts do (issue 13), end to end over the sandboxes: a Brightpearl account in its
own time zone, split and merged ShipStation orders, return labels, late voids, and edits on
both sides of an order."""

from __future__ import annotations

from .conftest import make_env


async def test_an_account_in_utc_minus_6_misses_no_order_edit(tmp_path):
    env = make_env(tmp_path, orders=20, seed=2, bp_timezone="UTC-6")
    try:
        await env.connector.run_cycle()
        target = env.open_orders()[0]
        rec = env.connector.store.gon_by_ss_order(target["orderId"])
        env.bp.update_order(rec.order_id, delivery={"addressLine1": "6 Central Avenue"})
        summary = await env.connector.run_cycle()
        assert summary.updated == 1
        assert env.ss.orders[target["orderId"]]["shipTo"]["street1"] == "6 Central Avenue"
    finally:
        await env.aclose()
