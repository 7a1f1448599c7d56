"""What proxies and broken gateways answer, on every endpoint of both sandboxes (issue 12).

``redirect`` / ``empty`` / ``html`` / ``wrong_shape`` answer in the API's place: the API never
sees the request, so a write is not applied. ``*_after_write`` (writes only): the write is
applied and the gateway's answer replaces the API's.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from bp_tui.sandbox.brightpearl.sandbox import BrightpearlSandbox
from bp_tui.sandbox.faults import (
    ALL_KINDS,
    BRIGHTPEARL,
    ECHO_KINDS,
    GATEWAY_KINDS,
    HOSTILE_KINDS,
    KINDS,
    SHIPSTATION,
    WRONG_SHAPES,
    FaultPlan,
    attach,
)
from bp_tui.sandbox.server import tally
from bp_tui.sandbox.shipstation.sandbox import ShipStationSandbox

BASE_KINDS = ("redirect", "empty", "html", "wrong_shape")
AFTER_KINDS = tuple(f"{k}_after_write" for k in BASE_KINDS)
TARGETED_KINDS = (
    "html_404",
    "ok_after_write",
)  # a gateway's 404 to goods-out note reads; "ok" after a write

ORDER = {
    "orderNumber": "1",
    "orderKey": "k-1",
    "orderDate": "2024-01-01T00:00:00",
    "orderStatus": "awaiting_shipment",
    "billTo": {"name": "A"},
    "shipTo": {"name": "A", "street1": "1 St", "city": "X", "postalCode": "1", "country": "GB"},
    "items": [{"sku": "S", "name": "N", "quantity": 1}],
}

Call = tuple[str, str, Any]  # method, path (with query), JSON body or None


def ss_world() -> tuple[ShipStationSandbox, dict[str, int]]:
    ss = ShipStationSandbox(rate_limit=10_000)
    open_order = ss.upsert_order(ORDER)
    shipped = ss.upsert_order({**ORDER, "orderKey": "k-2", "orderNumber": "2"})
    ss.create_label(shipped["orderId"])
    ss.mark_shipped(
        ss.upsert_order({**ORDER, "orderKey": "k-3", "orderNumber": "3"})["orderId"],
        tracking_number="T",
    )
    return ss, {"order": open_order["orderId"], "store": ss.brightpearl_store_id}


SS_CALLS: dict[str, Callable[[dict[str, int], ShipStationSandbox], Call]] = {
    "createorders": lambda ids, ss: (
        "POST",
        "/orders/createorders",
        [{**ORDER, "orderNumber": "1b"}],
    ),
    "markasshipped": lambda ids, ss: (
        "POST",
        "/orders/markasshipped",
        {"orderId": ids["order"], "carrierCode": "ups"},
    ),
    "orders": lambda ids, ss: ("GET", "/orders", None),
    "orders/list": lambda ids, ss: ("GET", "/orders/list?orderStatus=awaiting_shipment", None),
    "order": lambda ids, ss: ("GET", f"/orders/{ids['order']}", None),
    "shipments": lambda ids, ss: ("GET", "/shipments?includeShipmentItems=true", None),
    "fulfillments": lambda ids, ss: ("GET", "/fulfillments", None),
    "stores": lambda ids, ss: ("GET", "/stores", None),
    "store": lambda ids, ss: ("GET", f"/stores/{ids['store']}", None),
    "store put": lambda ids, ss: (
        "PUT",
        f"/stores/{ids['store']}",
        {**ss.stores[ids["store"]], "companyName": "Acme"},
    ),
    "carriers": lambda ids, ss: ("GET", "/carriers", None),
    "listservices": lambda ids, ss: ("GET", "/carriers/listservices?carrierCode=ups", None),
}


def bp_world() -> tuple[BrightpearlSandbox, dict[str, int]]:
    bp = BrightpearlSandbox(rate_limit=10_000)
    order = bp.add_order(rows=[(1001, 1), (1002, 1)])
    gon = bp.add_gon(order, state="printed")
    spare = bp.add_gon(order, {next(iter(map(int, bp.orders[order]["orderRows"]))): 1}, state="new")
    bp.add_note(order, "hello")
    return bp, {"order": order, "gon": gon, "spare": spare}


BP = "/public-api/demo"
BP_CALLS: dict[str, Callable[[dict[str, int], BrightpearlSandbox], Call]] = {
    "authorise": lambda ids, bp: (
        "POST",
        "/demo/authorise",
        {"apiAccountCredentials": {"emailAddress": bp.username, "password": bp.password}},
    ),
    "goods-out-search": lambda ids, bp: (
        "GET",
        f"{BP}/warehouse-service/goods-note/goods-out-search?printed=true",
        None,
    ),
    "gon get": lambda ids, bp: (
        "GET",
        f"{BP}/warehouse-service/order/*/goods-note/goods-out/{ids['gon']}",
        None,
    ),
    "gon put": lambda ids, bp: (
        "PUT",
        f"{BP}/warehouse-service/goods-note/goods-out/{ids['gon']}",
        {"shipping": {"reference": "1Z1"}},
    ),
    "gon event": lambda ids, bp: (
        "POST",
        f"{BP}/warehouse-service/goods-note/goods-out/{ids['gon']}/event",
        {"events": [{"eventCode": "SHW", "occured": "2025-11-04T16:41:38Z", "eventOwnerId": 4}]},
    ),
    "gon delete": lambda ids, bp: (
        "DELETE",
        f"{BP}/warehouse-service/order/{ids['order']}/goods-note/goods-out/{ids['spare']}",
        None,
    ),
    "order get": lambda ids, bp: ("GET", f"{BP}/order-service/order/{ids['order']}", None),
    "order status": lambda ids, bp: (
        "PUT",
        f"{BP}/order-service/order/{ids['order']}/status",
        {"orderStatusId": 5},
    ),
    "note post": lambda ids, bp: (
        "POST",
        f"{BP}/order-service/order/{ids['order']}/note",
        {"text": "shipped"},
    ),
    "note get": lambda ids, bp: ("GET", f"{BP}/order-service/order/{ids['order']}/note", None),
    "order-search": lambda ids, bp: (
        "GET",
        f"{BP}/order-service/order-search?orderId={ids['order']}",
        None,
    ),
    "order-note-search": lambda ids, bp: ("GET", f"{BP}/order-service/order-note-search", None),
    "product": lambda ids, bp: ("GET", f"{BP}/product-service/product/1001", None),
    "channel": lambda ids, bp: ("GET", f"{BP}/product-service/channel", None),
    "warehouse": lambda ids, bp: ("GET", f"{BP}/warehouse-service/warehouse/2", None),
    "shipping-method": lambda ids, bp: ("GET", f"{BP}/warehouse-service/shipping-method", None),
    "order-status": lambda ids, bp: ("GET", f"{BP}/order-service/order-status", None),
    "contact-search": lambda ids, bp: (
        "GET",
        f"{BP}/contact-service/contact-search?isStaff=true",
        None,
    ),
}


def ss_state(ss: ShipStationSandbox) -> Any:
    return copy.deepcopy((ss.orders, ss.shipments, ss.fulfillments, ss.stores, ss.notifications))


def bp_state(bp: BrightpearlSandbox) -> Any:
    return copy.deepcopy((bp.orders, bp.gons, bp.notes, bp.tokens))


async def send(app: Any, call: Call, headers: dict[str, str]) -> httpx.Response:
    method, path, body = call
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api.test", headers=headers
    ) as client:
        return (
            await client.request(method, path, json=body)
            if body is not None
            else await client.request(method, path)
        )


def ss_headers(ss: ShipStationSandbox) -> dict[str, str]:
    return {
        "Authorization": "Basic "
        + base64.b64encode(f"{ss.api_key}:{ss.api_secret}".encode()).decode()
    }


def bp_headers(bp: BrightpearlSandbox) -> dict[str, str]:
    return {"brightpearl-app-ref": bp.app_ref, "brightpearl-staff-token": bp.staff_token}


def signature(doc: Any) -> Any:
    """The shape of an answer: its type, its keys and the type of Brightpearl's ``response``."""
    if isinstance(doc, dict):
        return ("object", tuple(sorted(doc)), type(doc.get("response")).__name__)
    return (type(doc).__name__,)


