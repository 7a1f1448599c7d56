"""The V1 sandbox is as strict as the V1 reference says the real API is, for required fields and
enums, so a client regression fails a test instead of passing unseen."""

from __future__ import annotations

import httpx
import pytest

from bp_tui.sandbox.shipstation.sandbox import ShipStationSandbox
from tests.shipstation.factory import order


@pytest.fixture
def http():
    sb = ShipStationSandbox(rate_limit=10_000)
    key, secret = sb.settings("http://x")["api_key"], sb.settings("http://x")["api_secret"]
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sb.app),
        base_url="http://shipstation.sandbox",
        auth=(key, secret),
    )


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"orderNumber": None}, "orderNumber is required"),
        ({"orderDate": None}, "orderDate is required"),
        ({"orderStatus": "packed"}, "Invalid orderStatus"),
        ({"shipTo": None}, "shipTo is required"),
        ({"billTo": None}, "billTo is required"),
        ({"shipTo": {"name": "A", "street1": "1 Rd", "country": "UK"}}, "Invalid country code"),
        ({"items": [{"sku": "X", "quantity": 1}]}, "name cannot be null"),
        ({"items": [{"name": "X", "quantity": 1.5}]}, "whole number"),
    ],
)
async def test_createorders_refuses_what_the_reference_says_v1_refuses(http, change, words):
    async with http:
        answer = await http.post("/orders/createorders", json=[order(1, **change)])
    [result] = answer.json()["results"]
    assert (
        answer.status_code == 200 and result["success"] is False and words in result["errorMessage"]
    )


async def test_markasshipped_needs_order_and_carrier_and_list_filters_take_the_enum_only(http):
    async with http:
        created = (await http.post("/orders/createorders", json=[order(1)])).json()["results"][0]
        no_carrier = await http.post("/orders/markasshipped", json={"orderId": created["orderId"]})
        no_order = await http.post("/orders/markasshipped", json={"carrierCode": "other"})
        bad_status = await http.get("/orders", params={"orderStatus": "open"})
        good_status = await http.get("/orders", params={"orderStatus": "awaiting_shipment"})
    assert no_carrier.status_code == 400 and "carrierCode" in no_carrier.text
    assert no_order.status_code == 400 and "orderId" in no_order.text
    assert bad_status.status_code == 400 and good_status.status_code == 200
    assert [o["orderId"] for o in good_status.json()["orders"]] == [created["orderId"]]


async def test_markasshipped_refuses_a_ship_date_that_is_not_a_date(http):
    async with http:
        created = (await http.post("/orders/createorders", json=[order(1)])).json()["results"][0]
        body = {"orderId": created["orderId"], "carrierCode": "other"}
        bad = await http.post("/orders/markasshipped", json={**body, "shipDate": "tomorrow"})
        still_open = (await http.get(f"/orders/{created['orderId']}")).json()["orderStatus"]
        good = await http.post("/orders/markasshipped", json={**body, "shipDate": "2026-03-01"})
        [record] = (await http.get("/fulfillments")).json()["fulfillments"]
    assert bad.status_code == 400 and "shipDate" in bad.text and still_open == "awaiting_shipment"
    assert good.status_code == 200 and record["shipDate"].startswith("2026-03-01")
