"""The whole engine over ShipStation API V2 (the in-process V2 sandbox): one V2 shipment per
printed note however often it runs or crashes, labels confirmed once, voids and return labels
never written back, cancel on deletion, the V2 mapping, the shared limiter, and the API calls
within 1.1x of V2's floor (look-ups + creates + labels + fulfillments)."""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bp_tui.sandbox.environment import in_process
from bp_tui.service.connector import Connector
from bp_tui.shipstation.v2.client import ShipStationV2Client
from bp_tui.sync.mapping import order_key
from tests.sync.conftest import FAST_CLIENTS, eligible_gon_ids, make_env, shw_counts, ss_keys


class Crash(BaseException):
    """The process died (nothing in the engine may swallow it)."""


@pytest.fixture
async def env(tmp_path):
    environment = make_env(tmp_path, orders=40, seed=4, ss_api="v2")
    yield environment
    await environment.aclose()


def connector(env, transport: httpx.AsyncBaseTransport | None = None) -> Connector:
    """A new process on the same state file and account."""
    return Connector(
        env.config,
        env.state_path,
        bp_transport=in_process(env.bp.app),
        ss_transport=transport or in_process(env.ss.app),
        client_options=dict(FAST_CLIENTS),
        ss_options=env.ss_options,
    )


def one_shipment_per_note(env) -> None:
    keys = ss_keys(env)
    assert keys and max(keys.values()) == 1
    imported = {r.gon_id for r in env.connector.queue_rows() if r.ss_order_id}
    assert set(keys) == {order_key("demo", g) for g in imported}


async def test_a_full_cycle_imports_one_v2_shipment_per_printed_note_however_often_it_runs(env):
    eligible = eligible_gon_ids(env)
    summary = await env.connector.run_cycle()
    rows = {r.gon_id: r for r in env.connector.queue_rows()}
    imported = {g for g, r in rows.items() if r.stage == "imported"}
    assert imported and imported | {g for g, r in rows.items() if r.stage == "failed"} == eligible
    assert summary.imported == len(imported)
    one_shipment_per_note(env)
    refused = sum(
        1 for r in rows.values() if r.stage == "failed" and "ShipStation rejected" in r.reason
    )
    assert (
        refused and len(env.ss.v2.received) == len(imported) + refused
    )  # unmappable notes are not sent
    assert all(body["create_sales_order"] is True for body in env.ss.v2.received)
    for gid in imported:  # the state holds the V2 shipment's number: se-<n> carried as n
        shipment = env.ss.order_by_key(order_key("demo", gid))
        assert rows[gid].ss_order_id == shipment["orderId"]
    for _ in range(2):
        again = await env.connector.run_cycle()
        # reads only: labels created, voided labels, fulfillments, shipments changed in ShipStation
        assert again.imported == 0 and again.updated == 0 and again.api_calls["shipstation"] == 4
    one_shipment_per_note(env)


async def test_the_v2_shipment_holds_the_note(env):
    await env.connector.run_cycle()
    gid, gon = next(
        (g, n)
        for g, n in sorted(env.bp.gons.items())
        if env.ss.order_by_key(order_key("demo", g)) and n.get("sequence", 1) <= 1
    )
    order = env.bp.orders[gon["orderId"]]
    record = env.ss.order_by_key(order_key("demo", gid))
    view = env.ss.v2.shipment(record)
    delivery = order["parties"]["delivery"]
    assert view["external_shipment_id"] == f"bp-demo-gon-{gid}" and view["shipment_number"] == str(
        gon["orderId"]
    )
    assert (
        view["shipment_status"] == "pending"
        and view["store_id"] == f"se-{env.ss.brightpearl_store_id}"
    )
    assert view["warehouse_id"] == "se-524391"
    assert view["ship_to"]["name"] == delivery["addressFullName"]
    assert view["ship_to"]["address_line1"] == delivery["addressLine1"]
    assert view["ship_to"]["country_code"] == delivery["countryIsoCode"]
    assert view["ship_to"]["email"] == order["parties"]["customer"]["email"]
    assert view["advanced_options"]["custom_field1"] == str(gon["warehouseId"])
    assert {i["external_order_item_id"] for i in view["items"]} == {
        str(r) for r in gon["orderRows"]
    }
    for row_id, parts in gon["orderRows"].items():
        item = next(i for i in view["items"] if i["external_order_item_id"] == str(row_id))
        assert item["quantity"] == sum(p["quantity"] for p in parts)
        assert item["sku"] == order["orderRows"][str(row_id)]["productSku"]
        assert item["unit_price"] == pytest.approx(
            float(order["orderRows"][str(row_id)]["productPrice"]["value"])
        )
    # gaps of V2 (docs/shipstation-v2.md): no order date, no bill-to, no source field on a V2
    # shipment
    sent = next(b for b in env.ss.v2.received if b["external_shipment_id"] == f"bp-demo-gon-{gid}")
    assert (
        not {"order_date", "bill_to", "source"} & set(sent)
        and "source" not in sent["advanced_options"]
    )


