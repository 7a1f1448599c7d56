"""Notes that leave Brightpearl's unshipped list before the state knows them in ShipStation:
an import whose answer was lost (the order exists) is found by key and kept in step; a note
that never reached ShipStation settles instead of staying ready or failed for ever."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bp_tui.service.connector import Connector
from bp_tui.sync.mapping import order_key

from .conftest import FAST_CLIENTS, make_env


def ship_in_brightpearl(env, gon: int) -> None:
    """Shipped by hand, with the tracking number typed in (V2 marks shipped only with one)."""
    env.bp.gons[gon]["shipping"]["reference"] = f"HAND-{gon}"
    env.bp.ship_outside(gon)


class Died(BaseException):
    """The process died (nothing in the engine may swallow it)."""


class DieAfterCreate(httpx.AsyncBaseTransport):
    """ShipStation did the create; the answer never arrived (the process died)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST" and request.url.path.endswith(
            ("/orders/createorders", "/v2/shipments")
        ):
            await response.aread()
            raise Died()
        return response


async def import_then_die(env) -> None:
    conn = Connector(
        env.config,
        env.state_path,
        bp_transport=httpx.ASGITransport(app=env.bp.app),
        ss_transport=DieAfterCreate(httpx.ASGITransport(app=env.ss.app)),
        client_options=dict(FAST_CLIENTS),
        ss_options=env.ss_options,
    )
    try:
        with pytest.raises(Died):
            await conn.run_cycle()
    finally:
        conn.store.close()


@pytest.fixture
async def one_note(tmp_path, ss_api):
    env = make_env(tmp_path, orders=0, ss_api=ss_api)
    gon = env.bp.add_printed_gon()
    yield env, gon
    await env.aclose()


async def test_a_note_deleted_after_a_lost_import_has_its_order_cancelled(one_note):
    env, gon = one_note
    await import_then_die(env)
    made = env.ss.order_by_key(order_key("demo", gon))
    assert (
        made is not None and env.connector.store.gon(gon).ss_order_id is None
    )  # created, never recorded
    env.bp.delete_gon(gon)
    await (
        env.connector.run_cycle()
    )  # the first proof of the deletion; the second is on a later cycle
    # its order is the only open one: cancelled on a person's confirmation
    summary = await env.connector.run_cycle(confirm_cancel=True)
    rec = env.connector.store.gon(gon)
    assert rec.stage == "cancelled" and rec.ss_order_id == made["orderId"], (rec.stage, rec.reason)
    assert env.ss.orders[made["orderId"]]["orderStatus"] == "cancelled" and summary.cancelled == 1
    assert summary.failing == 0 and not env.connector.store.audit.open_intents()


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


async def test_a_failed_note_deleted_in_brightpearl_is_cancelled_with_nothing_to_cancel(
    tmp_path, ss_api
):
    env = make_env(tmp_path, orders=0, ss_api=ss_api)
    try:
        order = env.bp.add_order(rows=[(1001, 1)])
        env.bp.orders[order]["parties"]["delivery"]["addressLine1"] = ""
        gon = env.bp.add_gon(order, state="printed")
        await env.connector.run_cycle()
        env.bp.delete_gon(gon)
        await (
            env.connector.run_cycle()
        )  # the first proof of the deletion; the second is on a later cycle
        after = await env.connector.run_cycle()
        rec = env.connector.store.gon(gon)
        assert rec.stage == "cancelled" and "deleted in Brightpearl before" in rec.reason
        assert after.failing == 0 and not env.ss.orders
    finally:
        await env.aclose()


# ---- a note in ShipStation that failed at an update, then left Brightpearl's list ----------------


async def failed_at_an_update(env) -> tuple[int, int]:
    """One imported note whose re-send failed: its ShipStation order could not be read (a 400)."""
    oid = env.bp.add_order(rows=[(1001, 1)])
    gon = env.bp.add_gon(oid, state="printed")
    await env.connector.run_cycle()
    rec = env.connector.store.gon(gon)
    env.bp.update_order(oid, delivery={"addressLine1": "9 Other Street"})
    path = (
        f"/orders/{rec.ss_order_id}"
        if env.ss_api == "v1"
        else f"/v2/shipments/se-{rec.ss_order_id}"
    )
    env.ss.fail_next(1, status=400, path=path)
    await env.connector.run_cycle()
    assert env.connector.store.gon(gon).stage == "failed"
    return gon, rec.ss_order_id


