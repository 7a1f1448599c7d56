"""The batched floor on both ShipStation APIs: a quiet cycle reads one page of each list
whatever the day's label volume; a lost state file makes no duplicate and learns what
ShipStation holds in pages; new notes go 100 per create with no look-up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bp_tui.sync.mapping import order_key
from tests.sync.conftest import SS_APIS, make_env


def other_channel_order(env, n: int) -> dict:
    """An order another sales channel put in the same store (not one of ours)."""
    return {
        "orderKey": f"amazon-{n}",
        "orderNumber": f"A-{n}",
        "orderDate": "2026-01-01T10:00:00.0000000",
        "orderStatus": "awaiting_shipment",
        "billTo": {"name": "Buyer"},
        "shipTo": {
            "name": "Buyer",
            "street1": "1 Road",
            "city": "Leeds",
            "postalCode": "LS1 1AA",
            "country": "GB",
        },
        "items": [
            {"lineItemKey": "1", "sku": "X", "name": "Thing", "quantity": 1, "unitPrice": 1.0}
        ],
        "advancedOptions": {"storeId": env.config.shipstation.store_id or None},
    }


def shipstation_calls(env, since: int) -> list[str]:
    return [f"{m} {p.split('?')[0]}" for _t, m, p, _s in env.ss.request_log[since:]]


@pytest.mark.parametrize("ss_api", SS_APIS)
async def test_a_quiet_cycle_costs_at_most_four_calls_whatever_the_days_label_volume(
    tmp_path, ss_api
):
    env = make_env(tmp_path, orders=3, seed=1, ss_api=ss_api)
    try:
        await env.connector.run_cycle()
        start = datetime.now(UTC) - timedelta(hours=21)
        for n in range(
            1_200
        ):  # a busy day on the account: 1,200 labels over 20 hours (3 pages of 500)
            order = env.ss.upsert_order(other_channel_order(env, n))
            env.ss.create_label(order["orderId"], when=start + timedelta(minutes=n))
        await env.connector.run_cycle()  # the day, read once
        before = len(env.ss.request_log)
        quiet = await env.connector.run_cycle()
        assert quiet.api_calls["shipstation"] <= 4, shipstation_calls(env, before)
        assert quiet.errors == []
        env.label(2)  # then two of ours get labels: seen on the next cycle, still one page each
        busy = await env.connector.run_cycle()
        assert busy.confirmed == 2 and busy.api_calls["shipstation"] <= 4
    finally:
        await env.aclose()


@pytest.mark.parametrize("ss_api", SS_APIS)
async def test_a_lost_state_file_makes_no_duplicate_and_reads_what_shipstation_holds_in_pages(
    tmp_path, ss_api
):
    env = make_env(tmp_path, orders=0, ss_api=ss_api)
    try:
        gons = [env.bp.add_printed_gon() for _ in range(120)]
        first = await env.connector.run_cycle()
        assert first.imported == 120
        held = {
            key: o["orderId"]
            for key, o in (
                (order_key("demo", g), env.ss.order_by_key(order_key("demo", g))) for g in gons
            )
        }
        env.label(10)
        await env.lose_state()
        before = len(env.ss.request_log)
        again = await env.connector.run_cycle()
        assert len(env.ss.orders) == 120  # 0 duplicates
        calls = shipstation_calls(env, before)
        assert again.api_calls["shipstation"] <= 6, calls  # pages, not a look-up per note
        assert not [c for c in calls if c.startswith("POST")], calls  # nothing created or upserted
        for gon in gons:
            rec = env.connector.store.gon(gon)
            assert (
                rec.stage in ("imported", "confirmed")
                and rec.ss_order_id == held[order_key("demo", gon)]
            )
        assert sum(1 for g in gons if env.connector.store.gon(g).stage == "confirmed") == 10
    finally:
        await env.aclose()


async def test_v2_first_cycle_of_new_notes_costs_the_batched_floor(tmp_path):
    env = make_env(tmp_path, orders=0, ss_api="v2")
    try:
        for _ in range(250):
            env.bp.add_printed_gon()
        before = len(env.ss.request_log)
        summary = await env.connector.run_cycle()
        assert summary.imported == 250
        calls = shipstation_calls(env, before)
        assert calls.count("POST /v2/shipments") == 3  # ceil(250 / 100)
        assert not [c for c in calls if c.startswith("GET /v2/shipments/")], (
            calls
        )  # no GET per note
        # the creates, the default warehouse once, and the reads of a cycle (changed shipments,
        # labels, voided labels, fulfillments)
        assert summary.api_calls["shipstation"] <= 3 + 1 + 4, calls
    finally:
        await env.aclose()


async def test_a_stop_ends_the_wait_for_another_sync_within_a_second(tmp_path):
    """`sync --wait` behind another process's sync: the wait polls without blocking the event
    loop, and a stop request (SIGTERM) ends it at once."""
    import asyncio
    import time

    from bp_tui.errors import StopRequested
    from bp_tui.state import SyncLock

    env = make_env(tmp_path, orders=0)
    held = SyncLock(env.state_path)
    held.acquire()  # another process syncs
    try:
        waiting = asyncio.ensure_future(env.connector.run_cycle(wait=True))
        await asyncio.sleep(0.5)
        assert not waiting.done()  # still waiting, and this loop kept running meanwhile
        asked = time.monotonic()
        env.connector.request_stop()
        with pytest.raises(StopRequested):
            await asyncio.wait_for(waiting, timeout=5)
        assert time.monotonic() - asked < 1.0
    finally:
        held.release()
        await env.aclose()
