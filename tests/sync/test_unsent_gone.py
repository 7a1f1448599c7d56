"""Notes that leave Brightpearl's unshipped list before the state knows them in ShipStation:
an import whose answer was lost (the order exists) is found by key and kept in step; a note
that never reached ShipStation settles instead of staying ready or failed for ever."""

from __future__ import annotations

import httpx
import pytest

from bp_tui.service.connector import Connector
from bp_tui.sync.mapping import order_key

from .conftest import FAST_CLIENTS, make_env


def ship_in_brightpearl(env, gon: int) -> None:
    env.bp.apply_events(gon, [{"eventCode": "SHW", "occured": "2026-01-01T10:00:00.000+00:00", "eventOwnerId": 4}])


class Died(BaseException):
    """The process died (nothing in the engine may swallow it)."""


class DieAfterCreate(httpx.AsyncBaseTransport):
    """ShipStation did the create; the answer never arrived (the process died)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST" and request.url.path.endswith(("/orders/createorders", "/v2/shipments")):
            await response.aread()
            raise Died()
        return response


async def import_then_die(env) -> None:
    conn = Connector(env.config, env.state_path, bp_transport=httpx.ASGITransport(app=env.bp.app),
                     ss_transport=DieAfterCreate(httpx.ASGITransport(app=env.ss.app)),
                     client_options=dict(FAST_CLIENTS), ss_options=env.ss_options)
    try:
        with pytest.raises(Died):
            await conn.run_cycle()
    finally:
        conn.store.close()


@pytest.fixture
async def one_note(tmp_path, ss_api):
    env = make_env(tmp_path, orders=0, ss_api=ss_api)
    gon = env.bp.add_gon(env.bp.add_order(rows=[(1001, 1)]), state="printed")
    yield env, gon
    await env.aclose()


async def test_a_note_deleted_after_a_lost_import_has_its_order_cancelled(one_note):
    env, gon = one_note
    await import_then_die(env)
    made = env.ss.order_by_key(order_key("demo", gon))
    assert made is not None and env.connector.store.gon(gon).ss_order_id is None  # created, never recorded
    env.bp.delete_gon(gon)
    summary = await env.connector.run_cycle()
    rec = env.connector.store.gon(gon)
    assert rec.stage == "cancelled" and rec.ss_order_id == made["orderId"], (rec.stage, rec.reason)
    assert env.ss.orders[made["orderId"]]["orderStatus"] == "cancelled" and summary.cancelled == 1
    assert summary.failing == 0 and not env.connector.store.open_intents()


async def test_a_note_shipped_in_brightpearl_after_a_lost_import_marks_its_order_shipped(one_note):
    env, gon = one_note
    await import_then_die(env)
    made = env.ss.order_by_key(order_key("demo", gon))
    ship_in_brightpearl(env, gon)
    await env.connector.run_cycle()
    rec = env.connector.store.gon(gon)
    assert rec.stage == "confirmed" and "marked shipped" in rec.reason, (rec.stage, rec.reason)
    assert env.ss.orders[made["orderId"]]["orderStatus"] == "shipped"


async def test_a_failed_note_shipped_in_brightpearl_stops_failing(tmp_path, ss_api):
    env = make_env(tmp_path, orders=0, ss_api=ss_api)
    try:
        order = env.bp.add_order(rows=[(1001, 1)])
        env.bp.orders[order]["parties"]["delivery"]["addressLine1"] = ""  # cannot be mapped: fails
        gon = env.bp.add_gon(order, state="printed")
        first = await env.connector.run_cycle()
        assert env.connector.store.gon(gon).stage == "failed" and first.failing == 1
        ship_in_brightpearl(env, gon)
        after = await env.connector.run_cycle()
        rec = env.connector.store.gon(gon)
        assert rec.stage == "waiting" and "already shipped in Brightpearl" in rec.reason
        assert after.failing == 0 and env.ss.order_by_key(order_key("demo", gon)) is None
    finally:
        await env.aclose()


async def test_a_failed_note_deleted_in_brightpearl_is_cancelled_with_nothing_to_cancel(tmp_path, ss_api):
    env = make_env(tmp_path, orders=0, ss_api=ss_api)
    try:
        order = env.bp.add_order(rows=[(1001, 1)])
        env.bp.orders[order]["parties"]["delivery"]["addressLine1"] = ""
        gon = env.bp.add_gon(order, state="printed")
        await env.connector.run_cycle()
        env.bp.delete_gon(gon)
        after = await env.connector.run_cycle()
        rec = env.connector.store.gon(gon)
        assert rec.stage == "cancelled" and "deleted in Brightpearl before" in rec.reason
        assert after.failing == 0 and not env.ss.orders
    finally:
        await env.aclose()
