"""The reference's recorded payloads parse, and the sandbox answers with the same key sets."""

from datetime import UTC, date, datetime

import httpx

from bp_tui.sandbox.shipstation.sandbox import ShipStationSandbox
from bp_tui.shipstation.models import (
    Carrier,
    CarrierService,
    CreateOrderResult,
    Fulfillment,
    Order,
    Shipment,
    Store,
)
from tests.shipstation.factory import client_for, fixture, order


def test_recorded_shipment_parses():
    record = fixture("list_shipments.json")["shipments"][0]
    shipment = Shipment.from_api(record)
    assert shipment.shipment_id == 271726263 and shipment.order_id == 470873934
    assert shipment.order_key == "SHIP-1726505556889-44646"
    assert shipment.create_date == datetime(2024, 9, 17, 17, 51, 14, 503000, UTC)
    assert shipment.ship_date == date(2024, 9, 17)
    assert shipment.tracking_number == "1Z1V152Y6827822533"
    assert (shipment.carrier_code, shipment.service_code) == (
        "ups_walleted",
        "ups_standard_international",
    )
    assert shipment.store_id == 518236 and shipment.voided is False and shipment.items == []


def test_recorded_fulfillment_parses_with_time_on_ship_date():
    fulfillment = Fulfillment.from_api(fixture("list_fulfillments.json")["fulfillments"][0])
    assert fulfillment.fulfillment_id == 38186502 and fulfillment.order_id == 469546774
    assert fulfillment.carrier_code == "Airtranss" and fulfillment.tracking_number == "56556565565"
    assert fulfillment.ship_date == datetime(2024, 9, 12, 7, 0, tzinfo=UTC)
    assert fulfillment.create_date == datetime(2024, 9, 12, 20, 29, 18, 323000, UTC)


def test_recorded_createorders_response_parses():
    results = [
        CreateOrderResult.from_api(r) for r in fixture("createorders_response.json")["results"]
    ]
    assert [(r.order_id, r.success, r.error_message) for r in results] == [
        (168426889, True, None),
        (168432343, True, None),
    ]
    assert results[0].order_key == "0f6bec18-3e89-4881-83aa-f392d84f4c74"


def test_recorded_order_list_parses():
    parsed = Order.from_api(fixture("list_orders.json")["orders"][0])
    assert (parsed.order_id, parsed.order_number, parsed.order_status) == (
        123456789,
        "TEST-ORDER-API-DOCS",
        "awaiting_shipment",
    )
    assert parsed.store_id == 12345 and parsed.custom_field1 == "Custom data"
    assert parsed.modify_date == datetime(2015, 8, 17, 16, 21, 59, 443000, UTC)


def test_recorded_stores_and_carriers_parse():
    store = Store.from_api(fixture("list_stores.json")[0])
    assert store.store_name == "Manual Orders" and store.is_manual
    assert Carrier.from_api(fixture("list_carriers.json")[0]) == Carrier("fedex", "FedEx")
    assert CarrierService.from_api(fixture("list_services.json")[0]) == CarrierService(
        "fedex", "fedex_ground", "FedEx Ground®"
    )


def _keys(record: dict) -> set[str]:
    return set(record)


async def _get(sandbox: ShipStationSandbox, path: str, **params) -> object:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox.app),
        base_url="http://ss",
        auth=(sandbox.api_key, sandbox.api_secret),
    ) as http:
        response = await http.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()


async def test_sandbox_answers_have_the_recorded_key_sets():
    sandbox = ShipStationSandbox()
    async with client_for(sandbox) as client:
        (result,) = await client.upsert_orders([order(1)])
    sandbox.create_label(result.order_id)
    sandbox.mark_shipped(result.order_id, tracking_number="TRK1")

    orders = await _get(sandbox, "/orders")
    recorded = fixture("list_orders.json")
    assert _keys(orders) == _keys(recorded)
    got, want = orders["orders"][0], recorded["orders"][0]
    assert _keys(got) == _keys(want)
    for nested in (
        "shipTo",
        "billTo",
        "advancedOptions",
        "insuranceOptions",
        "internationalOptions",
    ):
        assert _keys(got[nested]) == _keys(want[nested]), nested
    assert _keys(got["items"][0]) == _keys(want["items"][0])

    shipments = await _get(sandbox, "/shipments")
    recorded = fixture("list_shipments.json")
    assert _keys(shipments) == _keys(recorded)
    got, want = shipments["shipments"][0], recorded["shipments"][0]
    assert _keys(got) == _keys(want)
    for nested in ("shipTo", "weight", "dimensions", "insuranceOptions", "advancedOptions"):
        assert _keys(got[nested]) == _keys(want[nested]), nested
    assert got["shipmentItems"] is None

    fulfillments = await _get(sandbox, "/fulfillments")
    recorded = fixture("list_fulfillments.json")
    assert _keys(fulfillments) == _keys(recorded)
    assert _keys(fulfillments["fulfillments"][0]) == _keys(recorded["fulfillments"][0])
    assert _keys(fulfillments["fulfillments"][0]["shipTo"]) == _keys(
        recorded["fulfillments"][0]["shipTo"]
    )

    stores = await _get(sandbox, "/stores")
    assert all(_keys(s) == _keys(fixture("list_stores.json")[0]) for s in stores)
    carriers = await _get(sandbox, "/carriers")
    assert all(_keys(c) == _keys(fixture("list_carriers.json")[0]) for c in carriers)
    services = await _get(sandbox, "/carriers/listservices", carrierCode="fedex")
    assert all(_keys(s) == _keys(fixture("list_services.json")[0]) for s in services)


async def test_sandbox_createorders_answer_has_the_recorded_key_sets():
    sandbox = ShipStationSandbox()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox.app),
        base_url="http://ss",
        auth=(sandbox.api_key, sandbox.api_secret),
    ) as http:
        body = (await http.post("/orders/createorders", json=[order(1), order(2)])).json()
    recorded = fixture("createorders_response.json")
    assert _keys(body) == _keys(recorded)
    assert all(_keys(r) == _keys(recorded["results"][0]) for r in body["results"])
    assert body["hasErrors"] is False


def test_split_merge_and_return_fields_parse():
    recorded = Order.from_api(fixture("list_orders.json")["orders"][0])
    assert (recorded.parent_id, recorded.merged_ids, recorded.merged_or_split) == (None, [], False)
    assert (
        Shipment.from_api(fixture("list_shipments.json")["shipments"][0]).is_return_label is False
    )
    sandbox = ShipStationSandbox()
    first = sandbox.upsert_order(
        {**order(1), "items": [{"sku": "A", "name": "Mug", "quantity": 2}]}
    )
    part = Order.from_api(sandbox.split_order(first["orderId"]))
    assert (
        part.parent_id == first["orderId"]
        and part.merged_or_split
        and part.order_key == first["orderKey"]
    )
    second = sandbox.upsert_order(order(2))
    third = sandbox.upsert_order(
        order(3, shipTo=order(2)["shipTo"])
    )  # the same recipient: combinable
    survivor = Order.from_api(sandbox.merge_orders(second["orderId"], [third["orderId"]]))
    assert (
        survivor.merged_ids == [third["orderId"]]
        and survivor.merged_or_split
        and survivor.parent_id is None
    )
    returned = Shipment.from_api(sandbox.create_return_label(second["orderId"]))
    assert returned.is_return_label and returned.order_id == second["orderId"]