@pytest.mark.parametrize("what", ["delete", "ship"])
async def test_a_note_that_failed_at_an_update_and_left_the_list_is_kept_in_step(
    tmp_path, ss_api, what
):
    env = make_env(tmp_path, orders=0, ss_api=ss_api)
    try:
        gon, ss_order_id = await failed_at_an_update(env)
        if what == "delete":
            env.bp.delete_gon(gon)
        else:
            ship_in_brightpearl(env, gon)
        env.connector.retry([gon])
        if what == "delete":
            await env.connector.run_cycle()  # the first proof of the deletion
        # the second (its order the only open one, so on a person's confirmation)
        summary = await env.connector.run_cycle(confirm_cancel=True)
        rec = env.connector.store.gon(gon)
        status = env.ss.orders[ss_order_id]["orderStatus"]
        if what == "delete":
            assert (rec.stage, status) == ("cancelled", "cancelled"), rec.reason
        else:
            assert (rec.stage, status) == ("confirmed", "shipped"), rec.reason
        assert summary.failing == 0
    finally:
        await env.aclose()


async def test_a_note_in_shipstation_that_failed_never_goes_back_to_waiting(tmp_path, ss_api):
    env = make_env(tmp_path, orders=0, ss_api=ss_api)
    try:
        gon, ss_order_id = await failed_at_an_update(env)
        env.bp.set_gon_state(gon, printed=False)  # un-printed in Brightpearl: no longer eligible
        env.connector.retry([gon])
        await env.connector.run_cycle()
        assert env.connector.store.gon(gon).stage != "waiting"
        env.ss.create_label(ss_order_id, tracking_number="AFTER-UNPRINT")
        await env.connector.run_cycle()
        rec = env.connector.store.gon(gon)
        assert (
            rec.stage == "confirmed"
            and env.bp.gons[gon]["shipping"]["reference"] == "AFTER-UNPRINT"
        )
    finally:
        await env.aclose()


async def test_a_rejected_note_older_than_lookback_days_is_not_looked_up_every_cycle(tmp_path):
    env = make_env(tmp_path, orders=0)
    try:
        gons = [env.bp.add_printed_gon() for _ in range(3)]
        env.ss.fail_next(
            1, status=400, path="/orders/createorders"
        )  # the import is on record, refused
        await env.connector.run_cycle()
        assert {env.connector.store.gon(g).stage for g in gons} == {"failed"}
        for (
            g
        ) in gons:  # now older than lookback_days: out of the search, neither shipped nor deleted
            env.bp.gons[g]["createdOn"] = (datetime.now(UTC) - timedelta(days=31)).isoformat()
        for _ in range(2):
            before = len(env.ss.request_log)
            await env.connector.run_cycle()
            lookups = [p for _t, m, p, _s in env.ss.request_log[before:] if "orderNumber=" in p]
            assert lookups == []
        assert {env.connector.store.gon(g).stage for g in gons} == {
            "failed"
        }  # still there, still failing
    finally:
        await env.aclose()


# ---- splits made since the last cycle, met by an edit, a shipment or a deletion in Brightpearl


async def split_since_the_last_cycle(env) -> tuple[int, int, dict, int]:
    oid = env.bp.add_order(rows=[(1001, 2), (1002, 1)])
    gon = env.bp.add_gon(oid, state="printed")
    await env.connector.run_cycle()
    rec = env.connector.store.gon(gon)
    part = env.ss.split_order(rec.ss_order_id)
    return oid, gon, part, rec.ss_order_id


