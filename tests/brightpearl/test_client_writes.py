"""Client writes against the sandbox, with lost answers, conflicts and retries."""

from datetime import UTC, datetime

import httpx
import pytest

from bp_tui.brightpearl.client import GonConflict
from bp_tui.errors import ApiError, ApiUnavailable
from tests.brightpearl.helpers import Sleeps, client_for, seeded

SHIP_TIME = datetime(2025, 11, 4, 16, 41, 38, tzinfo=UTC)


def printed_gon(sb):
    return next(
        gid
        for gid, g in sb.gons.items()
        if g["orderId"] and g["status"]["printed"] and not g["status"]["picked"] and g["orderRows"]
    )


def posts(sb, fragment):
    return [e for e in sb.request_log if e[1] == "POST" and fragment in e[2]]


async def test_reference_then_shw_marks_shipped_and_adds_missing_events():
    sb = seeded()
    gid = printed_gon(sb)
    async with client_for(sb) as client:
        gon = (await client.get_goods_out_notes([gid]))[gid]
        await client.set_shipping_reference(gid, "1Z999AA10123456784")
        await client.post_shipped_event(
            gid, occurred=SHIP_TIME, owner_id=203, last_event_version=gon.last_event_version
        )
        after = (await client.get_goods_out_notes([gid]))[gid]
    assert (
        after.shipped
        and after.picked
        and after.packed
        and after.shipping_reference == "1Z999AA10123456784"
    )
    assert after.shipped_on == SHIP_TIME and after.last_event_version > gon.last_event_version
    codes = [e.code for e in after.events]
    assert codes.count("SHW") == 1 and "PIC" in codes and "PAC" in codes and codes.count("PRI") == 1


async def test_reference_longer_than_64_is_refused_before_sending():
    sb = seeded(orders=2)
    async with client_for(sb) as client:
        with pytest.raises(ValueError):
            await client.set_shipping_reference(printed_gon(sb), "x" * 65)
        assert client.requests_sent == 0


async def test_shw_on_shipped_gon_is_conflict_already_shipped():
    sb = seeded()
    gid = printed_gon(sb)
    async with client_for(sb) as client:
        version = sb.gons[gid]["lastEventVersion"]
        await client.post_shipped_event(
            gid, occurred=SHIP_TIME, owner_id=203, last_event_version=version
        )
        with pytest.raises(GonConflict) as info:
            await client.post_shipped_event(
                gid,
                occurred=SHIP_TIME,
                owner_id=203,
                last_event_version=sb.gons[gid]["lastEventVersion"],
            )
        assert info.value.already_shipped and info.value.status == 409
        assert "already shipped" in str(info.value)
        with pytest.raises(ApiError) as put_after:
            await client.set_shipping_reference(gid, "LATE")
        assert put_after.value.status == 400 and "no further updates" in put_after.value.message


async def test_stale_if_match_is_conflict_not_shipped():
    sb = seeded()
    gid = printed_gon(sb)
    async with client_for(sb) as client:
        stale = sb.gons[gid]["lastEventVersion"]
        sb.set_gon_state(gid, picked=True)
        with pytest.raises(GonConflict) as info:
            await client.post_shipped_event(
                gid, occurred=SHIP_TIME, owner_id=203, last_event_version=stale
            )
    assert not info.value.already_shipped and not sb.gons[gid]["status"]["shipped"]


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_lost_event_answer_is_resolved_by_rereading_not_reposting(status):
    sb = seeded()
    gid = printed_gon(sb)
    sb.fail_next("POST", f"/goods-out/{gid}/event", status=status, process=True)
    async with client_for(sb, sleep=Sleeps()) as client:
        await client.post_shipped_event(
            gid,
            occurred=SHIP_TIME,
            owner_id=203,
            last_event_version=sb.gons[gid]["lastEventVersion"],
        )
    assert len(posts(sb, f"/goods-out/{gid}/event")) == 1
    assert sb.gons[gid]["status"]["shipped"]
    assert [e["eventCode"] for e in sb.gons[gid]["events"]].count("SHW") == 1


async def test_event_that_did_not_happen_is_posted_again():
    sb = seeded()
    gid = printed_gon(sb)
    sb.fail_next("POST", f"/goods-out/{gid}/event", status=500, process=False)
    async with client_for(sb, sleep=Sleeps()) as client:
        await client.post_shipped_event(
            gid,
            occurred=SHIP_TIME,
            owner_id=203,
            last_event_version=sb.gons[gid]["lastEventVersion"],
        )
    assert len(posts(sb, f"/goods-out/{gid}/event")) == 2 and sb.gons[gid]["status"]["shipped"]


class LoseAnswer(httpx.AsyncBaseTransport):
    """Passes requests on, but drops the answer of the first one matching ``fragment``."""

    def __init__(
        self, inner: httpx.AsyncBaseTransport, fragment: str, method: str = "POST"
    ) -> None:
        self.inner, self.fragment, self.method, self.dropped = inner, fragment, method, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if not self.dropped and request.method == self.method and self.fragment in request.url.path:
            self.dropped += 1
            raise httpx.ReadTimeout("answer lost", request=request)
        return response


