"""What the client concludes from an answer: a deletion only from Brightpearl's own error body,
and a write done only on the answer the API documents for it (anything else is read back)."""

from datetime import UTC, datetime

import httpx
import pytest

from bp_tui.errors import ApiError
from bp_tui.sandbox.faults import BRIGHTPEARL, FaultPlan, attach
from tests.brightpearl.helpers import Sleeps, client_for, seeded

SHIP_TIME = datetime(2025, 11, 4, 16, 41, 38, tzinfo=UTC)


class Answer(httpx.AsyncBaseTransport):
    """The sandbox, with requests whose path contains ``fragment`` answered by ``status, body``
    (after the sandbox did the work when ``after``)."""

    def __init__(
        self, app, fragment: str, status: int, content: bytes, content_type: str, after=False
    ):
        self.inner = httpx.ASGITransport(app=app)
        self.fragment, self.status, self.content = fragment, status, content
        self.type, self.after = content_type, after

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.fragment not in request.url.path:
            return await self.inner.handle_async_request(request)
        if self.after:
            await (await self.inner.handle_async_request(request)).aread()
        return httpx.Response(
            self.status, content=self.content, headers={"content-type": self.type}
        )


def a_gon(sb) -> int:
    return next(gid for gid, g in sb.gons.items() if g["orderId"])


async def test_only_brightpearls_own_404_proves_a_deletion():
    sb = seeded(orders=4)
    gid = a_gon(sb)
    async with client_for(sb) as client:
        assert await client.goods_out_note_deleted(gid) is False
        sb.delete_gon(gid)
        assert (
            await client.goods_out_note_deleted(gid) is True
        )  # 404 {"errors": [{"code": "CMNC-404", ...}]}
        assert await client.get_goods_out_notes([gid]) == {}  # the id-set read: none of them exist


@pytest.mark.parametrize(
    "content, content_type",
    [
        (
            b"<html><head><title>404 Not "
            b"Found</title></head><body><center>nginx</center></body></html>",
            "text/html",
        ),
        (b"", "application/json"),
        (b'{"message": "Not Found"}', "application/json"),
        (b'{"errors": [{"code": "GWYB-404", "message": "no route"}]}', "application/json"),
    ],
    ids=["nginx-html", "empty", "foreign-json", "other-code"],
)
async def test_any_other_404_is_cannot_tell_and_never_none_exist(content, content_type):
    sb = seeded(orders=4)
    gid = a_gon(sb)
    sb.delete_gon(gid)  # even when the note really is gone, this answer does not say so
    transport = Answer(sb.app, "/goods-note/goods-out/", 404, content, content_type)
    async with client_for(sb, transport=transport) as client:
        assert await client.goods_out_note_deleted(gid) is None
        with pytest.raises(ApiError) as info:
            await client.get_goods_out_notes([gid, gid + 1])
        with pytest.raises(ApiError):
            await client.get_goods_out_notes_for_orders([1])
    assert info.value.status == 404 and "without Brightpearl's error body" in info.value.message


async def test_a_gateway_404_page_from_the_fault_rules_is_cannot_tell():
    sb = seeded(orders=4)
    gid = a_gon(sb)
    attach(sb, FaultPlan(rate=1.0, seed=1, kinds=("html_404",)), BRIGHTPEARL)
    async with client_for(sb) as client:
        assert await client.goods_out_note_deleted(gid) is None
        with pytest.raises(ApiError, match="gateway or proxy"):
            await client.get_goods_out_notes([gid])
        assert await client.get_orders([sb.gons[gid]["orderId"]])  # other reads pass the gateway


async def test_a_200_without_the_note_is_cannot_tell():
    sb = seeded(orders=4)
    gid = a_gon(sb)
    transport = Answer(
        sb.app, "/goods-note/goods-out/", 200, b'{"response": {}}', "application/json"
    )
    async with client_for(sb, transport=transport) as client:
        assert await client.goods_out_note_deleted(gid) is None


