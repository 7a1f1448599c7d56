"""The client against the in-process sandbox: upserts, partial failures, paging, throttling,
retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from bp_tui.errors import ApiAuthError, ApiError, ApiUnavailable
from bp_tui.sandbox.shipstation.sandbox import ShipStationSandbox
from bp_tui.shipstation.port import ShippingPlatform
from tests.shipstation.factory import SleepRecorder, client_for, order


def _posts(sandbox: ShipStationSandbox) -> list[tuple[str, int]]:
    return [
        (target, status) for _, method, target, status in sandbox.request_log if method == "POST"
    ]


async def test_250_orders_upsert_in_3_calls_and_resend_without_duplicates():
    sandbox = ShipStationSandbox()
    orders = [order(n) for n in range(250)]
    async with client_for(sandbox) as client:
        assert isinstance(client, ShippingPlatform)
        first = await client.upsert_orders(orders)
        assert client.requests_sent == 3
        assert [len(sandbox.orders)] == [250]
        assert all(r.success for r in first)
        assert [r.order_key for r in first] == [o["orderKey"] for o in orders]
        changed = [order(n, customerEmail=f"new{n}@example.com") for n in range(250)]
        second = await client.upsert_orders(changed)
        assert client.requests_sent == 6
    assert len(sandbox.orders) == 250
    assert [r.order_id for r in second] == [r.order_id for r in first]
    assert len({r.order_id for r in first}) == 250
    assert sandbox.order_by_key("bp-acme-gon-7")["customerEmail"] == "new7@example.com"
    assert [status for _, status in _posts(sandbox)] == [200] * 6
    assert all(
        o["advancedOptions"]["storeId"] == sandbox.default_store_id for o in sandbox.orders.values()
    )


async def test_batch_of_100_with_2_bad_orders_reports_exactly_those_2():
    sandbox = ShipStationSandbox()
    async with client_for(sandbox) as client:
        shipped = (await client.upsert_orders([order(5)]))[0]
        sandbox.create_label(shipped.order_id)
        batch = [order(n) for n in range(100)]
        batch[17] = order(
            17, shipTo={"name": "X", "street1": "1 Road", "city": "Leeds", "country": "UK"}
        )
        results = await client.upsert_orders(batch)
    failed = [(r.order_key, r.error_message) for r in results if not r.success]
    assert len(results) == 100
    assert [key for key, _ in failed] == ["bp-acme-gon-5", "bp-acme-gon-17"]
    assert "not in an open status" in failed[0][1]
    assert failed[1][1] == "Invalid country code 'UK'"
    assert sum(r.success for r in results) == 98
    assert sandbox.order_by_key("bp-acme-gon-17") is None
    assert sandbox.order_by_key("bp-acme-gon-5")["orderStatus"] == "shipped"


async def test_every_order_needs_an_order_key():
    sandbox = ShipStationSandbox()
    bad = order(1)
    del bad["orderKey"]
    async with client_for(sandbox) as client:
        with pytest.raises(ValueError, match="orderKey"):
            await client.upsert_orders([order(0), bad])
        with pytest.raises(ValueError, match="twice"):
            await client.upsert_orders([order(0), order(0)])
        assert client.requests_sent == 0


async def test_paging_over_1200_shipments_in_3_pages():
    sandbox = ShipStationSandbox()
    async with client_for(sandbox) as client:
        created = await client.upsert_orders([order(n) for n in range(100)])
        start = datetime(2024, 9, 1, tzinfo=UTC)
        for index in range(1200):
            sandbox.create_label(
                created[index % 100].order_id, when=start + timedelta(minutes=index)
            )
        before = client.requests_sent
        shipments = await client.list_shipments(store_id=sandbox.default_store_id)
        assert client.requests_sent - before == 3
    assert len(shipments) == 1200
    assert len({s.shipment_id for s in shipments}) == 1200
    assert shipments[0].items and shipments[0].items[0].line_item_key == "row-0"
    assert shipments[0].create_date == start and shipments[0].ship_date.isoformat() == "2024-08-31"
    pages = [t for _, m, t, _ in sandbox.request_log if t.startswith("/shipments")]
    assert len(pages) == 3 and all(
        "pageSize=500" in t and "includeShipmentItems=true" in t for t in pages
    )


async def test_list_filters_use_pacific_wall_time_and_exact_number_match():
    now = [datetime(2024, 3, 10, 9, 0, tzinfo=UTC)]  # 01:00 PST, the DST-start day
    sandbox = ShipStationSandbox(now=lambda: now[0])
    async with client_for(sandbox) as client:
        await client.upsert_orders([order(1, orderNumber="1234")])
        now[0] = datetime(2024, 3, 10, 11, 0, tzinfo=UTC)  # 04:00 PDT
        await client.upsert_orders([order(2, orderNumber="12345")])
        recent = await client.list_orders(
            create_date_start=datetime(2024, 3, 10, 10, 0, tzinfo=UTC)
        )
        exact = await client.find_orders_by_number("1234")
        prefixed = await client.list_orders(order_number="1234")
    assert [o.order_number for o in recent] == ["12345"]
    assert recent[0].create_date == datetime(2024, 3, 10, 11, 0, tzinfo=UTC)
    assert sandbox.order_by_key("bp-acme-gon-2")["createDate"] == "2024-03-10T04:00:00.0000000"
    assert [o.order_number for o in exact] == ["1234"]
    assert sorted(o.order_number for o in prefixed) == ["1234", "12345"]
    filters = [t for _, m, t, _ in sandbox.request_log if "createDateStart" in t]
    assert "createDateStart=2024-03-10+03%3A00%3A00" in filters[0]


async def test_429_waits_reset_and_never_hits_twice_in_a_row():
    clock_start = datetime.now(UTC)
    sandbox = ShipStationSandbox(rate_limit=4, window_s=0.4, now=lambda: clock_start)
    sleep = SleepRecorder()
    async with client_for(sandbox, sleep=sleep) as client:
        await client.list_stores()
        sandbox.consume_rate_limit(10)  # another app on the same key spends the window
        stores = await client.list_stores()
        for _ in range(8):  # more than a window's worth: the client must pace itself
            await client.list_carriers()
    assert len(stores) == 2
    statuses = [status for _, _, _, status in sandbox.request_log]
    assert statuses.count(429) == 1
    assert all(not (a == 429 and b == 429) for a, b in pairwise(statuses))
    assert sandbox.violations == 0
    at_429 = next(i for i, s in enumerate(statuses) if s == 429)
    waited = sandbox.request_log[at_429 + 1][0] - sandbox.request_log[at_429][0]
    assert waited >= 0.3  # the Reset the 429 carried (the rest of the 0.4 s window)
    assert max(sleep.calls) <= 0.41
    assert client.requests_sent == len(sandbox.request_log) == 11


async def test_500_is_retried_then_succeeds():
    sandbox = ShipStationSandbox()
    sandbox.fail_next(2, status=500, path="/orders/createorders")
    async with client_for(sandbox) as client:
        results = await client.upsert_orders([order(1), order(2)])
    assert [r.success for r in results] == [True, True]
    assert [status for _, status in _posts(sandbox)] == [500, 500, 200]
    assert len(sandbox.orders) == 2


async def test_500_after_all_retries_is_api_unavailable():
    sandbox = ShipStationSandbox()
    sandbox.fail_next(10, status=502, path="/shipments")
    async with client_for(sandbox) as client:
        with pytest.raises(ApiUnavailable) as caught:
            await client.list_shipments()
        assert client.requests_sent == 4
    assert "Object reference not set" in str(caught.value)


async def test_bad_credentials_give_a_sentence_without_the_secret():
    sandbox = ShipStationSandbox()
    async with client_for(sandbox, api_secret="wrong-secret-value") as client:
        with pytest.raises(ApiAuthError) as caught:
            await client.list_stores()
        assert client.requests_sent == 1
    message = str(caught.value)
    assert "ShipStation refused the API key/secret" in message
    assert "wrong-secret-value" not in message and "sandbox-key" not in message
    assert "wrong-secret-value" not in repr(client)


async def test_store_branding_update_round_trip_through_full_put():
    sandbox = ShipStationSandbox()
    async with client_for(sandbox) as client:
        stores = await client.list_stores()
        assert {s.store_name for s in stores} == {"Manual Orders", "Brightpearl"}
        updated = await client.update_store_branding(
            sandbox.brightpearl_store_id,
            company_name="Acme Ltd",
            phone="0113 496 0000",
            public_email="help@acme.example",
            website="https://acme.example",
        )
        again = await client.get_store(sandbox.brightpearl_store_id)
    for store in (updated, again):
        assert (store.company_name, store.phone, store.public_email, store.website) == (
            "Acme Ltd",
            "0113 496 0000",
            "help@acme.example",
            "https://acme.example",
        )
        assert store.store_name == "Brightpearl"
    puts = [t for _, m, t, s in sandbox.request_log if m == "PUT"]
    assert puts == [f"/stores/{sandbox.brightpearl_store_id}"]


async def test_orders_shipments_fulfillments_and_carriers_read_back():
    sandbox = ShipStationSandbox()
    async with client_for(sandbox) as client:
        created = await client.upsert_orders(
            [order(1, advancedOptions={"storeId": sandbox.brightpearl_store_id}), order(2)]
        )
        label = sandbox.create_label(created[0].order_id, tracking_number="1ZTEST")
        sandbox.void_label(label["shipmentId"])
        sandbox.create_label(created[0].order_id, tracking_number="1ZTEST2")
        sandbox.mark_shipped(
            created[1].order_id, tracking_number="TRK-2", carrier_code="royal_mail"
        )
        got = await client.get_order(created[0].order_id)
        scoped = await client.list_shipments(
            store_id=sandbox.brightpearl_store_id, include_items=False
        )
        fulfillments = await client.list_fulfillments(order_id=created[1].order_id)
        carriers = await client.list_carriers()
        services = await client.list_services("fedex")
        with pytest.raises(ApiError) as missing:
            await client.get_order(999)
        with pytest.raises(ApiError) as bad_carrier:
            await client.list_services("nope")
    assert got.order_status == "shipped" and got.store_id == sandbox.brightpearl_store_id
    assert [(s.tracking_number, s.voided) for s in scoped] == [("1ZTEST", True), ("1ZTEST2", False)]
    assert scoped[0].void_date is not None and scoped[0].items == []
    assert [(f.tracking_number, f.carrier_code) for f in fulfillments] == [("TRK-2", "royal_mail")]
    assert {c.code for c in carriers} >= {"ups", "fedex"}
    assert "fedex_ground" in {s.code for s in services}
    assert missing.value.status == 404
    assert bad_carrier.value.status == 400 and "invalid field carrierCode" in str(bad_carrier.value)


async def test_base_url_with_a_path_prefix():
    import httpx
    from starlette.applications import Starlette
    from starlette.routing import Mount

    from bp_tui.config.model import ShipStationSettings
    from bp_tui.shipstation.client import ShipStationClient

    sandbox = ShipStationSandbox()
    outer = Starlette(routes=[Mount("/shipstation", app=sandbox.app)])
    settings = ShipStationSettings(**sandbox.settings("http://127.0.0.1:8000/shipstation"))
    async with ShipStationClient(settings, transport=httpx.ASGITransport(app=outer)) as client:
        stores = await client.list_stores()
    assert len(stores) == 2
    assert sandbox.request_log[0][2] == "/stores?showInactive=false"