async def test_weights_travel_in_v2_units(tmp_path):
    env = make_env(
        tmp_path, orders=0, ss_api="v2", config_overrides={"products": {"weight_unit": "ounces"}}
    )
    try:
        stock = next(
            p
            for p, d in env.bp.products.items()
            if d["stock"]["stockTracked"] and d["stock"]["weight"]["magnitude"]
        )
        order_id = env.bp.add_order(rows=[(stock, 2)])
        gid = env.bp.add_gon(order_id, state="printed")
        await env.connector.run_cycle()
        [sent] = env.ss.v2.received
        weight = float(env.bp.products[stock]["stock"]["weight"]["magnitude"])
        assert sent["items"][0]["weight"] == {"value": pytest.approx(weight), "unit": "ounce"}
        assert sent["packages"][0]["weight"] == {
            "value": pytest.approx(2 * weight),
            "unit": "ounce",
        }
        assert (
            env.ss.order_by_key(order_key("demo", gid))["items"][0]["weight"]["units"] == "ounces"
        )
    finally:
        await env.aclose()


async def test_a_crash_after_create_before_recording_creates_nothing_twice(env):
    """The adapter had the answer (and cached it); the process died before the engine wrote it."""
    eligible = eligible_gon_ids(env)
    dying = connector(env)
    real = ShipStationV2Client.create_orders

    async def create_then_die(self, orders):
        await real(self, orders)
        raise Crash()

    ShipStationV2Client.create_orders = create_then_die
    try:
        with pytest.raises(Crash):
            await dying.run_cycle()
        assert not [
            r for r in dying.store.gons(list(eligible)).values() if r.ss_order_id
        ]  # nothing recorded
    finally:
        ShipStationV2Client.create_orders = real
        dying.store.close()
    created = len(env.ss.orders)
    assert created
    restarted = connector(env)
    try:
        summary = await restarted.run_cycle()
        assert len(env.ss.orders) == created  # every shipment found again, none created twice
        rejected = sum(1 for e in summary.errors if "ShipStation rejected" in e)
        # the changed shipments (one page: every shipment created is there, adopted by its key,
        # nothing looked up one by one); a refused one is sent again in one create and, as it was
        # attempted before, searched by number by the engine (its check for a lost import); then
        # labels, voided labels, fulfillments
        assert summary.api_calls["shipstation"] == 4 + (1 + rejected if rejected else 0)
        one_shipment_per_note(env)
        env.label(5)
        assert (await restarted.run_cycle()).confirmed == 5
    finally:
        await restarted.aclose()


async def test_a_crash_after_the_create_reached_shipstation_but_not_its_answer(env):
    """The nasty case: ShipStation created the shipments, the answer never came back."""

    class DieAfterCreate(httpx.AsyncBaseTransport):
        def __init__(self) -> None:
            self.inner = in_process(env.ss.app)

        async def handle_async_request(self, request):
            response = await self.inner.handle_async_request(request)
            if request.method == "POST" and request.url.path == "/v2/shipments":
                await response.aread()
                raise Crash()
            return response

    dying = connector(env, DieAfterCreate())
    with pytest.raises(Crash):
        await dying.run_cycle()
    dying.store.close()
    created = len(env.ss.orders)
    assert created and not env.connector.ss.ids.shipment_of(
        next(iter(env.ss.orders.values()))["orderKey"]
    )
    restarted = connector(env)
    try:
        await restarted.run_cycle()
        await restarted.run_cycle()
        assert len(env.ss.orders) == created  # the look-up by external_shipment_id found each one
        one_shipment_per_note(env)
        assert not restarted.store.audit.open_intents()
    finally:
        await restarted.aclose()