@pytest.mark.parametrize(
    "body", [b'{"response": "ok"}', b"{}", b'{"text": "hello", "isPublic": false}']
)
async def test_a_note_post_answered_otherwise_than_with_its_id_is_read_back_not_posted_again(body):
    sb = seeded(orders=4)
    order_id = next(iter(sb.orders))
    transport = _PostsOnly(
        Answer(sb.app, "/note", 200, body, "application/json", after=True),
        httpx.ASGITransport(app=sb.app),
    )
    async with client_for(sb, transport=transport, sleep=Sleeps()) as client:
        note_id = await client.add_order_note(order_id, "Shipped: tracking 1Z")
    texts = [n["text"] for n in sb.notes[order_id]]
    assert texts.count("Shipped: tracking 1Z") == 1
    assert note_id == next(
        n["noteId"] for n in sb.notes[order_id] if n["text"] == "Shipped: tracking 1Z"
    )


async def test_an_event_answered_with_response_ok_is_read_back_not_posted_again():
    sb = seeded(orders=4)
    gid = next(g for g, n in sb.gons.items() if n["orderId"] and not n["status"]["shipped"])
    ok = Answer(sb.app, "/event", 200, b'{"response": "ok"}', "application/json", after=True)
    transport = _PostsOnly(ok, httpx.ASGITransport(app=sb.app))
    async with client_for(sb, transport=transport, sleep=Sleeps()) as client:
        await client.post_shipped_event(
            gid,
            occurred=SHIP_TIME,
            owner_id=203,
            last_event_version=sb.gons[gid]["lastEventVersion"],
        )
    assert sb.gons[gid]["status"]["shipped"]
    assert [e["eventCode"] for e in sb.gons[gid]["events"]].count("SHW") == 1
    assert len([e for e in sb.request_log if e[1] == "POST" and "/event" in e[2]]) == 1


async def test_a_status_change_answered_with_response_ok_is_read_back_not_put_again():
    sb = seeded(orders=4)
    order_id = next(iter(sb.orders))
    ok = Answer(sb.app, "/status", 200, b'{"response": "ok"}', "application/json", after=True)
    transport = _PostsOnly(ok, httpx.ASGITransport(app=sb.app))
    async with client_for(sb, transport=transport, sleep=Sleeps()) as client:
        await client.set_order_status(order_id, 5)
    assert sb.orders[order_id]["orderStatus"]["orderStatusId"] == 5
    assert len([e for e in sb.request_log if e[1] == "PUT" and "/status" in e[2]]) == 1


async def test_a_status_change_whose_answer_was_not_its_own_and_did_not_happen_is_put_again():
    sb = seeded(orders=4)
    order_id = next(iter(sb.orders))
    before = sb.orders[order_id]["orderStatus"]["orderStatusId"]
    assert before != 5
    calls = []

    class OnceOk(httpx.AsyncBaseTransport):  # a gateway answers the first PUT in the API's place
        inner = httpx.ASGITransport(app=sb.app)

        async def handle_async_request(self, request):
            if request.method == "PUT" and not calls:
                calls.append(request)
                return httpx.Response(200, json={"response": "ok"})
            return await self.inner.handle_async_request(request)

    async with client_for(sb, transport=OnceOk(), sleep=Sleeps()) as client:
        await client.set_order_status(order_id, 5)
    assert sb.orders[order_id]["orderStatus"]["orderStatusId"] == 5
    assert len([e for e in sb.request_log if e[1] == "PUT" and "/status" in e[2]]) == 1


class _PostsOnly(httpx.AsyncBaseTransport):
    """Writes go through ``writes``; reads straight to the sandbox."""

    def __init__(self, writes: httpx.AsyncBaseTransport, reads: httpx.AsyncBaseTransport) -> None:
        self.writes, self.reads = writes, reads

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return await self.reads.handle_async_request(request)
        return await self.writes.handle_async_request(request)