APIS = {
    "shipstation": (ss_world, SS_CALLS, SHIPSTATION, ss_state, ss_headers),
    "brightpearl": (bp_world, BP_CALLS, BRIGHTPEARL, bp_state, bp_headers),
}
CASES = [(api, name) for api, (_, calls, *_rest) in APIS.items() for name in calls]


def assert_gateway_answer(
    kind: str, call: Call, answer: httpx.Response, real: httpx.Response
) -> None:
    if kind == "redirect":
        assert answer.status_code == 302 and answer.content == b""
        location = urlsplit(answer.headers["location"])
        assert location.scheme == "https" and location.hostname.endswith(".invalid")
        assert parse_qs(location.query)["next"] == [call[1]]
    elif kind == "empty":
        assert answer.status_code == 200 and answer.content == b""
    elif kind == "html":
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
        assert (
            answer.text.lstrip().lower().startswith("<!doctype html>")
            and "maintenance" in answer.text
        )
        with pytest.raises(ValueError):
            answer.json()
    else:
        assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
        assert real.status_code == 200, (call, real.text)
        assert signature(answer.json()) != signature(real.json()), (call, answer.text, real.text)


@pytest.mark.parametrize("kind", BASE_KINDS)
@pytest.mark.parametrize("api, name", CASES)
async def test_gateway_answers_instead_of_the_api(api, name, kind):
    world, calls, dialect, state, headers = APIS[api]
    twin, twin_ids = world()
    real = await send(twin.app, calls[name](twin_ids, twin), headers(twin))
    sandbox, ids = world()
    before = state(sandbox)
    chaos = attach(sandbox, FaultPlan(rate=1.0, seed=3, kinds=(kind,)), dialect)
    call = calls[name](ids, sandbox)
    answer = await send(sandbox.app, call, headers(sandbox))
    assert_gateway_answer(kind, call, answer, real)
    assert (
        sandbox.request_log == [] and state(sandbox) == before
    )  # the API never saw it: nothing written
    assert chaos.injected == {kind: 1}
    assert (
        answer.headers.get("x-rate-limit-limit") is None
        and "brightpearl-requests-remaining" not in answer.headers
    )


