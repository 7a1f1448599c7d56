"""The ``/_sandbox`` controls of `bp-tui sandbox serve` drive the real-world behaviours, and the
tally counts them as a client should see them (issue 13)."""

from __future__ import annotations

import random
from typing import Any

import httpx
import pytest

from bp_tui.sandbox.activity import label_open_orders, real_world_event
from bp_tui.sandbox.brightpearl.sandbox import BrightpearlSandbox
from bp_tui.sandbox.server import combined_app, control_app, tally
from bp_tui.sandbox.shipstation.sandbox import ShipStationSandbox
from bp_tui.sandbox.shipstation_v2.sandbox import ShipStationV2Sandbox


def accounts(orders: int = 8) -> tuple[BrightpearlSandbox, ShipStationSandbox]:
    bp = BrightpearlSandbox(rate_limit=100_000)
    bp.seed(orders=orders, seed=1)
    ss = ShipStationSandbox(rate_limit=100_000)
    for gid, gon in sorted(bp.gons.items()):
        if gon["orderId"] and gon["status"]["printed"] and not gon["status"]["shipped"]:
            ss.upsert_order(order_for(gid))
    return bp, ss


def order_for(gid: int, **changes: Any) -> dict:
    body = {
        "orderKey": f"bp-demo-gon-{gid}",
        "orderNumber": str(gid),
        "orderDate": "2026-03-01 10:00:00",
        "orderStatus": "awaiting_shipment",
        "billTo": {"name": "A"},
        "shipTo": {
            "name": "Same Person",
            "street1": "1 High St",
            "city": "Leeds",
            "postalCode": "LS1 1AA",
            "country": "GB",
        },
        "items": [
            {"lineItemKey": f"{gid}-a", "sku": "A", "name": "Mug", "quantity": 2, "unitPrice": 5.0},
            {
                "lineItemKey": f"{gid}-b",
                "sku": "B",
                "name": "Tray",
                "quantity": 1,
                "unitPrice": 9.0,
            },
        ],
    }
    body.update(changes)
    return body


class Controls:
    """A client of one served pair of accounts' ``/_sandbox`` controls (one seeded stream)."""

    def __init__(
        self, bp: BrightpearlSandbox, ss: ShipStationSandbox, *, real_world: bool = False
    ) -> None:
        app = combined_app(bp.app, ss.app, control=control_app(bp, ss, real_world=real_world))
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1"
        )

    async def __call__(self, method: str, path: str, **kw: Any) -> httpx.Response:
        return await self.client.request(method, "/_sandbox" + path, **kw)


async def test_split_merge_and_the_tally():
    bp, ss = accounts()
    control = Controls(bp, ss)
    first, second, third = sorted(ss.orders)[:3]
    key = ss.orders[first]["items"][0]["lineItemKey"]
    split = await control("POST", "/split", params={"orderId": first, "items": f"{key}:1"})
    assert split.status_code == 200
    part = split.json()["part"]
    assert (
        part["advancedOptions"]["parentId"] == first
        and part["orderKey"] == ss.orders[first]["orderKey"]
    )
    assert [i["quantity"] for i in split.json()["order"]["items"]] == [1, 1]
    merged = await control("POST", "/merge", params={"orderId": second, "merge": str(third)})
    assert merged.status_code == 200 and merged.json()["order"]["advancedOptions"]["mergedIds"] == [
        third
    ]
    counts = tally(bp, ss)
    assert counts["split_parts"] == 1 and counts["merged_away"] == 1
    assert counts["duplicate_orders"] == []  # the parts of a split share their orderKey on purpose
    over_http = (await control("GET", "/tally")).json()
    assert over_http["split_parts"] == 1 and over_http["orders"] == counts["orders"]


async def test_tally_counts_a_note_labelled_once_every_part_is_and_merged_notes_with_survivor():
    bp, ss = accounts()
    first, second, third = sorted(ss.orders)[:3]
    part = ss.split_order(first)
    ss.merge_orders(second, [third])
    gon = {oid: int(ss.orders[oid]["orderKey"].rsplit("-", 1)[1]) for oid in (first, second)}
    merged_gon = int(ss.merged_orders[third]["orderKey"].rsplit("-", 1)[1])
    ss.create_label(first)
    assert gon[first] not in tally(bp, ss)["labelled_unconfirmed"]  # one part still open
    ss.create_label(part["orderId"])
    ss.create_label(second)
    ss.create_return_label(second)
    counts = tally(bp, ss)
    assert {gon[first], gon[second], merged_gon} <= set(counts["labelled_unconfirmed"])
    assert counts["labelled"] == 3 and counts["return_labels"] == 1
    shipped = bp.gons[merged_gon]
    bp.apply_events(
        merged_gon, [{"eventCode": "SHW", "occured": shipped["createdOn"], "eventOwnerId": 4}]
    )
    assert merged_gon not in tally(bp, ss)["labelled_unconfirmed"]


