"""What real ShipStation accounts do to orders (issue 13): splits, merges, return labels, late
voids, and createorders updates that replace the whole order. Each happens only when asked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bp_tui.sandbox.shipstation.account import NotPossible
from bp_tui.sandbox.shipstation.sandbox import ShipStationSandbox
from bp_tui.shipstation.dates import parse_datetime, to_filter

START = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)


def order(n: int, **changes: Any) -> dict:
    body = {
        "orderKey": f"bp-demo-gon-{n}",
        "orderNumber": str(100000 + n),
        "orderDate": "2026-03-01 10:00:00",
        "orderStatus": "awaiting_shipment",
        "customerEmail": f"c{n}@example.com",
        "billTo": {"name": f"Customer {n}"},
        "shipTo": {
            "name": f"Customer {n}",
            "street1": "1 High St",
            "city": "Leeds",
            "postalCode": "LS1 1AA",
            "country": "GB",
        },
        "items": [
            {
                "lineItemKey": f"row-{n}-a",
                "sku": "A",
                "name": "Mug",
                "quantity": 3,
                "unitPrice": 5.0,
            },
            {
                "lineItemKey": f"row-{n}-b",
                "sku": "B",
                "name": "Tray",
                "quantity": 1,
                "unitPrice": 20.0,
            },
        ],
        "amountPaid": 42.0,
        "taxAmount": 2.0,
        "shippingAmount": 5.0,
        "advancedOptions": {"customField1": "2", "source": "Brightpearl"},
    }
    body.update(changes)
    return body


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def sandbox() -> tuple[ShipStationSandbox, Clock]:
    clock = Clock()
    return ShipStationSandbox(rate_limit=10_000, now=clock), clock


async def call(ss: ShipStationSandbox, method: str, path: str, **kw: Any) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=ss.app),
        base_url="http://ss",
        auth=(ss.api_key, ss.api_secret),
    ) as client:
        return await client.request(method, path, **kw)


# ---- splits -------------------------------------------------------------------------------------


async def test_a_split_makes_a_child_with_its_own_id_the_parent_id_and_the_same_key():
    ss, _ = sandbox()
    parent = ss.upsert_order(order(1))
    child = ss.split_order(parent["orderId"], {"row-1-a": 1, "row-1-b": 1})
    assert child["orderId"] != parent["orderId"]
    assert (child["orderKey"], child["orderNumber"]) == (parent["orderKey"], parent["orderNumber"])
    assert (
        child["advancedOptions"]["parentId"] == parent["orderId"]
        and parent["advancedOptions"]["parentId"] is None
    )
    assert child["advancedOptions"]["mergedOrSplit"] and parent["advancedOptions"]["mergedOrSplit"]
    assert [(i["lineItemKey"], i["quantity"]) for i in parent["items"]] == [("row-1-a", 2)]
    assert [(i["lineItemKey"], i["quantity"]) for i in child["items"]] == [
        ("row-1-a", 1),
        ("row-1-b", 1),
    ]
    assert {i["orderItemId"] for i in child["items"]}.isdisjoint(
        i["orderItemId"] for i in parent["items"]
    )
    assert (parent["amountPaid"], child["amountPaid"], child["taxAmount"]) == (42.0, 0.0, 0.0)
    assert (parent["orderTotal"], child["orderTotal"]) == (17.0, 25.0)
    listed = (await call(ss, "GET", "/orders", params={"orderNumber": "100001"})).json()
    assert [o["orderId"] for o in listed["orders"]] == [parent["orderId"], child["orderId"]]
    got = (await call(ss, "GET", f"/orders/{child['orderId']}")).json()
    assert got["advancedOptions"]["parentId"] == parent["orderId"]
    assert [o["orderId"] for o in ss.split_parts(parent["orderKey"])] == [
        parent["orderId"],
        child["orderId"],
    ]


async def test_each_part_gets_its_own_label_with_its_own_items():
    ss, _ = sandbox()
    parent = ss.upsert_order(order(1))
    child = ss.split_order(parent["orderId"])  # default: the second half of the lines
    first = ss.create_label(parent["orderId"], tracking_number="1ZPARENT")
    assert ss.orders[child["orderId"]]["orderStatus"] == "awaiting_shipment"
    second = ss.create_label(child["orderId"], tracking_number="1ZCHILD")
    page = (await call(ss, "GET", "/shipments", params={"includeShipmentItems": "true"})).json()
    by_tracking = {s["trackingNumber"]: s for s in page["shipments"]}
    assert by_tracking["1ZPARENT"]["orderId"] == parent["orderId"]
    assert by_tracking["1ZCHILD"]["orderId"] == child["orderId"]
    assert (
        by_tracking["1ZPARENT"]["orderKey"]
        == by_tracking["1ZCHILD"]["orderKey"]
        == parent["orderKey"]
    )
    assert [i["lineItemKey"] for i in by_tracking["1ZPARENT"]["shipmentItems"]] == ["row-1-a"]
    assert [i["lineItemKey"] for i in by_tracking["1ZCHILD"]["shipmentItems"]] == ["row-1-b"]
    assert first["shipmentId"] != second["shipmentId"]


async def test_updating_a_split_order_needs_the_part_id():
    ss, _ = sandbox()
    parent = ss.upsert_order(order(1))
    child = ss.split_order(parent["orderId"], {"row-1-b": 1})
    blind = (
        await call(
            ss, "POST", "/orders/createorders", json=[order(1, customerEmail="new@example.com")]
        )
    ).json()
    assert blind["hasErrors"] and "orderId is required" in blind["results"][0]["errorMessage"]
    stranger = ss.upsert_order(order(2))
    wrong = (
        await call(ss, "POST", "/orders/createorders", json=[order(1, orderId=stranger["orderId"])])
    ).json()
    assert not wrong["results"][0]["success"]
    aimed = await call(
        ss,
        "POST",
        "/orders/createorders",
        json=[
            order(
                1,
                orderId=child["orderId"],
                customerEmail="new@example.com",
                items=[{"lineItemKey": "row-1-b", "sku": "B", "name": "Tray", "quantity": 1}],
            )
        ],
    )
    result = aimed.json()["results"][0]
    assert result["success"] and result["orderId"] == child["orderId"]
    assert ss.orders[child["orderId"]]["customerEmail"] == "new@example.com"
    assert (
        ss.orders[child["orderId"]]["advancedOptions"]["parentId"] == parent["orderId"]
    )  # read-only: kept
    assert ss.orders[parent["orderId"]]["customerEmail"] == "c1@example.com"
    assert ss.order_by_key(parent["orderKey"])["orderId"] == parent["orderId"]


def test_what_cannot_be_split():
    ss, _ = sandbox()
    single = ss.upsert_order(order(1, items=[{"sku": "A", "name": "Mug", "quantity": 1}]))
    with pytest.raises(NotPossible, match="nothing to split"):
        ss.split_order(single["orderId"])
    whole = ss.upsert_order(order(2))
    with pytest.raises(NotPossible, match="at least one unit"):
        ss.split_order(whole["orderId"], {"row-2-a": 3, "row-2-b": 1})
    with pytest.raises(NotPossible, match="no item"):
        ss.split_order(whole["orderId"], {"row-9": 1})
    ss.create_label(whole["orderId"])
    with pytest.raises(NotPossible, match="awaiting shipment"):
        ss.split_order(whole["orderId"])
    assert len(ss.orders) == 2


# ---- merges -------------------------------------------------------------------------------------


async def test_merged_away_orders_vanish_and_the_survivor_lists_them():
    ss, _ = sandbox()
    same_place = {
        "name": "Zoë",
        "street1": "1 High St",
        "city": "Leeds",
        "postalCode": "LS1 1AA",
        "country": "GB",
    }
    survivor = ss.upsert_order(order(1, shipTo=same_place))
    gone = ss.upsert_order(order(2, shipTo={**same_place, "name": "ZOË "}))
    ss.void_label(
        ss.create_label(gone["orderId"])["shipmentId"]
    )  # a voided label: open again, can be combined
    merged = ss.merge_orders(survivor["orderId"], [gone["orderId"]])
    assert (
        merged["advancedOptions"]["mergedIds"] == [gone["orderId"]]
        and merged["advancedOptions"]["mergedOrSplit"]
    )
    assert merged["advancedOptions"]["parentId"] is None
    assert [i["lineItemKey"] for i in merged["items"]] == [
        "row-1-a",
        "row-1-b",
        "row-2-a",
        "row-2-b",
    ]
    assert merged["amountPaid"] == 84.0 and merged["orderTotal"] == 84.0
    listed = (await call(ss, "GET", "/orders")).json()
    assert [o["orderId"] for o in listed["orders"]] == [survivor["orderId"]]
    assert (await call(ss, "GET", f"/orders/{gone['orderId']}")).status_code == 404
    assert (await call(ss, "GET", "/orders", params={"orderNumber": "100002"})).json()["total"] == 0
    assert ss.merged_orders[gone["orderId"]]["orderKey"] == "bp-demo-gon-2"
    assert (await call(ss, "GET", "/shipments")).json()["total"] == 0  # its labels vanish with it
    label = ss.create_label(survivor["orderId"])
    assert [i["lineItemKey"] for i in label["shipmentItems"]][2:] == ["row-2-a", "row-2-b"]
    again = (
        await call(ss, "POST", "/orders/createorders", json=[order(2, shipTo=same_place)])
    ).json()["results"][0]
    assert again["success"] and again["orderId"] not in (
        gone["orderId"],
        survivor["orderId"],
    )  # a new order


async def test_an_update_of_the_survivor_keeps_its_merge_links():
    ss, _ = sandbox()
    survivor = ss.upsert_order(order(1))
    gone = ss.upsert_order(order(2, shipTo=order(1)["shipTo"]))
    ss.merge_orders(survivor["orderId"], [gone["orderId"]])
    result = (await call(ss, "POST", "/orders/createorders", json=[order(1)])).json()["results"][0]
    assert result["success"]
    assert ss.orders[survivor["orderId"]]["advancedOptions"]["mergedIds"] == [gone["orderId"]]
    assert (
        len(ss.orders[survivor["orderId"]]["items"]) == 2
    )  # the whole order was replaced by the body


def test_what_cannot_be_merged():
    ss, _ = sandbox()
    a = ss.upsert_order(order(1))
    elsewhere = ss.upsert_order(order(2))  # Customer 2: another recipient
    other_store = ss.upsert_order(
        order(3, shipTo=order(1)["shipTo"], advancedOptions={"storeId": ss.brightpearl_store_id})
    )
    with pytest.raises(NotPossible, match="another recipient"):
        ss.merge_orders(a["orderId"], [elsewhere["orderId"]])
    with pytest.raises(NotPossible, match="another store"):
        ss.merge_orders(a["orderId"], [other_store["orderId"]])
    with pytest.raises(NotPossible, match="at least one"):
        ss.merge_orders(a["orderId"], [a["orderId"]])
    shipped = ss.upsert_order(order(4, shipTo=order(1)["shipTo"]))
    ss.create_label(shipped["orderId"])
    with pytest.raises(NotPossible, match="awaiting"):
        ss.merge_orders(a["orderId"], [shipped["orderId"]])
    with pytest.raises(KeyError):
        ss.merge_orders(a["orderId"], [999])
    assert len(ss.orders) == 4 and not ss.merged_orders


# ---- return labels and late voids ----------------------------------------------------------------


async def test_a_return_label_is_listed_with_the_order_and_changes_nothing_else():
    ss, _ = sandbox()
    placed = ss.upsert_order(order(1))
    outbound = ss.create_label(placed["orderId"])
    before = dict(ss.orders[placed["orderId"]])
    back = ss.create_return_label(placed["orderId"], tracking_number="1ZRETURN")
    assert ss.orders[placed["orderId"]] == before
    page = (await call(ss, "GET", "/shipments", params={"orderId": placed["orderId"]})).json()
    flags = {s["trackingNumber"]: s["isReturnLabel"] for s in page["shipments"]}
    assert flags == {outbound["trackingNumber"]: False, "1ZRETURN": True}
    assert back["orderNumber"] == placed["orderNumber"] and back["voided"] is False
    ss.void_label(back["shipmentId"])  # voiding the return label leaves the shipped order shipped
    assert ss.orders[placed["orderId"]]["orderStatus"] == "shipped"
    ss.create_return_label(placed["orderId"])
    ss.void_label(outbound["shipmentId"])  # a live return label is no outbound label
    assert ss.orders[placed["orderId"]]["orderStatus"] == "awaiting_shipment"


async def test_a_late_void_is_found_by_void_date_and_not_by_create_date():
    ss, clock = sandbox()
    placed = ss.upsert_order(order(1))
    label = ss.create_label(placed["orderId"])
    kept = ss.create_label(ss.upsert_order(order(2))["orderId"])
    clock.now = START + timedelta(days=1)
    ss.void_late(label["shipmentId"], days=21)
    record = ss.shipments[label["shipmentId"]]
    assert parse_datetime(record["createDate"]) == clock.now - timedelta(days=21)
    assert parse_datetime(record["voidDate"]) == clock.now and record["voided"] is True
    assert ss.orders[placed["orderId"]]["orderStatus"] == "awaiting_shipment"
    since = to_filter(clock.now - timedelta(hours=2))
    by_create = (await call(ss, "GET", "/shipments", params={"createDateStart": since})).json()
    by_void = (await call(ss, "GET", "/shipments", params={"voidDateStart": since})).json()
    too_early = (await call(ss, "GET", "/shipments", params={"voidDateEnd": since})).json()
    window = (
        await call(
            ss,
            "GET",
            "/shipments",
            params={
                "voidDateStart": to_filter(clock.now - timedelta(minutes=1)),
                "voidDateEnd": to_filter(clock.now + timedelta(minutes=1)),
            },
        )
    ).json()
    assert by_create["total"] == 0
    assert [s["shipmentId"] for s in by_void["shipments"]] == [label["shipmentId"]]
    assert too_early["total"] == 0 and window["total"] == 1
    assert kept["shipmentId"] not in [s["shipmentId"] for s in window["shipments"]]  # never voided
    bad = await call(ss, "GET", "/shipments", params={"voidDateStart": "last week"})
    assert bad.status_code == 400 and "voidDateStart" in bad.json()["ModelState"]
    with pytest.raises(NotPossible):
        ss.void_late(label["shipmentId"])


def test_void_label_takes_the_moment_of_the_void():
    ss, clock = sandbox()
    label = ss.create_label(ss.upsert_order(order(1))["orderId"])
    ss.void_label(label["shipmentId"], when=START + timedelta(days=30))
    assert parse_datetime(ss.shipments[label["shipmentId"]]["voidDate"]) == START + timedelta(
        days=30
    )


# ---- createorders replaces the whole order -----------------------------------------------------

UI_CHANGES = {
    "carrierCode": "fedex",
    "serviceCode": "fedex_2day",
    "packageCode": "package",
    "weight": {"value": 40, "units": "ounces"},
    "dimensions": {"length": 7, "width": 5, "height": 6, "units": "inches"},
    "internalNotes": "fragile: double box",
    "tagIds": [53974],
    "advancedOptions": {"customField2": "picked by Jo"},
}


async def test_a_resend_without_the_ui_fields_wipes_them_but_not_the_tags():
    ss, clock = sandbox()
    placed = ss.upsert_order(order(1))
    clock.now += timedelta(minutes=5)
    edited = ss.edit_order(placed["orderId"], **UI_CHANGES)
    assert (
        edited["serviceCode"] == "fedex_2day"
        and edited["advancedOptions"]["customField2"] == "picked by Jo"
    )
    assert parse_datetime(edited["modifyDate"]) == clock.now
    answer = await call(ss, "POST", "/orders/createorders", json=[order(1)])
    assert answer.json()["results"][0]["success"]
    after = (await call(ss, "GET", f"/orders/{placed['orderId']}")).json()
    for key in (
        "carrierCode",
        "serviceCode",
        "packageCode",
        "weight",
        "dimensions",
        "internalNotes",
    ):
        assert after[key] is None, key
    assert (
        after["advancedOptions"]["customField2"] is None
        and after["advancedOptions"]["customField1"] == "2"
    )
    assert after["tagIds"] == [53974]  # tags added stay: createorders cannot remove them


async def test_a_resend_that_carries_the_ui_fields_keeps_them():
    ss, _ = sandbox()
    placed = ss.upsert_order(order(1))
    ss.edit_order(placed["orderId"], **UI_CHANGES)
    current = (await call(ss, "GET", f"/orders/{placed['orderId']}")).json()
    resend = {**current, "customerEmail": "changed@example.com"}
    assert (await call(ss, "POST", "/orders/createorders", json=[resend])).json()["results"][0][
        "success"
    ]
    after = ss.orders[placed["orderId"]]
    assert after["customerEmail"] == "changed@example.com"
    assert (after["serviceCode"], after["internalNotes"], after["weight"]) == (
        "fedex_2day",
        "fragile: double box",
        {"value": 40, "units": "ounces"},
    )
    assert after["advancedOptions"]["customField2"] == "picked by Jo"


def test_ui_edits_are_checked_like_the_ui():
    ss, _ = sandbox()
    placed = ss.upsert_order(order(1))
    with pytest.raises(NotPossible, match="orderKey"):
        ss.edit_order(placed["orderId"], orderKey="other")
    with pytest.raises(NotPossible, match="advancedOptions.storeId"):
        ss.edit_order(placed["orderId"], advancedOptions={"storeId": 1})
    held = ss.edit_order(placed["orderId"], holdUntilDate="2026-04-01")
    assert held["orderStatus"] == "on_hold" and held["holdUntilDate"] == "2026-04-01"
    ss.create_label(ss.upsert_order(order(2))["orderId"])
    with pytest.raises(NotPossible, match="shipped"):
        ss.edit_order(ss.order_by_key("bp-demo-gon-2")["orderId"], serviceCode="x")
