"""The ShipStation sandbox behaves like V1: validation, upsert rules, paging, auth and rate
limits."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest

from bp_tui.sandbox.shipstation.sandbox import ShipStationSandbox
from tests.shipstation.factory import order


def http(sandbox: ShipStationSandbox, *, auth=None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox.app),
        base_url="http://ss",
        auth=auth or (sandbox.api_key, sandbox.api_secret),
    )


async def post_orders(sandbox: ShipStationSandbox, body) -> httpx.Response:
    async with http(sandbox) as client:
        return await client.post("/orders/createorders", json=body)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"orderNumber": None}, "orderNumber is required"),
        ({"orderNumber": "9" * 51}, "longer than 50 characters"),
        ({"orderDate": None}, "orderDate is required"),
        ({"orderStatus": "packed"}, "Invalid orderStatus 'packed'"),
        ({"shipTo": None}, "shipTo is required"),
        ({"billTo": None}, "billTo is required"),
        ({"shipTo": {"name": "A", "country": "UK"}}, "Invalid country code 'UK'"),
        ({"items": [{"sku": "A", "name": None, "quantity": 1}]}, "items[0].name cannot be null"),
    ],
)
async def test_each_invalid_item_fails_alone_with_a_reason(change, reason):
    sandbox = ShipStationSandbox()
    response = await post_orders(sandbox, [order(1), order(2, **change)])
    assert response.status_code == 200
    body = response.json()
    assert body["hasErrors"] is True
    assert [r["success"] for r in body["results"]] == [True, False]
    assert reason in body["results"][1]["errorMessage"]
    assert body["results"][1]["orderId"] is None
    assert list(sandbox.orders) == [body["results"][0]["orderId"]]


async def test_more_than_100_orders_or_a_single_object_is_a_400_model_state():
    sandbox = ShipStationSandbox()
    too_many = await post_orders(sandbox, [order(n) for n in range(101)])
    assert too_many.status_code == 400
    assert (
        too_many.json()["Message"] == "The request is invalid."
        and "apiOrders" in too_many.json()["ModelState"]
    )
    single = await post_orders(sandbox, order(1))
    assert single.status_code == 400 and "JSON array" in single.json()["ModelState"]["apiOrders"][0]
    assert sandbox.orders == {}


async def test_upsert_keeps_id_and_store_and_cancels_open_orders():
    sandbox = ShipStationSandbox()
    first = (await post_orders(sandbox, [order(1)])).json()["results"][0]
    moved = order(
        1, advancedOptions={"storeId": sandbox.brightpearl_store_id}, orderStatus="on_hold"
    )
    second = (await post_orders(sandbox, [moved])).json()["results"][0]
    assert second["orderId"] == first["orderId"]
    record = sandbox.orders[first["orderId"]]
    assert (
        record["advancedOptions"]["storeId"] == sandbox.default_store_id
    )  # only honoured at creation
    assert record["orderStatus"] == "on_hold"
    cancelled = (await post_orders(sandbox, [order(1, orderStatus="cancelled")])).json()["results"][
        0
    ]
    assert cancelled["success"] and cancelled["orderId"] == first["orderId"]
    assert sandbox.order_by_key("bp-acme-gon-1")["orderStatus"] == "cancelled"
    refused = (await post_orders(sandbox, [order(1)])).json()["results"][0]
    assert not refused["success"] and "is not in an open status" in refused["errorMessage"]


async def test_dates_are_pacific_with_seven_digits_and_ship_date_only():
    moment = datetime(2024, 1, 15, 16, 0, 0, 250000, tzinfo=UTC)
    sandbox = ShipStationSandbox(now=lambda: moment)
    result = (await post_orders(sandbox, [order(1, orderDate="2024-01-10T12:00:00Z")])).json()[
        "results"
    ][0]
    record = sandbox.orders[result["orderId"]]
    assert record["createDate"] == "2024-01-15T08:00:00.2500000"
    assert record["orderDate"] == "2024-01-10T04:00:00.0000000"
    label = sandbox.create_label(result["orderId"], when=datetime(2024, 1, 16, 5, 0, tzinfo=UTC))
    assert (
        label["shipDate"] == "2024-01-15" and label["createDate"] == "2024-01-15T21:00:00.0000000"
    )
    fulfilled = sandbox.mark_shipped(result["orderId"], tracking_number="T1")
    assert fulfilled["shipDate"] == "2024-01-15T00:00:00.0000000"


async def test_labels_voids_and_fulfillments():
    sandbox = ShipStationSandbox()
    ids = [
        r["orderId"] for r in (await post_orders(sandbox, [order(1), order(2)])).json()["results"]
    ]
    label = sandbox.create_label(ids[0], tracking_number="1ZX")
    assert sandbox.orders[ids[0]]["orderStatus"] == "shipped"
    sandbox.void_label(label["shipmentId"])
    assert sandbox.shipments[label["shipmentId"]]["voided"] is True
    assert sandbox.shipments[label["shipmentId"]]["voidDate"]
    assert sandbox.orders[ids[0]]["orderStatus"] == "awaiting_shipment"
    sandbox.mark_shipped(ids[1], tracking_number="T-2")
    async with http(sandbox) as client:
        with_items = (
            await client.get("/shipments", params={"includeShipmentItems": "true"})
        ).json()
        without = (await client.get("/shipments")).json()
        fulfillments = (await client.get("/fulfillments")).json()
    assert with_items["total"] == 1 and with_items["shipments"][0]["voided"] is True
    assert with_items["shipments"][0]["shipmentItems"][0]["lineItemKey"] == "row-1"
    assert without["shipments"][0]["shipmentItems"] is None
    assert [f["orderId"] for f in fulfillments["fulfillments"]] == [ids[1]]


async def test_orders_list_paging_and_starts_with_filter():
    sandbox = ShipStationSandbox()
    await post_orders(sandbox, [order(n, orderNumber=f"77{n}") for n in range(12)])
    async with http(sandbox) as client:
        page2 = (await client.get("/orders", params={"page": 2, "pageSize": 5})).json()
        starts = (await client.get("/orders", params={"orderNumber": "771"})).json()
        by_store = (
            await client.get("/orders", params={"storeId": sandbox.brightpearl_store_id})
        ).json()
        bad = await client.get("/orders", params={"createDateStart": "not a date"})
        one = await client.get(f"/orders/{page2['orders'][0]['orderId']}")
        none = await client.get("/orders/1")
    assert (page2["total"], page2["page"], page2["pages"], len(page2["orders"])) == (12, 2, 3, 5)
    assert sorted(o["orderNumber"] for o in starts["orders"]) == ["771", "7710", "7711"]
    assert by_store["total"] == 0 and by_store["pages"] == 0
    assert bad.status_code == 400 and "createDateStart" in bad.json()["ModelState"]
    assert one.json()["orderNumber"] == "775" and none.status_code == 404


async def test_store_put_needs_the_full_object():
    sandbox = ShipStationSandbox()
    path = f"/stores/{sandbox.brightpearl_store_id}"
    async with http(sandbox) as client:
        partial = await client.put(path, json={"companyName": "Acme"})
        store = (await client.get(path)).json()
        store["website"] = "https://acme.example"
        full = await client.put(path, json=store)
        listed = (await client.get("/stores")).json()
    assert partial.status_code == 400 and "storeId, storeName" in partial.json()["message"]
    assert full.status_code == 200 and full.json()["website"] == "https://acme.example"
    assert "statusMappings" in store and all("statusMappings" not in s for s in listed)
    assert {s["storeName"] for s in listed} == {"Manual Orders", "Brightpearl"}
    assert all(s["marketplaceName"] == "ShipStation" for s in listed)


async def test_basic_auth_is_checked_and_headers_are_on_every_answer():
    sandbox = ShipStationSandbox()
    async with http(sandbox, auth=("sandbox-key", "nope")) as client:
        refused = await client.get("/stores")
    async with http(sandbox) as client:
        ok = await client.get("/stores")
    assert refused.status_code == 401 and refused.json() == {"message": "Invalid API credentials"}
    for response in (refused, ok):
        assert {"x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset"} <= set(
            response.headers
        )
    assert ok.headers["x-rate-limit-limit"] == "40" and ok.headers["x-rate-limit-remaining"] == "39"
    assert 0 < int(ok.headers["x-rate-limit-reset"]) <= 60
    assert [(m, t, s) for _, m, t, s in sandbox.request_log] == [
        ("GET", "/stores", 401),
        ("GET", "/stores", 200),
    ]
    assert sandbox.settings()["store_id"] == sandbox.brightpearl_store_id


async def test_over_the_limit_is_429_and_ignoring_it_counts_violations():
    now = [0.0]
    sandbox = ShipStationSandbox(rate_limit=2, window_s=60, clock=lambda: now[0])
    async with http(sandbox) as client:
        answers = [await client.get("/carriers") for _ in range(4)]
        now[0] = 61.0
        after = await client.get("/carriers")
    assert [a.status_code for a in answers] == [200, 200, 429, 429]
    assert answers[2].json() == {"message": "Too Many Requests"}
    assert answers[2].headers["x-rate-limit-remaining"] == "0"
    assert answers[2].headers["x-rate-limit-reset"] == "60"
    assert sandbox.violations == 1
    assert after.status_code == 200 and after.headers["x-rate-limit-remaining"] == "1"


async def test_served_over_real_http_under_a_path_prefix():
    import socket

    import uvicorn
    from starlette.applications import Starlette
    from starlette.routing import Mount

    sandbox = ShipStationSandbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            Starlette(routes=[Mount("/shipstation", app=sandbox.app)]),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(500):
            if server.started:
                break
            await asyncio.sleep(0.01)
        assert server.started
        async with httpx.AsyncClient(auth=(sandbox.api_key, sandbox.api_secret)) as client:
            response = await client.get(f"http://127.0.0.1:{port}/shipstation/carriers")
    finally:
        server.should_exit = True
        await task
    assert response.status_code == 200 and response.json()[0]["code"] == "ups"
    assert sandbox.request_log[0][1:] == ("GET", "/carriers", 200)
