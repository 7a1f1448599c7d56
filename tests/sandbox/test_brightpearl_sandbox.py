"""The Brightpearl sandbox answers in the real API's shapes and rules."""

from __future__ import annotations

import httpx
import pytest

from bp_tui.sandbox.brightpearl.sandbox import BrightpearlSandbox
from tests.brightpearl.helpers import NOW, fixture, seeded

BASE = "http://bp.test/public-api/demo"


def raw_client(sb: BrightpearlSandbox, *, auth: bool = True) -> httpx.AsyncClient:
    headers = (
        {"brightpearl-app-ref": sb.app_ref, "brightpearl-staff-token": sb.staff_token}
        if auth
        else {}
    )
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sb.app), base_url=BASE, headers=headers
    )


def keys(value):
    return set(value) if isinstance(value, dict) else set()


async def test_gon_answer_has_the_recorded_key_sets():
    sb = seeded()
    recorded = fixture("gon_get_by_gon_id.json")["response"]["12447605"]
    shipped_id = next(gid for gid, g in sb.gons.items() if g["status"]["shipped"] and g["orderId"])
    async with raw_client(sb) as http:
        answer = (
            await http.get(f"/warehouse-service/order/*/goods-note/goods-out/{shipped_id}")
        ).json()
    assert keys(answer) == {"response"} and list(answer["response"]) == [str(shipped_id)]
    gon = answer["response"][str(shipped_id)]
    assert keys(gon) == keys(recorded)
    assert keys(gon["status"]) == keys(recorded["status"])
    assert keys(gon["shipping"]) == keys(recorded["shipping"])
    part = next(iter(gon["orderRows"].values()))
    assert isinstance(part, list) and keys(part[0]) == keys(
        next(iter(recorded["orderRows"].values()))[0]
    )
    assert all(keys(e) == keys(recorded["events"][0]) for e in gon["events"])


async def test_order_answer_has_the_recorded_key_sets():
    sb = seeded()
    (recorded,) = fixture("order_get_one.json")["response"]
    order_id = next(iter(sb.orders))
    async with raw_client(sb) as http:
        (order,) = (await http.get(f"/order-service/order/{order_id}")).json()["response"]
    assert keys(order) == keys(recorded) - {"closedOn"}  # closedOn only on closed orders
    for name in ("customer", "delivery", "billing"):
        assert keys(order["parties"][name]) == keys(recorded["parties"][name])
    assert keys(order["assignment"]["current"]) == keys(recorded["assignment"]["current"])
    row = next(iter(order["orderRows"].values()))
    recorded_row = recorded["orderRows"]["1"]
    assert keys(row) == keys(recorded_row)
    assert keys(row["rowValue"]) == keys(recorded_row["rowValue"])
    assert isinstance(row["quantity"]["magnitude"], str) and isinstance(
        row["productPrice"]["value"], str
    )


async def test_lookup_and_search_answers_have_the_recorded_key_sets():
    sb = seeded(orders=3)
    order_id = next(iter(sb.orders))
    sb.add_note(order_id, "x")
    async with raw_client(sb) as http:
        statuses = (await http.get("/order-service/order-status")).json()["response"]
        channels = (await http.get("/product-service/channel")).json()["response"]
        warehouses = (await http.get("/warehouse-service/warehouse")).json()["response"]
        notes = (await http.get(f"/order-service/order/{order_id}/note")).json()["response"]
        search = (await http.get("/warehouse-service/goods-note/goods-out-search")).json()
        note_post = (
            await http.post(f"/order-service/order/{order_id}/note", json={"text": "y"})
        ).json()
    assert keys(statuses[0]) == keys(fixture("order_status_get.json")["response"][0])
    assert keys(channels[0]) == keys(fixture("channel_get.json")["response"][0])
    assert keys(warehouses[0]) == keys(fixture("warehouse_get.json")["response"][0])
    assert keys(notes[0]) == keys(fixture("order_note_get.json")["response"][0])
    recorded_search = fixture("order_search.json")
    assert keys(search) == keys(recorded_search)
    assert keys(search["response"]) == keys(recorded_search["response"])
    assert keys(search["response"]["metaData"]) == keys(recorded_search["response"]["metaData"])
    assert keys(search["response"]["metaData"]["columns"][0]) == keys(
        recorded_search["response"]["metaData"]["columns"][0]
    )
    names = [c["name"] for c in search["response"]["metaData"]["columns"]]
    assert names[:13] == [
        "goodsOutNoteId",
        "printed",
        "picked",
        "packed",
        "shipped",
        "shippedOn",
        "orderId",
        "shippingMethodId",
        "warehouseId",
        "priority",
        "createdOn",
        "releaseDate",
        "createdBy",
    ]
    assert "channelId" in names
    assert isinstance(note_post["response"], int) and keys(note_post) == keys(
        fixture("order_note_post.json")
    )