@pytest.mark.parametrize("kind", AFTER_KINDS)
@pytest.mark.parametrize("api, name", CASES)
async def test_after_write_kinds_apply_the_write_then_lose_its_answer(api, name, kind):
    world, calls, dialect, state, headers = APIS[api]
    twin, twin_ids = world()
    real = await send(twin.app, calls[name](twin_ids, twin), headers(twin))
    sandbox, ids = world()
    before = state(sandbox)
    chaos = attach(sandbox, FaultPlan(rate=1.0, seed=3, kinds=(kind,)), dialect)
    call = calls[name](ids, sandbox)
    answer = await send(sandbox.app, call, headers(sandbox))
    if call[0] == "GET":  # reads never draw a write-only kind: the real answer
        assert chaos.injected == {} and answer.status_code == real.status_code == 200
        assert signature(answer.json()) == signature(real.json())
        return
    assert chaos.injected == {kind: 1}
    assert [entry[-1] for entry in sandbox.request_log] == [200]  # the API did it and answered 200
    assert state(sandbox) != before
    assert_gateway_answer(kind.removesuffix("_after_write"), call, answer, real)


def test_default_kinds_stay_as_they_were_and_the_new_ones_are_opt_in():
    assert FaultPlan().kinds == KINDS
    assert not set(GATEWAY_KINDS) & set(KINDS) and not set(HOSTILE_KINDS) & (
        set(KINDS) | set(GATEWAY_KINDS)
    )
    assert set(ALL_KINDS) == set(KINDS) | set(GATEWAY_KINDS) | set(HOSTILE_KINDS) | set(
        ECHO_KINDS
    )  # opt-in too
    assert not set(ECHO_KINDS) & (
        set(KINDS) | set(GATEWAY_KINDS) | set(HOSTILE_KINDS)
    )  # the header echo: opt-in
    assert set(BASE_KINDS + AFTER_KINDS + TARGETED_KINDS) == set(GATEWAY_KINDS)
    FaultPlan(kinds=GATEWAY_KINDS)  # every one is accepted by name
    with pytest.raises(ValueError, match="wrong_shape"):
        FaultPlan(kinds=("wrong-shape",))