async def test_an_edit_right_after_a_split_is_not_sent(tmp_path, ss_api):
    env = make_env(tmp_path, orders=0, ss_api=ss_api)
    try:
        oid, gon, part, original = await split_since_the_last_cycle(env)
        env.bp.update_order(oid, delivery={"addressLine1": "1 Split Street"})
        summary = await env.connector.run_cycle()
        units = sum(
            i["quantity"] for o in (original, part["orderId"]) for i in env.ss.orders[o]["items"]
        )
        assert summary.updated == 0 and units == 3  # nothing put back on the original
        assert "split into 2" in env.connector.store.gon(gon).reason
    finally:
        await env.aclose()


@pytest.mark.parametrize("what", ["ship", "delete"])
async def test_a_split_made_since_the_last_cycle_is_never_half_shipped_or_half_cancelled(
    tmp_path, ss_api, what
):
    env = make_env(tmp_path, orders=0, ss_api=ss_api)
    try:
        oid, gon, part, original = await split_since_the_last_cycle(env)
        if what == "ship":
            ship_in_brightpearl(env, gon)
        else:
            env.bp.delete_gon(gon)
        await env.connector.run_cycle()
        await env.connector.run_cycle(confirm_cancel=True)  # a deletion: read twice, confirmed
        rec = env.connector.store.gon(gon)
        statuses = {env.ss.orders[o]["orderStatus"] for o in (original, part["orderId"])}
        assert rec.stage == "attention" and statuses == {"awaiting_shipment"}, (
            rec.stage,
            rec.reason,
            statuses,
        )
    finally:
        await env.aclose()


async def test_v2_never_creates_again_a_shipment_that_vanished_before_its_update(
    tmp_path, monkeypatch
):
    env = make_env(tmp_path, orders=0, ss_api="v2")
    try:
        a, b = env.bp.add_order(rows=[(1001, 1)]), env.bp.add_order(rows=[(1002, 2)])
        gon_a, gon_b = env.bp.add_gon(a, state="printed"), env.bp.add_gon(b, state="printed")
        await env.connector.run_cycle()
        survivor = env.ss.order_by_key(order_key("demo", gon_a))
        merged = env.ss.order_by_key(order_key("demo", gon_b))
        env.bp.update_order(b, delivery={"addressLine1": "1 Merge Road"})
        ss = env.connector.ss
        real_get = ss.get_order

        async def read_then_a_user_merges(order_id):
            order = await real_get(order_id)
            if order_id == merged["orderId"]:
                env.ss.merge_orders(survivor["orderId"], [merged["orderId"]])
            return order

        monkeypatch.setattr(ss, "get_order", read_then_a_user_merges)
        await env.connector.run_cycle()
        assert env.ss.order_by_key(order_key("demo", gon_b)) is None  # never created again
        assert "no longer exists" in env.connector.store.gon(gon_b).reason
    finally:
        await env.aclose()


async def test_an_odd_answer_to_the_deletion_check_fails_that_note_alone_until_the_next_cycle(
    tmp_path, monkeypatch
):
    from bp_tui.errors import ApiError

    env = make_env(tmp_path, orders=0)
    try:
        gons = [env.bp.add_printed_gon() for _ in range(3)]
        await env.connector.run_cycle()
        for gon in gons[:2]:
            env.bp.delete_gon(gon)
        bp = env.connector.bp
        real = bp.goods_out_note_deleted

        async def first_answer_is_a_redirect(gon_id):
            if gon_id == gons[0]:
                raise ApiError("brightpearl", 302, "a 302 is not an answer of this API")
            return await real(gon_id)

        monkeypatch.setattr(bp, "goods_out_note_deleted", first_answer_is_a_redirect)
        summary = await env.connector.run_cycle()  # the cycle goes on: the other note's first proof
        assert any(f"GON {gons[0]}" in e for e in summary.errors)
        summary = await env.connector.run_cycle()  # and its second: cancelled
        stages = [env.connector.store.gon(g).stage for g in gons]
        assert stages == ["imported", "cancelled", "imported"]
        assert any(f"GON {gons[0]}" in e for e in summary.errors)
        monkeypatch.setattr(bp, "goods_out_note_deleted", real)
        await env.connector.run_cycle()
        assert env.connector.store.gon(gons[0]).stage == "imported"
        await env.connector.run_cycle()
        assert env.connector.store.gon(gons[0]).stage == "cancelled"
    finally:
        await env.aclose()