async def test_idset_syntax_limits_and_not_found():
    sb = seeded(orders=0)
    order_id = sb.add_order(rows=[(1001, 1)])
    ids = [sb.add_gon(order_id) for _ in range(10)]
    async with raw_client(sb) as http:
        few = await http.get(
            f"/warehouse-service/order/*/goods-note/goods-out/{ids[0]},{ids[2]}-{ids[4]}"
        )
        assert sorted(map(int, few.json()["response"])) == [ids[0], ids[2], ids[3], ids[4]]
        by_order = await http.get(f"/warehouse-service/order/{order_id}/goods-note/goods-out/")
        assert len(by_order.json()["response"]) == 10
        too_many = await http.get("/warehouse-service/order/*/goods-note/goods-out/1-501")
        assert too_many.status_code == 400 and too_many.json()["errors"][0]["code"]
        assert (
            await http.get("/warehouse-service/order/*/goods-note/goods-out/1-500")
        ).status_code == 404
        none = await http.get("/warehouse-service/order/*/goods-note/goods-out/1-3")
        assert none.status_code == 404 and none.json()["errors"][0]["code"] == "CMNC-404"
        orders_over = await http.get("/order-service/order/1-201")
        assert orders_over.status_code == 400
        missing = await http.get("/order-service/order/1,2")
        assert missing.status_code == 200 and missing.json() == {"response": []}
        unknown = await http.get("/nothing-service/thing")
        assert unknown.status_code == 404 and unknown.json()["errors"][0]["code"] == "CMNC-404"
        bad = await http.get(
            "/warehouse-service/goods-note/goods-out-search", params={"printed": "maybe"}
        )
        assert bad.status_code == 500 and bad.json()["errors"][0]["code"] == "CMNC-018"


