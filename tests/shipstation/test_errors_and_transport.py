"""Error sentences from ASP.NET-style bodies, and retries on dropped connections."""

from __future__ import annotations

import httpx
import pytest

from bp_tui.errors import ApiAuthError, ApiError, ApiUnavailable
from bp_tui.sandbox.shipstation.sandbox import ShipStationSandbox
from bp_tui.shipstation.api_errors import error_for, is_throttled
from tests.shipstation.factory import client_for, order


def test_model_state_names_the_invalid_field():
    body = {
        "Message": "The request is invalid.",
        "ModelState": {"request.testlabel": ["The value '0' is not valid for testLabel."]},
    }
    error = error_for(400, body, path="POST /orders/createlabelfororder")
    assert type(error) is ApiError and error.status == 400
    assert "invalid field testlabel: The value '0' is not valid for testLabel." in str(error)


def test_exception_message_of_a_500_is_kept():
    body = {
        "Message": "An error has occurred.",
        "ExceptionMessage": "Object reference not set to an instance.",
    }
    error = error_for(500, body, path="GET /orders")
    assert isinstance(error, ApiUnavailable)
    assert "An error has occurred. Object reference not set to an instance." in str(error)


def test_401_and_403_are_auth_errors_with_a_sentence():
    refused = error_for(401, None, path="GET /stores")
    assert isinstance(refused, ApiAuthError) and "refused the API key/secret" in str(refused)
    no_plan = error_for(403, {"message": "Forbidden"}, path="GET /stores")
    assert isinstance(no_plan, ApiAuthError) and "no API access" in str(no_plan)


def test_secrets_are_scrubbed_from_vendor_text():
    error = error_for(
        400, {"message": "bad key topsecret123"}, path="GET /x", secrets=("topsecret123",)
    )
    assert "topsecret123" not in str(error)


def test_throttle_is_recognised_by_status_or_body():
    assert is_throttled(429, None)
    assert is_throttled(200, {"message": "Too Many Requests"})
    assert not is_throttled(200, {"message": "ok"})


class _Flaky(httpx.AsyncBaseTransport):
    """Drops the first ``drops`` connections, then hands requests to the sandbox."""

    def __init__(self, inner: httpx.AsyncBaseTransport, drops: int, error: type[Exception]):
        self.inner, self.drops, self.error, self.seen = inner, drops, error, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen += 1
        if self.seen <= self.drops:
            raise self.error("connection dropped", request=request)
        return await self.inner.handle_async_request(request)


async def test_dropped_connections_and_timeouts_are_retried_for_createorders():
    sandbox = ShipStationSandbox()
    sent = 0
    for error in (httpx.RemoteProtocolError, httpx.ReadTimeout):
        flaky = _Flaky(httpx.ASGITransport(app=sandbox.app), 2, error)
        async with client_for(sandbox, transport=flaky) as client:
            results = await client.upsert_orders([order(1)])
            sent += client.requests_sent
        assert results[0].success
    assert len(sandbox.orders) == 1
    assert sent == 6


async def test_no_answer_at_all_is_api_unavailable():
    sandbox = ShipStationSandbox()
    client = client_for(
        sandbox, transport=_Flaky(httpx.ASGITransport(app=sandbox.app), 99, httpx.ConnectError)
    )
    with pytest.raises(ApiUnavailable) as caught:
        await client.list_orders()
    await client.aclose()
    assert caught.value.status == 0 and "ConnectError" in str(caught.value)
    assert client.requests_sent == 4


async def test_a_batch_refused_as_a_whole_fails_each_of_its_orders_only():
    sandbox = ShipStationSandbox()

    async def refuse_first(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            400,
            json={
                "Message": "The request is invalid.",
                "ModelState": {"apiOrders": ["Something is wrong."]},
            },
        )

    real = httpx.ASGITransport(app=sandbox.app)

    class FirstRefused(httpx.AsyncBaseTransport):
        calls = 0

        async def handle_async_request(self, request):
            FirstRefused.calls += 1
            if FirstRefused.calls == 1:
                return await refuse_first(request)
            return await real.handle_async_request(request)

    client = client_for(sandbox, transport=FirstRefused())
    results = await client.upsert_orders([order(n) for n in range(150)])
    await client.aclose()
    assert [r.success for r in results] == [False] * 100 + [True] * 50
    assert "invalid field apiOrders: Something is wrong." in results[0].error_message


async def test_null_items_and_a_missing_pages_field_are_tolerated():
    pages = {
        1: {
            "shipments": [
                None,
                {
                    "shipmentId": 1,
                    "trackingNumber": "A",
                    "createDate": "2024-09-17T10:51:14.5030000",
                    "shipDate": "2024-09-17",
                },
            ]
        },
        2: {"shipments": None},
    }
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        page = int(request.url.params["page"])
        return httpx.Response(
            200,
            json=pages[page],
            headers={"X-Rate-Limit-Remaining": "30", "X-Rate-Limit-Reset": "12"},
        )

    async with client_for(ShipStationSandbox(), transport=httpx.MockTransport(answer)) as client:
        shipments = await client.list_shipments(page_size=2)
        assert client.gate.remaining == 30
    assert [s.shipment_id for s in shipments] == [1]
    assert len(seen) == 2 and seen[0].startswith("http://shipstation.sandbox/shipments?")
    assert "page=2" in seen[1]
