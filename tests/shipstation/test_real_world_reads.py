"""The V1 client's reads for what real accounts do (issue 13): orders changed since a moment
(splits, merges, cancellations), and labels voided since a moment however old they are."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bp_tui.sandbox.shipstation.sandbox import ShipStationSandbox
from tests.shipstation.factory import client_for, order

START = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


async def test_orders_changed_since_show_splits_and_merges_a_page_at_a_time():
    clock = Clock()
    sandbox = ShipStationSandbox(rate_limit=10_000, now=clock)
    untouched = sandbox.upsert_order(order(1))
    split = sandbox.upsert_order(order(2, items=[{"sku": "A", "name": "Mug", "quantity": 4}]))
    survivor = sandbox.upsert_order(order(3))
    merged = sandbox.upsert_order(order(4, shipTo=order(3)["shipTo"]))
    clock.now += timedelta(hours=2)
    part = sandbox.split_order(split["orderId"])
    sandbox.merge_orders(survivor["orderId"], [merged["orderId"]])
    async with client_for(sandbox) as client:
        changed = await client.list_modified_orders(
            modify_date_start=START + timedelta(hours=1),
            store_id=sandbox.default_store_id,
            page_size=2,
        )
    by_id = {o.order_id: o for o in changed}
    assert set(by_id) == {
        split["orderId"],
        part["orderId"],
        survivor["orderId"],
    }  # not the untouched one
    assert untouched["orderId"] not in by_id and merged["orderId"] not in by_id  # merged away: gone
    assert by_id[part["orderId"]].parent_id == split["orderId"]
    assert by_id[part["orderId"]].order_key == split["orderKey"]
    assert by_id[survivor["orderId"]].merged_ids == [merged["orderId"]]
    assert all(o.raw == {} for o in changed)  # kept slim: read every cycle over a day of orders
    requests = [t for _c, m, t, _s in sandbox.request_log if t.startswith("/orders?")]
    assert len(requests) == 2 and all("modifyDateStart=" in t for t in requests)


async def test_labels_voided_since_are_read_however_old_the_label():
    clock = Clock()
    sandbox = ShipStationSandbox(rate_limit=10_000, now=clock)
    placed = sandbox.upsert_order(order(1))
    label = sandbox.create_label(placed["orderId"])
    clock.now += timedelta(days=20)
    sandbox.void_label(label["shipmentId"])
    since = clock.now - timedelta(days=1)
    async with client_for(sandbox) as client:
        created = await client.list_shipments(create_date_start=since)
        voided = await client.list_shipments(void_date_start=since, include_items=False)
    assert created == []
    assert [(s.shipment_id, s.voided) for s in voided] == [(label["shipmentId"], True)]
    assert voided[0].void_date is not None and not voided[0].is_return_label
