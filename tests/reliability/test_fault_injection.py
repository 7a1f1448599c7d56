"""Each injected fault does what it says, in both sandboxes."""

from __future__ import annotations

import base64

import httpx
import pytest

from bp_tui.sandbox.brightpearl.sandbox import BrightpearlSandbox
from bp_tui.sandbox.faults import (
    BRIGHTPEARL,
    KINDS,
    SHIPSTATION,
    DeadlineTransport,
    DroppedConnection,
    FaultPlan,
    attach,
)
from bp_tui.sandbox.shipstation.sandbox import ShipStationSandbox

ORDER = {
    "orderNumber": "1",
    "orderKey": "k-1",
    "orderDate": "2024-01-01T00:00:00",
    "orderStatus": "awaiting_shipment",
    "billTo": {"name": "A"},
    "shipTo": {"name": "A", "street1": "1 St", "city": "X", "postalCode": "1", "country": "GB"},
    "items": [],
}


def ss_client(kind: str, timeout: float = 5.0) -> tuple[ShipStationSandbox, httpx.AsyncClient]:
    ss = ShipStationSandbox(rate_limit=10_000, window_s=1.0)
    attach(ss, FaultPlan(rate=1.0, seed=1, kinds=(kind,), slow_s=0.3, throttle_s=0.2), SHIPSTATION)
    auth = "Basic " + base64.b64encode(b"sandbox-key:sandbox-secret").decode()
    client = httpx.AsyncClient(
        transport=DeadlineTransport(httpx.ASGITransport(app=ss.app)),
        base_url="http://ss",
        headers={"Authorization": auth},
        timeout=timeout,
    )
    return ss, client


async def test_error_before_does_no_work_and_error_after_does():
    ss, client = ss_client("error_before")
    r = await client.post("/orders/createorders", json=[ORDER])
    assert r.status_code == 500 and "Message" in r.json() and not ss.orders
    ss, client = ss_client("error_after")
    r = await client.post("/orders/createorders", json=[ORDER])
    assert r.status_code == 500 and len(ss.orders) == 1  # done, and the answer says it failed


@pytest.mark.parametrize("kind, done", [("drop_before", 0), ("drop_after", 1)])
async def test_dropped_connection_is_a_network_error(kind, done):
    ss, client = ss_client(kind)
    with pytest.raises(httpx.TransportError) as info:
        await client.post("/orders/createorders", json=[ORDER])
    assert isinstance(info.value, DroppedConnection)
    assert len(ss.orders) == done


@pytest.mark.parametrize("kind, done", [("slow_before", 0), ("slow_after", 1)])
async def test_slow_answer_times_out_the_client(kind, done):
    ss, client = ss_client(kind, timeout=0.05)
    with pytest.raises(httpx.ReadTimeout):
        await client.post("/orders/createorders", json=[ORDER])
    assert len(ss.orders) == done


async def test_malformed_json_after_the_write():
    ss, client = ss_client("malformed")
    r = await client.post("/orders/createorders", json=[ORDER])
    assert r.status_code == 200 and len(ss.orders) == 1
    with pytest.raises(ValueError):
        r.json()


async def test_null_items_only_on_list_pages():
    ss, client = ss_client("null_items")
    ss.upsert_order(ORDER)
    ss.create_label(next(iter(ss.orders)))
    page = (await client.get("/shipments")).json()
    assert page["shipments"] == [None] and page["total"] == 1
    assert (await client.get("/stores")).status_code == 200  # not a listing page: no fault
    assert ss.chaos.injected == {"null_items": 1}


async def test_throttle_burst_headers_and_violations():
    ss, client = ss_client("throttle")
    r = await client.get("/stores")
    assert r.status_code == 429
    assert r.headers["X-Rate-Limit-Remaining"] == "0" and float(
        r.headers["X-Rate-Limit-Reset"]
    ) == pytest.approx(0.2)
    again = await client.get("/stores")  # sent while told to wait
    assert again.status_code == 429 and ss.chaos.violations == 1


async def test_brightpearl_throttle_is_a_503_with_its_headers():
    bp = BrightpearlSandbox(rate_limit=10_000)
    attach(bp, FaultPlan(rate=1.0, seed=2, kinds=("throttle",), throttle_s=0.25), BRIGHTPEARL)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=bp.app), base_url="http://bp"
    ) as client:
        r = await client.get("/public-api/demo/warehouse-service/warehouse/")
    assert r.status_code == 503 and "too many requests" in r.json()["response"]
    assert r.headers["brightpearl-next-throttle-period"] == "250"


async def test_brightpearl_null_items_on_search_pages():
    bp = BrightpearlSandbox(rate_limit=10_000)
    bp.seed(orders=5, seed=1)
    attach(bp, FaultPlan(rate=1.0, seed=2, kinds=("null_items",)), BRIGHTPEARL)
    token = bp.new_token()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=bp.app), base_url="http://bp"
    ) as client:
        r = await client.get(
            "/public-api/demo/warehouse-service/goods-note/goods-out-search",
            headers={"brightpearl-auth": token},
        )
    results = r.json()["response"]["results"]
    assert results and all(item is None for item in results)


def test_seeded_draws_repeat_and_rate_is_respected():
    def draws(seed):
        chaos = attach(ShipStationSandbox(), FaultPlan(rate=0.2, seed=seed), SHIPSTATION)
        return [chaos.draw("GET", "/shipments") for _ in range(2000)]

    first = draws(5)
    assert first == draws(5) and first != draws(6)
    share = sum(1 for k in first if k) / len(first)
    assert 0.17 < share < 0.23
    assert {k for k in first if k} == set(KINDS)


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown fault kind"):
        FaultPlan(kinds=("gremlins",))
