from datetime import UTC, date, datetime

import httpx
import pytest

from bp_tui.errors import ApiError
from bp_tui.sandbox.shipstation.sandbox import ShipStationSandbox
from bp_tui.shipstation.dates import PACIFIC
from tests.shipstation.factory import client_for, order

NOON = datetime(2026, 3, 1, 12, tzinfo=UTC)


class LoseFirstAnswer(httpx.AsyncBaseTransport):
    """The first markasshipped is done by ShipStation, but its answer never arrives."""

    def __init__(self, app):
        self.inner = httpx.ASGITransport(app=app)
        self.lost = False

    async def handle_async_request(self, request):
        response = await self.inner.handle_async_request(request)
        if request.url.path.endswith("/orders/markasshipped") and not self.lost:
            self.lost = True
            raise httpx.ReadTimeout("lost", request=request)
        return response


async def created(sb: ShipStationSandbox) -> int:
    async with client_for(sb) as client:
        (result,) = await client.upsert_orders([order(1)])
    return result.order_id


async def test_mark_as_shipped_creates_a_fulfillment_with_the_notify_flags():
    sb = ShipStationSandbox()
    order_id = await created(sb)
    async with client_for(sb) as client:
        await client.mark_as_shipped(
            order_id,
            carrier_code="other",
            shipped_at=NOON,
            tracking_number="T-1",
            notify_customer=True,
        )
    assert sb.orders[order_id]["orderStatus"] == "shipped"
    assert [f["trackingNumber"] for f in sb.fulfillments.values()] == ["T-1"]
    assert sb.notifications == [(order_id, True, False)]


async def test_lost_answer_is_resolved_by_reading_the_order_not_by_posting_again():
    sb = ShipStationSandbox()
    order_id = await created(sb)
    async with client_for(sb, transport=LoseFirstAnswer(sb.app)) as client:
        await client.mark_as_shipped(order_id, carrier_code="other", shipped_at=NOON)
    assert len(sb.fulfillments) == 1
    posts = [p for _t, m, p, _s in sb.request_log if m == "POST" and p.endswith("markasshipped")]
    assert len(posts) == 1


async def test_an_order_that_is_not_open_is_refused_with_a_reason():
    sb = ShipStationSandbox()
    order_id = await created(sb)
    sb.orders[order_id]["orderStatus"] = "cancelled"
    async with client_for(sb) as client:
        with pytest.raises(ApiError) as info:
            await client.mark_as_shipped(order_id, carrier_code="other", shipped_at=NOON)
    assert info.value.status == 400 and "cancelled" in str(info.value)


@pytest.mark.parametrize(
    ("shipped_at", "day"),
    [
        (datetime(2026, 3, 2, 3, 0, tzinfo=UTC), date(2026, 3, 1)),  # 19:00 the day before, PST
        (datetime(2026, 7, 2, 6, 59, tzinfo=UTC), date(2026, 7, 1)),  # 23:59 PDT
        (datetime(2026, 7, 2, 7, 0, tzinfo=UTC), date(2026, 7, 2)),  # midnight PDT
    ],
)
async def test_the_ship_date_sent_is_the_pacific_day_of_the_shipment(shipped_at, day):
    """V1's dates are Pacific days: a note shipped on a UTC evening of the US afternoon keeps
    the US day."""
    sb = ShipStationSandbox()
    order_id = await created(sb)
    async with client_for(sb) as client:
        await client.mark_as_shipped(order_id, carrier_code="other", shipped_at=shipped_at)
        [record] = await client.list_fulfillments(order_id=order_id)
    assert record.ship_date is not None and record.ship_date.astimezone(PACIFIC).date() == day