async def test_event_timeout_after_it_took_effect_is_not_duplicated():
    sb = seeded()
    gid = printed_gon(sb)
    transport = LoseAnswer(httpx.ASGITransport(app=sb.app), "/event")
    async with client_for(sb, transport=transport, sleep=Sleeps()) as client:
        await client.post_shipped_event(
            gid,
            occurred=SHIP_TIME,
            owner_id=203,
            last_event_version=sb.gons[gid]["lastEventVersion"],
        )
    assert transport.dropped == 1 and len(posts(sb, "/event")) == 1


async def test_note_post_lost_answer_reads_back_instead_of_posting_twice():
    sb = seeded()
    order_id = next(iter(sb.orders))
    transport = LoseAnswer(httpx.ASGITransport(app=sb.app), "/note")
    async with client_for(sb, transport=transport, sleep=Sleeps()) as client:
        note_id = await client.add_order_note(order_id, "Shipped with DPD, tracking 123 ✓")
        notes = await client.get_order_notes(order_id)
    assert len(posts(sb, "/note")) == 1
    assert [n.id for n in notes if n.text == "Shipped with DPD, tracking 123 ✓"] == [note_id]


async def test_note_post_failed_before_taking_effect_is_retried_once():
    sb = seeded()
    order_id = next(iter(sb.orders))
    sb.fail_next("POST", "/note", status=502)
    async with client_for(sb, sleep=Sleeps()) as client:
        note_id = await client.add_order_note(order_id, "hello", is_public=True)
        by_order = await client.search_order_notes([order_id, 1])
    assert len(posts(sb, "/note")) == 2
    assert [(n.id, n.text, n.is_public) for n in by_order[order_id]] == [(note_id, "hello", True)]


async def test_search_order_notes_pages_and_groups():
    sb = seeded(orders=3)
    a, b, c = sorted(sb.orders)
    for i in range(520):
        sb.add_note(a, f"note {i}")
    sb.add_note(b, "only one")
    async with client_for(sb) as client:
        found = await client.search_order_notes([a, b, c])
    assert len(found[a]) == 520 and [n.text for n in found[b]] == ["only one"] and c not in found
    assert len([e for e in sb.request_log if "order-note-search" in e[2]]) == 2


async def test_order_status_put_and_unknown_status_error():
    sb = seeded()
    order_id = next(iter(sb.orders))
    async with client_for(sb) as client:
        await client.set_order_status(order_id, 5)
        assert sb.orders[order_id]["orderStatus"] == {"orderStatusId": 5, "name": "Shipped"}
        with pytest.raises(ApiError) as info:
            await client.set_order_status(order_id, 999)
    assert info.value.status == 400 and "999" in info.value.message


async def test_put_and_get_retry_on_5xx_then_succeed():
    sb = seeded()
    gid = printed_gon(sb)
    sb.fail_next("PUT", f"/goods-out/{gid}", status=500, times=2)
    sb.fail_next("GET", "/order-service/order/", status=503, times=1)
    sleeps = Sleeps()
    async with client_for(sb, sleep=sleeps) as client:
        await client.set_shipping_reference(gid, "REF1")
        orders = await client.get_orders([sb.gons[gid]["orderId"]])
    assert sb.gons[gid]["shipping"]["reference"] == "REF1" and orders
    assert len([e for e in sb.request_log if e[1] == "PUT"]) == 3
    assert len(sleeps.calls) == 3 and all(d > 0 for d in sleeps.calls)


async def test_retries_exhausted_raise_unavailable_with_status():
    sb = seeded(orders=2)
    sb.fail_next("GET", "/warehouse-service/warehouse", status=500, times=10)
    async with client_for(sb, sleep=Sleeps()) as client:
        with pytest.raises(ApiUnavailable) as info:
            await client.list_warehouses()
    assert info.value.status == 500 and "Internal Server Error" in str(info.value)


async def test_dropped_connections_are_retried_for_get():
    sb = seeded(orders=2)

    class DropFirst(httpx.AsyncBaseTransport):
        def __init__(self):
            self.inner, self.drops = httpx.ASGITransport(app=sb.app), 0

        async def handle_async_request(self, request):
            if "channel" in request.url.path and self.drops < 2:
                self.drops += 1
                raise httpx.ConnectError("connection reset", request=request)
            return await self.inner.handle_async_request(request)

    async with client_for(sb, transport=DropFirst(), sleep=Sleeps()) as client:
        assert len(await client.list_channels()) == 3


async def test_no_answer_at_all_is_unavailable_status_zero():
    sb = seeded(orders=1)

    def refuse(request):
        raise httpx.ConnectError("refused", request=request)

    async with client_for(
        sb,
        transport=httpx.MockTransport(refuse),
        sleep=Sleeps(),
        auth="staff_token",
        token="sandbox-staff-token",
    ) as client:
        with pytest.raises(ApiUnavailable) as info:
            await client.list_channels()
    assert info.value.status == 0 and client.requests_sent == 4