async def test_labels_are_confirmed_once_and_voids_before_confirmation_are_not_written(env):
    await env.connector.run_cycle()
    first, second, third = env.open_orders()[:3]
    good = env.ss.create_label(first["orderId"])
    voided = env.ss.create_label(second["orderId"])
    env.ss.void_label(voided["shipmentId"])
    summary = await env.connector.run_cycle()
    assert summary.confirmed == 1
    ok = env.connector.store.gon_by_ss_order(first["orderId"])
    assert (
        ok.stage == "confirmed"
        and env.bp.gons[ok.gon_id]["shipping"]["reference"] == good["trackingNumber"]
    )
    not_written = env.connector.store.gon_by_ss_order(second["orderId"])
    assert not_written.stage == "imported" and "voided" in not_written.reason
    assert not env.bp.gons[not_written.gon_id]["status"]["shipped"]
    shw = shw_counts(env)
    for _ in range(2):
        assert (await env.connector.run_cycle()).confirmed == 0
    assert shw_counts(env) == shw and max(shw.values()) == 1
    env.ss.create_return_label(third["orderId"], tracking_number="1ZRETURNONLY")
    await env.connector.run_cycle()
    returned = env.connector.store.gon_by_ss_order(third["orderId"])
    assert returned.stage == "imported" and not env.bp.gons[returned.gon_id]["status"]["shipped"]
    outbound = env.ss.create_label(third["orderId"], tracking_number="1ZOUTBOUND")
    await env.connector.run_cycle()
    assert env.bp.gons[returned.gon_id]["shipping"]["reference"] == outbound["trackingNumber"]
    texts = [n["text"] for n in env.bp.notes.get(returned.order_id, [])]
    assert not [t for t in texts if "1ZRETURNONLY" in t]


async def test_a_note_deleted_in_brightpearl_cancels_its_v2_shipment(env):
    await env.connector.run_cycle()
    target = env.open_orders()[0]
    rec = env.connector.store.gon_by_ss_order(target["orderId"])
    env.bp.delete_gon(rec.gon_id)
    await env.connector.run_cycle()  # the deletion's first proof; the second is on the next cycle
    summary = await env.connector.run_cycle()
    assert summary.cancelled == 1 and env.ss.orders[target["orderId"]]["orderStatus"] == "cancelled"
    puts = [p for _t, m, p, _s in env.ss.request_log if m == "PUT"]
    assert puts == [f"/v2/shipments/se-{target['orderId']}/cancel"]
    assert env.connector.store.gon(rec.gon_id).stage == "cancelled"


async def test_api_calls_stay_within_1_1x_of_v2s_floor(tmp_path):
    env = make_env(tmp_path, orders=300, seed=6, ss_api="v2")
    try:
        for gon in env.bp.gons.values():
            if gon["orderId"] and not gon["status"]["shipped"]:
                gon["status"]["printed"] = True
        summary = await env.connector.run_cycle()
        sent = (
            summary.imported
            + summary.updated
            + sum(1 for e in summary.errors if "ShipStation" in e)
        )
        assert sent >= 250
        # look-ups + creates + labels + voided labels + fulfillments + changed shipments (by 500)
        floor = sent + math.ceil(sent / 100) + 3 + max(1, math.ceil(len(env.ss.orders) / 500))
        assert summary.api_calls["shipstation"] <= 1.1 * floor, (summary.api_calls, floor)
        labelled = env.label(60)
        confirm = await env.connector.run_cycle()
        assert confirm.confirmed == len(labelled) and confirm.api_calls["shipstation"] == 4
    finally:
        await env.aclose()