async def test_auth_checks_for_all_modes():
    sb = seeded(orders=1)
    transport = httpx.ASGITransport(app=sb.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bp.test") as http:
        path = "/public-api/demo/product-service/channel"
        none = await http.get(path)
        assert none.status_code == 401 and "Not authenticated" in none.json()["response"]
        wrong = await http.post(
            "/demo/authorise",
            json={"apiAccountCredentials": {"emailAddress": sb.username, "password": "bad"}},
        )
        assert wrong.status_code == 401 and wrong.json()["errors"][0]["code"] == "GWYB-006"
        other = await http.post(
            "/elsewhere/authorise",
            json={"apiAccountCredentials": {"emailAddress": sb.username, "password": sb.password}},
        )
        assert other.json()["errors"][0]["code"] == "GWYB-003"
        good = await http.post(
            "/demo/authorise",
            json={"apiAccountCredentials": {"emailAddress": sb.username, "password": sb.password}},
        )
        token = good.json()["response"]
        assert (await http.get(path, headers={"brightpearl-auth": token})).status_code == 200
        sb.expire_tokens()
        assert (await http.get(path, headers={"brightpearl-auth": token})).status_code == 401
        staff = {"brightpearl-app-ref": sb.app_ref, "brightpearl-staff-token": sb.staff_token}
        account = {"brightpearl-app-ref": sb.app_ref, "brightpearl-account-token": sb.account_token}
        assert (await http.get(path, headers=staff)).status_code == 200
        assert (await http.get(path, headers=account)).status_code == 200
        wrong_app = {**account, "brightpearl-app-ref": "other_app"}
        assert (await http.get(path, headers=wrong_app)).status_code == 401


async def test_rate_limit_headers_and_rolling_window_503():
    clock = [1000.0]
    sb = BrightpearlSandbox(rate_limit=3, window_s=10.0, clock=lambda: clock[0])
    async with raw_client(sb) as http:
        first = await http.get("/warehouse-service/warehouse")
        assert first.headers["brightpearl-requests-remaining"] == "2"
        assert first.headers["brightpearl-next-throttle-period"] == "10000"
        clock[0] += 4
        await http.get("/warehouse-service/warehouse")
        third = await http.get("/warehouse-service/warehouse")
        assert third.headers["brightpearl-requests-remaining"] == "0"
        assert third.headers["brightpearl-next-throttle-period"] == "6000"
        throttled = await http.get("/warehouse-service/warehouse")
        assert throttled.status_code == 503
        assert throttled.json() == fixture("error_request_cap.json")
        assert sb.violations == 0
        clock[0] += 1  # too early: the 503 said 6 s
        assert (await http.get("/warehouse-service/warehouse")).status_code == 503
        assert sb.violations == 1
        clock[0] += 5  # the oldest request left the rolling window
        assert (await http.get("/warehouse-service/warehouse")).status_code == 200


async def test_events_rules_shw_put_after_ship_if_match():
    sb = seeded(orders=0)
    order_id = sb.add_order(rows=[(1001, 1), (1002, 2)])
    gid = sb.add_gon(order_id, state="new")
    version = sb.gons[gid]["lastEventVersion"]
    event = {
        "events": [{"eventCode": "SHW", "occured": "2025-11-04T16:41:38.000Z", "eventOwnerId": 4}]
    }
    async with raw_client(sb) as http:
        stale = await http.post(
            f"/warehouse-service/goods-note/goods-out/{gid}/event",
            json=event,
            headers={"If-Match": str(version - 1)},
        )
        assert stale.status_code == 409 and not sb.gons[gid]["status"]["shipped"]
        ok = await http.post(
            f"/warehouse-service/goods-note/goods-out/{gid}/event",
            json=event,
            headers={"If-Match": str(version)},
        )
        assert ok.status_code == 200 and ok.json() == {}
        gon = sb.gons[gid]
        assert [e["eventCode"] for e in gon["events"]] == ["PLA", "SHW", "PRI", "PIC", "PAC"]
        assert (
            gon["status"]["shippedOn"]
            == gon["status"]["printedOn"]
            == "2025-11-04T10:41:38.000-06:00"
        )
        assert gon["lastEventVersion"] > version
        again = await http.post(f"/warehouse-service/goods-note/goods-out/{gid}/event", json=event)
        assert (
            again.status_code == 409 and "already shipped" in again.json()["errors"][0]["message"]
        )
        put = await http.put(
            f"/warehouse-service/goods-note/goods-out/{gid}", json={"shipping": {"reference": "X"}}
        )
        assert put.status_code == 400
        assert sb.orders[order_id]["shippingStatusCode"] == "ASS"
        bad_owner = await http.post(
            f"/warehouse-service/goods-note/goods-out/{sb.add_gon(order_id)}/event",
            json={
                "events": [
                    {"eventCode": "PRI", "occured": "2025-11-04T16:41:38Z", "eventOwnerId": 999}
                ]
            },
        )
        assert bad_owner.status_code == 400


async def test_put_reference_limit_and_order_status_rules():
    sb = seeded(orders=0)
    order_id = sb.add_order(rows=[(1001, 1)])
    gid = sb.add_gon(order_id, state="printed")
    async with raw_client(sb) as http:
        long = await http.put(
            f"/warehouse-service/goods-note/goods-out/{gid}",
            json={"shipping": {"reference": "x" * 65}},
        )
        assert long.status_code == 400
        ok = await http.put(
            f"/warehouse-service/goods-note/goods-out/{gid}",
            json={"priority": False, "shipping": {"reference": "T1", "boxes": 2, "weight": "1.50"}},
        )
        assert ok.json() == {} and sb.gons[gid]["shipping"]["reference"] == "T1"
        hidden = await http.put(
            f"/order-service/order/{order_id}/status", json={"orderStatusId": 1}
        )
        po_status = await http.put(
            f"/order-service/order/{order_id}/status", json={"orderStatusId": 7}
        )
        assert hidden.status_code == 400 and po_status.status_code == 400
        done = await http.put(f"/order-service/order/{order_id}/status", json={"orderStatusId": 5})
        assert done.json() == {} and sb.orders[order_id]["orderStatus"]["name"] == "Shipped"
        assert sb.notes[order_id][-1]["text"] == "Order status changed to Shipped"


async def test_faults_and_request_log():
    sb = seeded(orders=1)
    sb.fail_next("GET", "/warehouse-service/warehouse", status=502)
    async with raw_client(sb) as http:
        assert (await http.get("/warehouse-service/warehouse")).status_code == 502
        assert (await http.get("/warehouse-service/warehouse")).status_code == 200
    assert [(m, s) for _, m, _, s in sb.request_log] == [("GET", 502), ("GET", 200)]


def test_seed_is_deterministic_and_covers_every_case():
    a, b = seeded(seed=7), seeded(seed=7)
    assert a.orders == b.orders and a.gons == b.gons
    assert seeded(seed=8).orders != a.orders
    counts = a.counts
    assert set(counts["by_state"]) == {"new", "printed", "picked", "packed", "shipped"}
    assert counts["printed_unshipped"] == a.eligible_count("printed") > 10
    assert counts["transfers"] == 1 and counts["orders"] == 60
    transfer = next(g for g in a.gons.values() if g["orderId"] == 0)
    assert transfer["transfer"] and "targetWarehouseId" in transfer
    assert any(g["sequence"] == 2 for g in a.gons.values())
    assert any(g["orderRows"] == {} and g["status"]["printed"] for g in a.gons.values())
    deliveries = [o["parties"]["delivery"] for o in a.orders.values()]
    assert any(d["addressLine1"] == "" for d in deliveries)
    assert any(d["countryIsoCode"] == "" for d in deliveries)
    assert any(d["countryIsoCode"] == "UK" for d in deliveries)
    assert any(d["addressFullName"] == "Zoë Ångström" for d in deliveries)
    assert any(d["addressLine3"] == "東京都" for d in deliveries)
    assert len({o["assignment"]["current"]["channelId"] for o in a.orders.values()}) == 3
    assert len({g["warehouseId"] for g in a.gons.values()}) == 3
    assert any(not p["stock"]["stockTracked"] for p in a.products.values())
    assert all(o["placedOn"].endswith("-06:00") for o in a.orders.values())
    assert all(1 <= len(o["orderRows"]) <= 4 for o in a.orders.values())
    stock_only = [g for g in a.gons.values() if g["orderId"]]
    non_stock = {pid for pid, p in a.products.items() if not p["stock"]["stockTracked"]}
    assert all(
        part["productId"] not in non_stock
        for g in stock_only
        for parts in g["orderRows"].values()
        for part in parts
    )


def test_settings_point_at_the_sandbox_and_delete_gon():
    sb = seeded(orders=2)
    s = sb.settings("http://127.0.0.1:8123")
    assert s["integration_url"] == "http://127.0.0.1:8123/public-api/demo"
    assert (
        s["auth"] == "password"
        and s["username"] == sb.username
        and s["staff_contact_id"] in sb.staff
    )
    gid = next(iter(sb.gons))
    sb.delete_gon(gid)
    assert gid not in sb.gons
    with pytest.raises(KeyError):
        sb.delete_gon(gid)
    assert NOW.tzinfo is not None
