from datetime import date

import httpx
import pytest

from bp_tui.errors import ApiError
from bp_tui.sandbox.shipstation.sandbox import ShipStationSandbox
from tests.shipstation.factory import client_for, order


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
            ship_date=date(2026, 3, 1),
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
        await client.mark_as_shipped(order_id, carrier_code="other", ship_date=date(2026, 3, 1))
    assert len(sb.fulfillments) == 1
    posts = [p for _t, m, p, _s in sb.request_log if m == "POST" and p.endswith("markasshipped")]
    assert len(posts) == 1


async def test_an_order_that_is_not_open_is_refused_with_a_reason():
    sb = ShipStationSandbox()
    order_id = await created(sb)
    sb.orders[order_id]["orderStatus"] = "cancelled"
    async with client_for(sb) as client:
        with pytest.raises(ApiError) as info:
            await client.mark_as_shipped(order_id, carrier_code="other", ship_date=date(2026, 3, 1))
    assert info.value.status == 400 and "cancelled" in str(info.value)