async def test_return_label_void_late_void_and_ui_edit():
    bp, ss = accounts()
    control = Controls(bp, ss)
    first, second = sorted(ss.orders)[:2]
    label = ss.create_label(first)
    back = await control(
        "POST", "/return-label", params={"orderId": first, "trackingNumber": "1ZBACK"}
    )
    assert (
        back.json()["shipment"]["isReturnLabel"] is True
        and back.json()["shipment"]["trackingNumber"] == "1ZBACK"
    )
    late = await control("POST", "/void", params={"shipmentId": label["shipmentId"], "days": "20"})
    assert late.status_code == 200 and late.json()["shipment"]["voided"] is True
    assert late.json()["shipment"]["createDate"] < late.json()["shipment"]["voidDate"][:10]
    again = await control("POST", "/void", params={"shipmentId": label["shipmentId"]})
    assert again.status_code == 400 and "already voided" in again.json()["message"]
    plain = ss.create_label(second)
    now = await control("POST", "/void", params={"shipmentId": plain["shipmentId"]})
    assert now.json()["shipment"]["voided"] is True and tally(bp, ss)["voided_labels"] == 2
    edited = await control(
        "POST",
        "/edit-order",
        params={"orderId": second},
        json={"serviceCode": "ups_next_day_air", "advancedOptions": {"customField3": "VIP"}},
    )
    assert edited.status_code == 200 and ss.orders[second]["serviceCode"] == "ups_next_day_air"
    assert ss.orders[second]["advancedOptions"]["customField3"] == "VIP"
    refused = await control(
        "POST", "/edit-order", params={"orderId": second}, json={"orderNumber": "X"}
    )
    assert refused.status_code == 400 and "orderNumber" in refused.json()["message"]


async def test_brightpearl_controls_timezone_and_staff():
    bp, ss = accounts(orders=2)
    control = Controls(bp, ss)
    zone = await control("POST", "/timezone", params={"name": "America/Chicago"})
    assert zone.json() == {"timezone": "America/Chicago"} and bp.timezone_name == "America/Chicago"
    bad = await control("POST", "/timezone", params={"name": "Atlantis/Capital"})
    assert bad.status_code == 400 and bp.timezone_name == "America/Chicago"
    off = await control("POST", "/timezone")
    assert off.json() == {"timezone": None} and bp.zone is None
    staff = await control(
        "POST", "/staff", params={"name": "Kim Packer", "email": "kim@demo.example"}
    )
    assert bp.staff[staff.json()["contactId"]] == "Kim Packer"


@pytest.mark.parametrize(
    "method, path, params, status",
    [
        ("POST", "/split", {"orderId": "1"}, 404),
        ("POST", "/split", {}, 400),
        ("POST", "/split", {"orderId": "x"}, 400),
        ("POST", "/split", {"orderId": "{first}", "items": "nonsense"}, 400),
        ("POST", "/merge", {"orderId": "{first}", "merge": "a,b"}, 400),
        ("POST", "/return-label", {"orderId": "5"}, 404),
        ("POST", "/void", {"shipmentId": "5"}, 404),
        ("POST", "/staff", {"name": "", "email": ""}, 400),
        ("GET", "/split", {}, 404),
        ("POST", "/nothing", {}, 404),
    ],
)
async def test_bad_control_requests_say_why(method, path, params, status):
    bp, ss = accounts(orders=2)
    control = Controls(bp, ss)
    first = str(min(ss.orders))
    answer = await control(
        method, path, params={k: v.format(first=first) for k, v in params.items()}
    )
    assert answer.status_code == status and answer.json()["message"]


async def test_labels_stay_plain_unless_real_world():
    bp, ss = accounts(orders=24)
    control = Controls(bp, ss)
    plain = await control("POST", "/labels", params={"count": "3"})
    assert set(plain.json()) == {"labels"} and len(plain.json()["labels"]) == 3
    assert tally(bp, ss)["split_parts"] == tally(bp, ss)["merged_away"] == 0
    events = []
    real = Controls(bp, ss, real_world=True)
    for _ in range(12):
        answer = await real("POST", "/labels", params={"count": "2"})
        events += answer.json()["events"]
    assert {e["event"] for e in events} >= {"split", "return_label", "late_void"}