def test_wrong_shapes_are_never_a_valid_answer_of_their_kind():
    assert [] not in WRONG_SHAPES["list"]  # an empty list is a valid list answer
    assert {} not in WRONG_SHAPES["empty"] and all(
        not isinstance(s, dict) for s in WRONG_SHAPES["empty"]
    )
    assert all(
        not (isinstance(s, dict) and isinstance(s.get("response"), str))
        for s in WRONG_SHAPES["token"]
    )


def test_mixed_plan_draws_every_kind_and_the_tally_counts_them():
    bp, _ = bp_world()
    ss, _ = ss_world()
    ss_chaos = attach(ss, FaultPlan(rate=1.0, seed=9, kinds=GATEWAY_KINDS), SHIPSTATION)
    attach(bp, FaultPlan(rate=1.0, seed=8, kinds=BASE_KINDS), BRIGHTPEARL)
    for _ in range(300):
        ss_chaos.draw("GET", "/shipments")
    reads = tally(bp, ss)["faults"]["shipstation"]
    assert (
        set(reads) == set(BASE_KINDS) and sum(reads.values()) == 300
    )  # a read never draws *_after_write
    for _ in range(300):
        ss_chaos.draw("POST", "/orders/createorders")
    counts = tally(bp, ss)["faults"]
    # html_404 answers only reads of Brightpearl goods-out notes
    assert set(counts["shipstation"]) == set(GATEWAY_KINDS) - {"html_404"}
    assert sum(counts["shipstation"].values()) == 600
    assert counts["brightpearl"] == {}


async def test_the_same_seed_gives_the_same_wrong_shapes():
    async def bodies(seed: int) -> list[str]:
        ss, ids = ss_world()
        attach(ss, FaultPlan(rate=1.0, seed=seed, kinds=("wrong_shape",)), SHIPSTATION)
        out = []
        for _ in range(12):
            answer = await send(ss.app, SS_CALLS["order"](ids, ss), ss_headers(ss))
            out.append(json.dumps(answer.json()))
        return out

    first = await bodies(4)
    assert first == await bodies(4) and len(set(first)) == 3


@pytest.mark.parametrize("api, name", CASES)
async def test_html_404_answers_only_goods_out_note_reads_with_an_nginx_page(api, name):
    world, calls, dialect, state, headers = APIS[api]
    sandbox, ids = world()
    before = state(sandbox)
    chaos = attach(sandbox, FaultPlan(rate=1.0, seed=3, kinds=("html_404",)), dialect)
    answer = await send(sandbox.app, calls[name](ids, sandbox), headers(sandbox))
    if name != "gon get":
        assert chaos.injected == {} and answer.status_code != 404  # everything else passes
        return
    assert (
        chaos.injected == {"html_404": 1} and sandbox.request_log == [] and state(sandbox) == before
    )
    assert answer.status_code == 404 and answer.headers["content-type"] == "text/html"
    assert "<h1>404 Not Found</h1>" in answer.text and "nginx" in answer.text


@pytest.mark.parametrize("api, name", CASES)
async def test_ok_after_write_applies_the_write_then_answers_response_ok(api, name):
    world, calls, dialect, state, headers = APIS[api]
    sandbox, ids = world()
    before = state(sandbox)
    chaos = attach(sandbox, FaultPlan(rate=1.0, seed=3, kinds=("ok_after_write",)), dialect)
    call = calls[name](ids, sandbox)
    answer = await send(sandbox.app, call, headers(sandbox))
    if call[0] == "GET":
        assert chaos.injected == {} and answer.status_code == 200
        return
    assert chaos.injected == {"ok_after_write": 1}
    assert [entry[-1] for entry in sandbox.request_log] == [200] and state(
        sandbox
    ) != before  # written
    assert answer.status_code == 200 and answer.json() == {"response": "ok"}
