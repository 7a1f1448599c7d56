"""The V2 adapter over the in-process V2 sandbox: drafts created 100 per call with no look-up,
a taken key adopted, updates of the shipment the engine read (PUT only), cancel, mark shipped,
pending shipments read in pages, labels and fulfillments as the port's models, throttling, and
what V2 does not have."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from bp_tui.apiclient import Backoff
from bp_tui.config.model import ShipStationSettings
from bp_tui.core.shipping import Address
from bp_tui.errors import ApiAuthError, ApiError, ApiUnavailable
from bp_tui.sandbox.faults import FaultPlan, attach
from bp_tui.sandbox.shipstation_v2.faults import SHIPSTATION_V2
from bp_tui.sandbox.shipstation_v2.sandbox import ShipStationV2Sandbox
from bp_tui.shipstation.dates import PACIFIC
from bp_tui.shipstation.models import Order, OrderUpdate
from bp_tui.shipstation.v2.client import ShipStationV2Client, V1OnlyError
from tests.shipstation.factory import SleepRecorder, draft

SINCE = datetime.now(UTC) - timedelta(days=1)


def client(
    sb: ShipStationV2Sandbox,
    tmp_path=None,
    *,
    key: str | None = None,
    sleep=None,
    app=None,
    transport: httpx.AsyncBaseTransport | None = None,
    **kw,
) -> ShipStationV2Client:
    values = sb.settings("http://shipstation.sandbox")
    if key is not None:
        values["api_key"] = key
    return ShipStationV2Client(
        ShipStationSettings(**values),
        transport=transport or httpx.ASGITransport(app=app or sb.app),
        state_path=None if tmp_path is None else tmp_path / "state.sqlite3",
        backoff=Backoff(attempts=3, base=0.001, cap=0.002, rng=random.Random(1)),
        limit=kw.pop("limit", 10_000),
        sleep=sleep or SleepRecorder(),
        **kw,
    )


def keyed(n: int, **change):
    return draft(n, store_id=518237, **change)


def moved(n: int, street1: str):
    return keyed(
        n,
        ship_to=Address(
            name=f"Customer {n}", street1=street1, city="Leeds", postal_code="LS1 1AA", country="GB"
        ),
    )


def posts(sb) -> int:
    return [(m, p.split("?")[0]) for _t, m, p, _s in sb.request_log].count(
        ("POST", "/v2/shipments")
    )


async def test_new_orders_are_created_in_one_batch_without_a_look_up(tmp_path):
    sb = ShipStationV2Sandbox()
    async with client(sb, tmp_path) as ss:
        results = await ss.create_orders([keyed(n) for n in range(1, 6)])
        assert [r.success for r in results] == [True] * 5
        assert [r.order_key for r in results] == [f"bp-acme-gon-{n}" for n in range(1, 6)]
        assert ss.requests_sent == 1 + 1  # the default warehouse once, one create: no look-up
    created = [o for o in sb.orders.values()]
    assert sorted(r.order_id for r in results) == sorted(o["orderId"] for o in created)
    assert {o["advancedOptions"]["warehouseId"] for o in created} == {524391}
    assert all(
        item["create_sales_order"] is True and item["shipment_status"] == "pending"
        for item in sb.v2.received
    )
    assert posts(sb) == 1
    assert not [
        p for _t, m, p, _s in sb.request_log if m == "GET" and p.startswith("/v2/shipments")
    ]


async def test_more_than_100_orders_go_100_per_create(tmp_path):
    sb = ShipStationV2Sandbox()
    sizes = []

    class Spy(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request):
            if request.method == "POST" and request.url.path == "/v2/shipments":
                sizes.append(len(json.loads(request.content)["shipments"]))
            return await httpx.ASGITransport(app=sb.app).handle_async_request(request)

    async with client(sb, tmp_path, transport=Spy()) as ss:
        results = await ss.create_orders([keyed(n) for n in range(1, 231)])
        assert ss.requests_sent == 1 + 3
    assert all(r.success for r in results) and len(sb.orders) == 230
    assert sizes == [100, 100, 30]


async def test_creating_a_key_that_is_taken_adopts_the_shipment_never_duplicates(tmp_path):
    """Created by a run that died before recording it, or by V1 before a switch, or by another
    process: the create is refused for that key alone, which is read and adopted."""
    sb = ShipStationV2Sandbox()
    async with client(sb) as earlier:  # no state file: nothing cached
        made = (await earlier.create_orders([keyed(7)]))[0]
    async with client(sb, tmp_path) as ss:
        found, new = await ss.create_orders([keyed(7), keyed(8)])
        assert (
            ss.requests_sent == 1 + 1 + 1
        )  # warehouse, one create, one look-up of the taken key; no PUT
    assert found.success and found.order_id == made.order_id and new.success and len(sb.orders) == 2


async def test_a_taken_key_whose_shipment_differs_is_updated_while_pending(tmp_path):
    sb = ShipStationV2Sandbox()
    async with client(sb, tmp_path) as ss:
        made = (await ss.create_orders([keyed(1)]))[0]
        again = (await ss.create_orders([moved(1, "9 New Road")]))[0]
    assert again.success and again.order_id == made.order_id and len(sb.orders) == 1
    assert sb.orders[made.order_id]["shipTo"]["street1"] == "9 New Road"


async def test_an_update_puts_the_shipment_read_with_bp_tuis_fields_and_keeps_what_a_user_set(
    tmp_path,
):
    sb = ShipStationV2Sandbox()
    async with client(sb, tmp_path) as ss:
        made = (await ss.create_orders([keyed(1)]))[0]
        sb.edit_order(
            made.order_id,
            internalNotes="fragile",
            serviceCode="ups_next_day_air",
            carrierCode="ups",
            weight={"value": 3, "units": "pounds"},
            advancedOptions={"customField2": "packer"},
        )
        current = await ss.get_order(made.order_id)
        before = ss.requests_sent
        result = (await ss.update_orders([OrderUpdate(current, moved(1, "9 New Road"))]))[0]
        assert (
            result.success and ss.requests_sent - before == 1
        )  # the PUT: the engine's read is used
        unchanged = (
            await ss.update_orders([OrderUpdate(await ss.get_order(made.order_id), keyed(1))])
        )[0]
    record = sb.orders[made.order_id]
    assert (
        record["shipTo"]["street1"] == "1 High St" and unchanged.success
    )  # changed back by the second
    assert record["internalNotes"] == "fragile" and record["serviceCode"] == "ups_next_day_air"
    assert record["carrierCode"] == "ups" and record["weight"]["value"] == 3
    assert record["advancedOptions"]["customField2"] == "packer"
    puts = [p for _t, m, p, _s in sb.request_log if m == "PUT"]
    assert puts == [f"/v2/shipments/se-{made.order_id}"] * 2


async def test_an_update_that_changes_nothing_sends_nothing(tmp_path):
    sb = ShipStationV2Sandbox()
    async with client(sb, tmp_path) as ss:
        made = (await ss.create_orders([keyed(1)]))[0]
        current = await ss.get_order(made.order_id)
        before = ss.requests_sent
        assert (await ss.update_orders([OrderUpdate(current, keyed(1))]))[0].success
        assert ss.requests_sent == before


async def test_a_shipment_past_pending_is_not_updated_and_says_why(tmp_path):
    sb = ShipStationV2Sandbox()
    async with client(sb, tmp_path) as ss:
        made = (await ss.create_orders([keyed(1)]))[0]
        sb.create_label(made.order_id)
        current = await ss.get_order(made.order_id)
        refused = (await ss.update_orders([OrderUpdate(current, moved(1, "Too late"))]))[0]
        adopted = (await ss.create_orders([keyed(1)]))[
            0
        ]  # a create of a taken key: ours already, adopt it
    assert (
        not refused.success
        and "label_purchased" in refused.error_message
        and "pending" in refused.error_message
    )
    assert sb.orders[made.order_id]["shipTo"]["street1"] == "1 High St"
    assert adopted.success and adopted.order_id == made.order_id


async def test_an_update_of_a_shipment_that_vanished_is_never_recreated(tmp_path):
    sb = ShipStationV2Sandbox()
    async with client(sb, tmp_path) as ss:
        made = (await ss.create_orders([keyed(1)]))[0]
        slim = Order(
            made.order_id, "bp-acme-gon-1", "100001", "awaiting_shipment"
        )  # read without its body
        del sb.orders[made.order_id]
        result = (await ss.update_orders([OrderUpdate(slim, moved(1, "9 New Road"))]))[0]
    assert not result.success and "no longer exists" in result.error_message and not sb.orders


async def test_a_cancelled_shipment_is_never_recreated_under_its_key(tmp_path):
    sb = ShipStationV2Sandbox()
    async with client(sb, tmp_path) as ss:
        made = (await ss.create_orders([keyed(1)]))[0]
        sb.orders[made.order_id]["orderStatus"] = "cancelled"
        again = (await ss.create_orders([keyed(1)]))[0]
    assert not again.success and "cancelled" in again.error_message and len(sb.orders) == 1


async def test_each_refused_order_fails_alone_with_shipstations_reason(tmp_path):
    sb = ShipStationV2Sandbox()
    bad = keyed(2, ship_to=Address(name="A", street1="1 Rd", country="UK"))
    too_long = keyed(3, key="bp-" + "x" * 60)
    async with client(sb, tmp_path) as ss:
        ok, refused, long_key = await ss.create_orders([keyed(1), bad, too_long])
    assert (
        ok.success and not refused.success and refused.error_message == "Invalid country code 'UK'"
    )
    assert not long_key.success and "longer than V2's 50 characters" in long_key.error_message
    assert len(sb.orders) == 1  # the long key never went out to be cut


async def test_a_key_taken_by_another_process_just_before_our_create_is_adopted(tmp_path):
    sb = ShipStationV2Sandbox()
    real_create = sb.v2.create

    def another_process_first(body):  # the shipment appears just before our create lands
        if not sb.order_by_key(body["external_shipment_id"]):
            real_create(dict(body))
        return real_create(body)

    sb.v2.create = another_process_first
    async with client(sb, tmp_path) as ss:
        result = (await ss.create_orders([keyed(4)]))[0]
    assert result.success and len(sb.orders) == 1 and result.order_id == next(iter(sb.orders))


async def test_cancelling_uses_the_cancel_call_and_a_live_label_blocks_it(tmp_path):
    sb = ShipStationV2Sandbox()
    async with client(sb, tmp_path) as ss:
        one, two = await ss.create_orders([keyed(1), keyed(2)])
        sb.create_label(two.order_id)
        first, second = await ss.get_order(one.order_id), await ss.get_order(two.order_id)
        cancelled, blocked = await ss.cancel_orders([first, second])
        twice = (await ss.cancel_orders([first]))[0]
    assert cancelled.success and sb.orders[one.order_id]["orderStatus"] == "cancelled"
    assert not blocked.success and "voided first" in blocked.error_message
    assert twice.success  # already cancelled (our own lost answer): re-read and counted done
    puts = [p for _t, m, p, _s in sb.request_log if m == "PUT"]
    assert puts[0] == f"/v2/shipments/se-{one.order_id}/cancel"


async def test_pending_shipments_are_read_in_pages_for_many_updates(tmp_path):
    sb = ShipStationV2Sandbox()
    async with client(sb, tmp_path) as ss:
        made = await ss.create_orders([keyed(n) for n in range(1, 31)])
        sb.create_label(made[0].order_id)
        before = ss.requests_sent
        found = await ss.get_open_orders([r.order_id for r in made])
        assert ss.requests_sent - before == 1  # one page of pending shipments, not 30 GETs
        few = await ss.get_open_orders([r.order_id for r in made[:5]])
    assert set(found) == {r.order_id for r in made[1:]}  # the labelled one is no longer pending
    assert all(o.raw.get("shipment_id") for o in found.values()) and few == {}


async def test_get_order_and_find_by_number_speak_v1_words(tmp_path):
    sb = ShipStationV2Sandbox()
    async with client(sb, tmp_path) as ss:
        made = await ss.create_orders([keyed(1), keyed(2, number="100001")])
        got = await ss.get_order(made[0].order_id)
        assert (got.order_key, got.order_number, got.order_status, got.store_id) == (
            "bp-acme-gon-1",
            "100001",
            "awaiting_shipment",
            518237,
        )
        found = await ss.find_orders_by_number("100001", store_id=518237)
        assert sorted(o.order_key for o in found) == ["bp-acme-gon-1", "bp-acme-gon-2"]
        assert await ss.find_orders_by_number("10000") == []  # exact numbers only
        sb.create_label(made[0].order_id)
        assert (await ss.get_order(made[0].order_id)).order_status == "shipped"
        with pytest.raises(ApiError) as gone:
            await ss.get_order(999)
        assert gone.value.status == 404


async def test_mark_as_shipped_is_a_fulfillment_with_the_notify_flags(tmp_path):
    sb = ShipStationV2Sandbox()
    async with client(sb, tmp_path) as ss:
        made = (await ss.create_orders([keyed(1)]))[0]
        await ss.mark_as_shipped(
            made.order_id,
            carrier_code="other",
            shipped_at=datetime(2026, 1, 2, 12, tzinfo=UTC),
            tracking_number="HAND-1",
            notify_customer=True,
            notify_sales_channel=False,
        )
        with pytest.raises(ApiError, match="cannot be fulfilled again"):
            await ss.mark_as_shipped(
                made.order_id,
                carrier_code="other",
                shipped_at=datetime(2026, 1, 2, 12, tzinfo=UTC),
                tracking_number="HAND-2",
            )
        [record] = await ss.list_fulfillments(create_date_start=SINCE)
    assert sb.notifications == [(made.order_id, True, False)]
    assert (record.order_id, record.tracking_number, record.carrier_code) == (
        made.order_id,
        "HAND-1",
        "Other",
    )
    assert record.ship_date is not None and record.ship_date.tzinfo is not None


@pytest.mark.parametrize(
    ("shipped_at", "day"),
    [
        (datetime(2026, 3, 2, 3, 0, tzinfo=UTC), date(2026, 3, 1)),  # 19:00 the day before, PST
        (datetime(2026, 7, 2, 7, 0, tzinfo=UTC), date(2026, 7, 2)),  # midnight PDT
    ],
)
async def test_the_fulfillment_ship_date_is_the_pacific_day_of_the_shipment(
    tmp_path, shipped_at, day
):
    sb = ShipStationV2Sandbox()
    async with client(sb, tmp_path) as ss:
        made = (await ss.create_orders([keyed(1)]))[0]
        await ss.mark_as_shipped(
            made.order_id, carrier_code="other", shipped_at=shipped_at, tracking_number="T-9"
        )
        [record] = await ss.list_fulfillments(create_date_start=SINCE)
    assert record.ship_date is not None and record.ship_date.astimezone(PACIFIC).date() == day


async def test_marking_shipped_without_a_tracking_number_sends_nothing_and_says_why(tmp_path):
    sb = ShipStationV2Sandbox()
    async with client(sb, tmp_path) as ss:
        made = (await ss.create_orders([keyed(1)]))[0]
        before = ss.requests_sent
        for tracking in ("", "   "):
            with pytest.raises(ApiError) as info:
                await ss.mark_as_shipped(
                    made.order_id,
                    carrier_code="other",
                    shipped_at=datetime(2026, 1, 2, 12, tzinfo=UTC),
                    tracking_number=tracking,
                )
            assert info.value.code == "no_tracking" and "tracking number" in info.value.message
        assert ss.requests_sent == before and not sb.fulfillments


async def test_a_lost_mark_as_shipped_answer_is_resolved_by_reading_the_shipment(tmp_path):
    sb = ShipStationV2Sandbox()
    answered = []

    async def drop_fulfillment_answers(request: httpx.Request) -> httpx.Response:
        response = await httpx.ASGITransport(app=sb.app).handle_async_request(request)
        if request.method == "POST" and request.url.path == "/v2/fulfillments":
            await response.aread()
            answered.append(response.status_code)
            raise httpx.ReadError("connection reset after the request was processed")
        return response

    class Dropping(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request):
            return await drop_fulfillment_answers(request)

    async with client(sb, tmp_path, transport=Dropping()) as ss:
        made = (await ss.create_orders([keyed(1)]))[0]
        await ss.mark_as_shipped(
            made.order_id,
            carrier_code="other",
            shipped_at=datetime(2026, 1, 2, 12, tzinfo=UTC),
            tracking_number="HAND-1",
        )
    assert (
        answered == [200] and len(sb.fulfillments) == 1
    )  # sent once; the re-read showed it shipped


async def test_labels_map_to_shipments_voided_kept_return_labels_flagged(tmp_path):
    sb = ShipStationV2Sandbox()
    async with client(sb, tmp_path) as ss:
        made = await ss.create_orders([keyed(1), keyed(2)])
        first = sb.create_label(made[0].order_id, tracking_number="1ZFIRST")
        sb.void_label(first["shipmentId"])
        second = sb.create_label(
            made[0].order_id,
            tracking_number="1ZSECOND",
            carrier_code="fedex",
            service_code="fedex_ground",
        )
        sb.create_return_label(made[0].order_id, tracking_number="1ZRETURN")
        sb.create_label(made[1].order_id, tracking_number="1ZOTHER")
        labels = await ss.list_shipments(create_date_start=SINCE, store_id=518237)
        only = await ss.list_shipments(create_date_start=SINCE, order_id=made[1].order_id)
    by_tracking = {s.tracking_number: s for s in labels}
    assert set(by_tracking) == {"1ZFIRST", "1ZSECOND", "1ZOTHER", "1ZRETURN"}
    # a return label is kept, flagged, so the engine can say it was ignored (as V1's isReturnLabel)
    assert [t for t, s in by_tracking.items() if s.is_return_label] == ["1ZRETURN"]
    assert by_tracking["1ZFIRST"].voided and by_tracking["1ZFIRST"].void_date is not None
    got = by_tracking["1ZSECOND"]
    assert (got.shipment_id, got.order_id, got.order_key) == (
        second["shipmentId"],
        made[0].order_id,
        "bp-acme-gon-1",
    )
    assert (got.carrier_code, got.service_code, got.voided) == ("fedex", "fedex_ground", False)
    assert (
        got.create_date is not None
        and got.create_date.tzinfo is not None
        and got.ship_date is not None
    )
    assert [s.tracking_number for s in only] == ["1ZOTHER"]


async def test_lists_follow_every_page(tmp_path):
    sb = ShipStationV2Sandbox()
    async with client(sb, tmp_path) as ss:
        made = await ss.create_orders([keyed(n) for n in range(1, 13)])
        for result in made:
            sb.create_label(result.order_id)
        before = ss.requests_sent
        labels = await ss.list_shipments(create_date_start=SINCE, page_size=5)
    assert len(labels) == 12 and len({s.shipment_id for s in labels}) == 12
    assert ss.requests_sent - before == 3


async def test_the_key_goes_in_the_api_key_header_and_a_wrong_one_is_an_auth_error(tmp_path):
    sb = ShipStationV2Sandbox()
    seen = []

    class Spy(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request):
            seen.append(request.headers)
            return await httpx.ASGITransport(app=sb.app).handle_async_request(request)

    async with client(sb, tmp_path, transport=Spy()) as ss:
        await ss.list_fulfillments(create_date_start=SINCE)
    assert seen[0]["api-key"] == sb.v2.api_key and "authorization" not in seen[0]
    async with client(sb, tmp_path, key="a-v1-key") as wrong:
        with pytest.raises(ApiAuthError) as info:
            await wrong.list_shipments(create_date_start=SINCE)
    assert (
        info.value.status == 401
        and "V2" in info.value.message
        and "a-v1-key" not in str(info.value)
    )


async def test_a_429_waits_retry_after_and_then_succeeds(tmp_path):
    sb = ShipStationV2Sandbox(rate_limit=2, window_s=0.5)
    sleep = SleepRecorder()
    async with client(
        sb, tmp_path, sleep=sleep
    ) as ss:  # its own limit is high: the server says stop
        for _ in range(3):
            await ss.list_fulfillments(create_date_start=SINCE)
    assert any(0 < s <= 0.5 for s in sleep.calls) and sb.violations == 0
    assert [s for _t, _m, _p, s in sb.request_log].count(429) == 1


async def test_its_own_limiter_keeps_it_below_the_servers_limit(tmp_path):
    sb = ShipStationV2Sandbox(rate_limit=4, window_s=0.6)
    async with client(sb, tmp_path, limit=3, window_s=0.6) as ss:
        for _ in range(7):
            await ss.list_fulfillments(create_date_start=SINCE)
    assert 429 not in [s for _t, _m, _p, s in sb.request_log] and ss.gate.waited_s > 0


async def test_server_errors_are_retried_and_then_reported_unavailable(tmp_path):
    sb = ShipStationV2Sandbox()
    sb.fail_next(2, status=503, path="/v2/labels")
    async with client(sb, tmp_path) as ss:
        assert await ss.list_shipments(create_date_start=SINCE) == []
        sb.fail_next(5, status=500, path="/v2/labels")
        with pytest.raises(ApiUnavailable) as info:
            await ss.list_shipments(create_date_start=SINCE)
    assert (
        "ShipStation has encountered an error" in info.value.message
    )  # a 500 has no body (contract)


@pytest.mark.parametrize("kind", ["empty", "html", "wrong_shape", "redirect"])
async def test_a_gateway_answer_is_never_taken_for_data(tmp_path, kind):
    sb = ShipStationV2Sandbox()
    attach(sb, FaultPlan(rate=1.0, seed=1, kinds=(kind,)), SHIPSTATION_V2)
    async with client(sb, tmp_path) as ss:
        with pytest.raises(ApiUnavailable):
            await ss.list_shipments(create_date_start=SINCE)
        with pytest.raises(ApiUnavailable):
            await ss.cancel_orders(
                [Order(470000001, "bp-acme-gon-1", "100001", "awaiting_shipment")]
            )
    assert not sb.orders


async def test_stores_are_v1_only_and_say_so(tmp_path):
    sb = ShipStationV2Sandbox()
    async with client(sb, tmp_path) as ss:
        for call in (
            ss.list_stores(),
            ss.get_store(1),
            ss.update_store_branding(1, company_name="X"),
        ):
            with pytest.raises(V1OnlyError) as info:
                await call
            assert (
                "V2 has no stores endpoint" in info.value.message
                and 'api_version = "v1"' in info.value.message
            )
        assert ss.requests_sent == 0


async def test_an_id_that_names_no_shipment_is_an_api_error_without_a_request(tmp_path):
    sb = ShipStationV2Sandbox()
    async with client(sb, tmp_path) as ss:
        for call in (
            ss.get_order(0),
            ss.mark_as_shipped(
                0,
                carrier_code="other",
                shipped_at=datetime(2026, 1, 2, 12, tzinfo=UTC),
                tracking_number="T-1",
            ),
            ss.get_order(9_000_000_000_000_000_123),
        ):
            with pytest.raises(ApiError) as info:
                await call
            assert info.value.code == "no_id" and type(info.value) is ApiError
        assert ss.requests_sent == 0


async def test_an_order_whose_stored_id_names_no_shipment_fails_alone(tmp_path):
    sb = ShipStationV2Sandbox()
    async with client(sb, tmp_path) as ss:
        unknown_alias = 9_000_000_000_000_000_777
        (ok,) = await ss.create_orders([keyed(1)])
        stale = Order(unknown_alias, "bp-acme-gon-2", "100002", "awaiting_shipment")
        (updated,) = await ss.update_orders([OrderUpdate(stale, keyed(2))])
        (cancel,) = await ss.cancel_orders([stale])
    assert ok.success and not updated.success and not cancel.success
    assert "no ShipStation V2 id" in updated.error_message and len(sb.orders) == 1


async def test_a_create_that_drops_the_number_is_put_right(tmp_path):
    """The create schema lacks the number and the custom fields: where a create answer shows a
    shipment without them, they are set the documented way, a PUT of that shipment."""
    sb = ShipStationV2Sandbox()
    sb.v2.create_keeps_extras = False
    async with client(sb, tmp_path) as ss:
        results = await ss.create_orders([keyed(1), keyed(2)])
        assert all(r.success for r in results)
        assert ss.requests_sent == 1 + 1 + 2  # warehouse, the create, a PUT each
    for r, n in zip(results, (1, 2), strict=True):
        assert sb.orders[r.order_id]["orderNumber"] == str(100000 + n)
        assert sb.orders[r.order_id]["advancedOptions"]["customField1"] == "2"
    sb.v2.create_keeps_extras = True
    async with client(sb, tmp_path) as ss:
        assert (await ss.create_orders([keyed(3)]))[
            0
        ].success and ss.requests_sent == 1  # kept: no PUT


async def test_an_address_that_needs_a_state_fails_alone_before_anything_is_sent(tmp_path):
    sb = ShipStationV2Sandbox()
    no_state = keyed(
        2,
        ship_to=Address(
            name="Ann", street1="1 Main St", city="Austin", postal_code="78701", country="US"
        ),
    )
    async with client(sb, tmp_path) as ss:
        ok, refused = await ss.create_orders([keyed(1), no_state])
        (not_updated,) = await ss.update_orders(
            [
                OrderUpdate(
                    await ss.get_order(ok.order_id), replace(keyed(1), ship_to=no_state.ship_to)
                )
            ]
        )
    assert ok.success and not refused.success and not not_updated.success
    assert (
        "has no state or province" in refused.error_message
        and "Brightpearl" in refused.error_message
    )
    assert [
        r for r in sb.v2.received if r["external_shipment_id"] == "bp-acme-gon-2"
    ] == []  # never sent