async def burst_of_two(env, second_state) -> Counter:
    """Two processes on one key each send 12 reads at once; the statuses ShipStation answered."""
    since = datetime.now(UTC) - timedelta(minutes=5)
    options = {
        "limit": 7,
        "window_s": 1.0,
    }  # the margin below 10/s covers scheduling jitter on a busy machine
    dashboard = Connector(
        env.config,
        env.state_path,
        ss_transport=in_process(env.ss.app),
        bp_transport=in_process(env.bp.app),
        client_options=dict(FAST_CLIENTS),
        ss_options=options,
    )
    headless = Connector(
        env.config,
        second_state,
        ss_transport=in_process(env.ss.app),
        bp_transport=in_process(env.bp.app),
        client_options=dict(FAST_CLIENTS),
        ss_options=options,
    )

    async def reads(conn: Connector) -> None:
        for _ in range(12):
            await conn.ss.list_fulfillments(create_date_start=since)

    try:
        await asyncio.gather(reads(dashboard), reads(headless))
    finally:
        await dashboard.aclose()
        await headless.aclose()
    return Counter(s for _t, _m, _p, s in env.ss.request_log)


async def test_the_dashboard_and_a_headless_sync_share_one_budget(tmp_path):
    """ShipStation allows 10 a second here; each process alone keeps to 7. On one state folder
    (one data directory) they share the count and no request is refused; counting apart, the
    pair overruns the limit."""
    env = make_env(tmp_path, orders=0, ss_api="v2", ss_limit=10, window_s=1.0)
    try:
        shared = await burst_of_two(env, env.state_path)
        assert shared == {200: 24} and env.ss.violations == 0
        elsewhere = (
            tmp_path / "elsewhere" / "state.sqlite3"
        )  # another data directory: its own count
        env.ss.request_log.clear()
        await asyncio.sleep(1.1)
        apart = await burst_of_two(env, elsewhere)
        assert apart[429] > 0
    finally:
        await env.aclose()


async def test_a_label_in_error_is_never_written_back_and_a_processing_one_only_once_completed(env):
    await env.connector.run_cycle()
    first, second = env.open_orders()[:2]
    making = env.ss.create_unfinished_label(first["orderId"], "processing")
    env.ss.create_unfinished_label(second["orderId"], "error")
    shw = shw_counts(env)
    for _ in range(2):
        assert (await env.connector.run_cycle()).confirmed == 0
    waiting = env.connector.store.gon_by_ss_order(first["orderId"])
    failed = env.connector.store.gon_by_ss_order(second["orderId"])
    assert waiting.stage == "imported" and "processing" in waiting.reason
    assert failed.stage == "imported" and "status error" in failed.reason
    assert "never written back" in failed.reason
    assert shw_counts(env) == shw
    assert not env.bp.gons[waiting.gon_id]["status"]["shipped"]
    assert not env.bp.gons[failed.gon_id]["status"]["shipped"]
    done = env.ss.complete_label(making["shipmentId"])
    assert (await env.connector.run_cycle()).confirmed == 1
    confirmed = env.connector.store.gon(waiting.gon_id)
    assert confirmed.stage == "confirmed"
    assert env.bp.gons[waiting.gon_id]["shipping"]["reference"] == done["trackingNumber"]
    assert env.connector.store.gon(failed.gon_id).stage == "imported"
    assert not env.bp.gons[failed.gon_id]["status"]["shipped"]
    assert (
        shw_counts(env)[waiting.gon_id] == 1
        and shw_counts(env)[failed.gon_id] == shw[failed.gon_id]
    )


async def test_a_note_shipped_without_a_tracking_number_is_held_with_the_reason_nothing_sent(env):
    await env.connector.run_cycle()
    target = env.open_orders()[0]
    rec = env.connector.store.gon_by_ss_order(target["orderId"])
    env.bp.gons[rec.gon_id]["shipping"]["reference"] = ""
    env.bp.ship_outside(rec.gon_id)
    before = [
        r for r in env.ss.request_log if r[1] == "POST" and r[2].startswith("/v2/fulfillments")
    ]
    await env.connector.run_cycle()
    held = env.connector.store.gon(rec.gon_id)
    assert held.stage == "attention" and "tracking number" in held.reason
    assert (
        env.ss.orders[target["orderId"]]["orderStatus"] == "awaiting_shipment"
        and not env.ss.fulfillments
    )
    after = [
        r for r in env.ss.request_log if r[1] == "POST" and r[2].startswith("/v2/fulfillments")
    ]
    assert after == before  # nothing was sent