def test_plain_labels_draw_exactly_as_before():
    """Without real_world, labelling consumes the seeded stream exactly as the old control did."""
    _, ss_new = accounts(orders=20)
    _, ss_old = accounts(orders=20)
    new_rng, old_rng = random.Random(7), random.Random(7)
    made, events = label_open_orders(ss_new, new_rng, 4)
    old = [o for o in ss_old.orders.values() if o["orderStatus"] == "awaiting_shipment"]
    old_rng.shuffle(old)
    assert [m["orderId"] for m in made] == [o["orderId"] for o in old[:4]] and events == []
    assert new_rng.random() == old_rng.random()


def test_real_world_events_cover_every_kind_and_keep_the_data_consistent():
    bp, ss = accounts(orders=30)
    for gid in range(900, 904):  # two pairs of orders to the same recipient: something to combine
        ss.upsert_order(order_for(gid))
    rng = random.Random(3)
    seen = []
    for _ in range(40):
        label_open_orders(ss, rng, 1)
        event = real_world_event(ss, rng)
        if event:
            seen.append(event["event"])
    assert set(seen) == {"split", "merge", "return_label", "late_void"}
    for shipment in ss.shipments.values():
        assert shipment["orderId"] in ss.orders or shipment["orderId"] in ss.merged_orders
    for order in ss.orders.values():
        parent = order["advancedOptions"]["parentId"]
        assert parent is None or ss.orders[parent]["orderKey"] == order["orderKey"]
        assert all(m in ss.merged_orders for m in order["advancedOptions"]["mergedIds"])
    assert tally(bp, ss)["duplicate_orders"] == []


async def test_the_demo_environment_is_plain_unless_real_world(tmp_path):
    from bp_tui.sandbox.environment import build_environment

    plain = build_environment(
        tmp_path / "plain", orders=16, seed=2, bp_limit=100_000, ss_limit=100_000
    )
    real = build_environment(
        tmp_path / "real",
        orders=16,
        seed=2,
        bp_limit=100_000,
        ss_limit=100_000,
        real_world=True,
        bp_timezone="America/Chicago",
    )
    try:
        assert plain.bp.zone is None and real.bp.timezone_name == "America/Chicago"
        for env in (plain, real):
            await env.connector.run_cycle()
            assert env.ss.orders
            for _ in range(25):
                await env.tick()
        assert plain.events == [] and not plain.ss.merged_orders
        assert not any(s["isReturnLabel"] for s in plain.ss.shipments.values())
        assert plain.ss.orders and all(
            o["advancedOptions"]["parentId"] is None for o in plain.ss.orders.values()
        )
        assert real.events and {e["event"] for e in real.events} <= {
            "split",
            "merge",
            "return_label",
            "late_void",
        }
    finally:
        await plain.aclose()
        await real.aclose()


async def test_v2_labels_being_made_or_failed_come_from_the_label_control():
    bp = BrightpearlSandbox(rate_limit=100_000)
    ss = ShipStationV2Sandbox(rate_limit=100_000)
    first = ss.upsert_order(order_for(1))["orderId"]
    second = ss.upsert_order(order_for(2))["orderId"]
    controls = Controls(bp, ss)  # type: ignore[arg-type]
    params = {"shipment_id": f"se-{first}", "status": "processing"}
    making = (await controls("POST", "/label", params=params)).json()
    failed = await controls("POST", "/label", params={"orderId": second, "status": "error"})
    wrong = await controls("POST", "/label", params={"orderId": second, "status": "printed"})
    label_id = making["label"]["label_id"]
    done = await controls("POST", "/complete-label", params={"label_id": label_id})
    again = await controls("POST", "/complete-label", params={"label_id": label_id})
    not_processing = await controls(
        "POST", "/complete-label", params={"label_id": failed.json()["label"]["label_id"]}
    )
    await controls.client.aclose()
    assert making["status"] == "processing" and failed.json()["status"] == "error"
    assert wrong.status_code == 400 and "processing or error" in wrong.json()["message"]
    assert done.status_code == 200 and done.json()["label"]["label_id"] == label_id
    assert ss.orders[first]["orderStatus"] == "shipped"
    assert ss.orders[second]["orderStatus"] == "awaiting_shipment"
    assert again.status_code == 404 and not_processing.status_code == 400
    assert "only a processing label completes" in not_processing.json()["message"]


async def test_only_the_v2_sandbox_makes_labels_that_are_not_completed():
    bp, ss = accounts()
    controls = Controls(bp, ss)
    order_id = next(iter(ss.orders))
    answer = await controls("POST", "/label", params={"orderId": order_id, "status": "processing"})
    await controls.client.aclose()
    assert answer.status_code == 400 and "V2 sandbox" in answer.json()["message"]
