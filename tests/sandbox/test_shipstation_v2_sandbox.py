"""The ShipStation V2 sandbox behaves as reference/shipstation-v2.md says: the api-key header,
create-only shipments with refused duplicates and silently cut ids, full-replace PUTs of pending
shipments, cancel after voiding, labels and fulfillments, 429 with Retry-After and no count
headers, the error envelope everywhere (only its published keys and enum values); and it is the
same account V1 serves (se-<id>). Every answer here is also held to the published contract (the
``_shipstation_v2_contract`` fixture); tests that send requests outside it on purpose say so."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bp_tui.sandbox.shipstation_v2.sandbox import ShipStationV2Sandbox
from tests.shipstation.factory import order


def http(sb: ShipStationV2Sandbox, key: str | None = None, app=None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app or sb.app),
        base_url="http://ss",
        headers={"api-key": sb.v2.api_key if key is None else key},
    )


def shipment(n: int, **change) -> dict:
    body = {
        "external_shipment_id": f"bp-acme-gon-{n}",
        "shipment_number": str(1000 + n),
        "create_sales_order": True,
        "shipment_status": "pending",
        "store_id": "se-518237",
        "warehouse_id": "se-524391",
        "ship_to": {
            "name": f"Customer {n}",
            "phone": "0113 496 0000",
            "email": f"c{n}@example.com",
            "address_line1": f"{n} High Street",
            "city_locality": "Leeds",
            "state_province": "W Yorks",
            "postal_code": "LS1 1AA",
            "country_code": "GB",
            "address_residential_indicator": "unknown",
        },
        "items": [
            {
                "external_order_item_id": f"{n}1",
                "sku": "SKU-1",
                "name": "Widget",
                "quantity": 2,
                "unit_price": 9.5,
                "weight": {"value": 250, "unit": "gram"},
            }
        ],
        "packages": [{"package_code": "package", "weight": {"value": 500, "unit": "gram"}}],
        "advanced_options": {"custom_field1": "3"},
    }
    body.update(change)
    return body


async def create(client: httpx.AsyncClient, *bodies: dict) -> dict:
    response = await client.post("/v2/shipments", json={"shipments": list(bodies)})
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_missing_or_wrong_key_is_401_with_the_envelope():
    sb = ShipStationV2Sandbox()
    for key in ("", "sandbox-key", "nope"):
        async with http(sb, key=key) as client:
            response = await client.get("/v2/shipments")
        assert response.status_code == 401
        body = response.json()
        assert body["request_id"] and body["errors"] == [
            {
                "error_source": "ShipStation",
                "error_type": "security",
                "error_code": "unauthorized",
                "message": "Access denied.",
            }
        ]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sb.app),
        base_url="http://ss",
        auth=(sb.api_key, sb.api_secret),
    ) as basic:  # a V1 key pair is refused too
        assert (await basic.get("/v2/shipments")).status_code == 401


async def test_create_answers_each_shipment_and_refuses_a_taken_external_id():
    sb = ShipStationV2Sandbox()
    async with http(sb) as client:
        first = await create(client, shipment(1), shipment(2))
        assert not first["has_errors"]
        made = first["shipments"][0]
        assert (
            made["shipment_id"].startswith("se-")
            and made["shipment_status"] == "pending"
            and made["errors"] == []
        )
        again = await create(client, shipment(1), shipment(3), shipment(3))
    assert again["has_errors"]
    dup, new, dup_in_batch = again["shipments"]  # refused items: the key and the errors as strings
    assert "shipment_id" not in dup and "already exists" in dup["errors"][0]
    assert (
        dup["external_shipment_id"] == "bp-acme-gon-1" and made["shipment_id"] in dup["errors"][0]
    )
    assert new["errors"] == [] and "already exists" in dup_in_batch["errors"][0]
    assert len(sb.orders) == 3


@pytest.mark.off_contract_requests  # ids longer than the published maxLength of 50, on purpose
async def test_over_long_ids_and_numbers_are_cut_to_50_silently():
    sb = ShipStationV2Sandbox()
    long_key, long_number = "k" * 49 + "-tail-that-is-lost", "9" * 60
    async with http(sb) as client:
        made = await create(
            client, shipment(1, external_shipment_id=long_key, shipment_number=long_number)
        )
        assert made["shipments"][0]["errors"] == []
        clash = await create(client, shipment(2, external_shipment_id="k" * 49 + "-other-tail"))
    assert made["shipments"][0]["external_shipment_id"] == long_key[:50]
    assert made["shipments"][0]["shipment_number"] == "9" * 50
    assert "already exists" in clash["shipments"][0]["errors"][0]  # two keys, one prefix
    assert clash["shipments"][0]["external_shipment_id"] == long_key[:50]  # the answer keeps to 50


async def test_without_an_external_id_the_shipment_is_named_after_itself():
    sb = ShipStationV2Sandbox()
    async with http(sb) as client:
        made = (await create(client, shipment(1, external_shipment_id=None, shipment_number=None)))[
            "shipments"
        ][0]
    assert made["external_shipment_id"] == made["shipment_id"] == made["shipment_number"]


@pytest.mark.off_contract_requests  # each item is refused on purpose
@pytest.mark.parametrize(
    "change,text",
    [
        ({"warehouse_id": None}, "either warehouse_id or ship_from"),
        ({"ship_from": {"name": "Elsewhere"}}, "not both"),
        ({"warehouse_id": "se-1"}, "warehouse_id 'se-1' was not found"),
        ({"store_id": "518237"}, "is not a ShipStation id"),
        ({"ship_to": None}, "ship_to is required"),
        ({"shipment_status": "label_purchased"}, "can only be pending"),
        ({"order_date": "2024-01-01T00:00:00Z"}, "unknown field(s) for a new shipment: order_date"),
        (
            {"ship_to": {"name": "A", "address_line1": "1 Rd", "country_code": "UK"}},
            "Invalid country code 'UK'",
        ),
    ],
)
async def test_each_invalid_shipment_fails_alone_with_a_reason(change, text):
    sb = ShipStationV2Sandbox()
    async with http(sb) as client:
        answer = await create(client, shipment(1), shipment(2, **change))
    ok, bad = answer["shipments"]
    assert ok["errors"] == [] and answer["has_errors"]
    assert text in bad["errors"][0] and "shipment_id" not in bad


@pytest.mark.off_contract_requests  # a body that is not JSON, a path V2 does not have
async def test_a_whole_request_refused_is_a_400_envelope():
    sb = ShipStationV2Sandbox()
    async with http(sb) as client:
        too_many = await client.post(
            "/v2/shipments", json={"shipments": [shipment(n) for n in range(101)]}
        )
        not_json = await client.post(
            "/v2/shipments", content=b"{", headers={"content-type": "application/json"}
        )
        stores = await client.get("/v2/stores")
    assert too_many.status_code == 400 and "at most 100" in too_many.json()["errors"][0]["message"]
    assert (
        not_json.status_code == 400
        and not_json.json()["errors"][0]["error_code"] == "invalid_field_value"
    )
    assert stores.status_code == 404 and stores.json()["errors"][0]["error_code"] == "unspecified"
    assert not sb.orders


async def test_put_replaces_the_whole_shipment():
    sb = ShipStationV2Sandbox()
    async with http(sb) as client:
        made = await create(
            client, shipment(1, internal_notes="fragile", notes_from_buyer="ring twice")
        )
        sid = made["shipments"][0]["shipment_id"]
        sb.edit_order(
            int(sid[3:]), serviceCode="ups_ground", carrierCode="ups"
        )  # set in the UI: not create
        current = (await client.get(f"/v2/shipments/{sid}")).json()
        assert current["internal_notes"] == "fragile" and current["service_code"] == "ups_ground"
        read_only = (
            "shipment_id",
            "created_at",
            "modified_at",
            "shipment_status",
            "tags",
            "total_weight",
        )
        full = {k: v for k, v in current.items() if k not in read_only}
        full["ship_to"] = {**full["ship_to"], "address_line1": "2 Low Street"}
        full.pop("ship_from")
        kept = await client.put(f"/v2/shipments/{sid}", json=full)
        assert kept.status_code == 200, kept.text
        assert (
            kept.json()["internal_notes"] == "fragile"
            and kept.json()["ship_to"]["address_line1"] == "2 Low Street"
        )
        partial = await client.put(
            f"/v2/shipments/{sid}",
            json={"ship_to": full["ship_to"], "warehouse_id": "se-524391", "items": full["items"]},
        )
        assert partial.status_code == 200
    after = partial.json()
    assert (
        after["internal_notes"] is None
        and after["notes_from_buyer"] is None
        and after["service_code"] is None
    )
    assert after["advanced_options"]["custom_field1"] is None and after["shipment_number"] == "1001"
    assert after["external_shipment_id"] == "bp-acme-gon-1" and after["store_id"] == "se-518237"


@pytest.mark.off_contract_requests  # read-only keys and a partial ship_from, on purpose
async def test_put_refuses_what_v2_does_not_allow():
    sb = ShipStationV2Sandbox()
    async with http(sb) as client:
        sid = (await create(client, shipment(1)))["shipments"][0]["shipment_id"]
        body = {
            k: v
            for k, v in shipment(1).items()
            if k not in ("create_sales_order", "shipment_status")
        }
        read_only = await client.put(
            f"/v2/shipments/{sid}", json={**body, "shipment_status": "pending"}
        )
        unknown = await client.put(
            f"/v2/shipments/{sid}", json={**body, "create_sales_order": True}
        )
        rekey = await client.put(
            f"/v2/shipments/{sid}", json={**body, "external_shipment_id": "other"}
        )
        restore = await client.put(f"/v2/shipments/{sid}", json={**body, "store_id": "se-518236"})
        both = await client.put(f"/v2/shipments/{sid}", json={**body, "ship_from": {"name": "X"}})
        missing = await client.put("/v2/shipments/se-999", json=body)
        sb.create_label(int(sid[3:]))
        shipped = await client.put(f"/v2/shipments/{sid}", json=body)
    assert [r.status_code for r in (rekey, restore, both, missing, shipped)] == [
        400,
        400,
        400,
        404,
        400,
    ]
    assert "read-only" in read_only.json()["errors"][0]["message"] and unknown.status_code == 400
    assert "cannot be changed" in rekey.json()["errors"][0]["message"]
    assert shipped.json()["errors"][0]["error_code"] == "invalid_status"
    assert "label_purchased" in shipped.json()["errors"][0]["message"]


@pytest.mark.off_contract_requests  # a date-time without an offset, a page_size over 500
async def test_lists_filter_and_page_with_links():
    sb = ShipStationV2Sandbox()
    async with http(sb) as client:
        await create(client, *(shipment(n) for n in range(1, 8)))
        one = (
            await client.get("/v2/shipments", params={"external_shipment_id": "bp-acme-gon-3"})
        ).json()
        page2 = (
            await client.get("/v2/shipments", params={"page": 2, "page_size": 3, "sort_dir": "asc"})
        ).json()
        naive = await client.get(
            "/v2/shipments", params={"created_at_start": "2024-01-01T00:00:00"}
        )
        huge = await client.get("/v2/shipments", params={"page_size": 501})
        by_key = await client.get("/v2/shipments/external_shipment_id/bp-acme-gon-5")
    assert [s["external_shipment_id"] for s in one["shipments"]] == ["bp-acme-gon-3"] and one[
        "total"
    ] == 1
    assert (page2["total"], page2["page"], page2["pages"]) == (7, 2, 3)
    assert [s["shipment_number"] for s in page2["shipments"]] == ["1004", "1005", "1006"]
    assert page2["links"]["next"]["href"].endswith("page=3&page_size=3") and page2["links"]["prev"]
    assert naive.status_code == 400 and "offset" in naive.json()["errors"][0]["message"]
    assert huge.status_code == 400
    assert by_key.json()["shipment_number"] == "1005"


async def test_cancel_needs_the_labels_voided_first():
    sb = ShipStationV2Sandbox()
    async with http(sb) as client:
        first, second = (await create(client, shipment(1), shipment(2)))["shipments"]
        ok = await client.put(f"/v2/shipments/{first['shipment_id']}/cancel")
        twice = await client.put(f"/v2/shipments/{first['shipment_id']}/cancel")
        label = sb.create_label(int(second["shipment_id"][3:]))
        refused = await client.put(f"/v2/shipments/{second['shipment_id']}/cancel")
        sb.void_label(label["shipmentId"])
        after_void = await client.put(f"/v2/shipments/{second['shipment_id']}/cancel")
        status = (await client.get(f"/v2/shipments/{second['shipment_id']}")).json()[
            "shipment_status"
        ]
    assert ok.status_code == 204 and ok.content == b""
    assert twice.status_code == 400 and twice.json()["errors"][0]["error_code"] == "invalid_status"
    assert refused.status_code == 400 and "voided first" in refused.json()["errors"][0]["message"]
    assert after_void.status_code == 204 and status == "cancelled"


async def test_labels_carry_voids_returns_and_the_order_key():
    sb = ShipStationV2Sandbox()
    async with http(sb) as client:
        sid = (await create(client, shipment(1)))["shipments"][0]["shipment_id"]
        order_id = int(sid[3:])
        first = sb.create_label(order_id, tracking_number="1ZFIRST")
        sb.void_label(first["shipmentId"])
        sb.create_label(order_id, tracking_number="1ZSECOND")
        sb.create_return_label(order_id, tracking_number="1ZRETURN")
        since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        labels = (
            await client.get("/v2/labels", params={"created_at_start": since, "sort_dir": "asc"})
        ).json()
        voided = (await client.get("/v2/labels", params={"label_status": "voided"})).json()
        one = await client.get(f"/v2/labels/se-{first['shipmentId']}")
    by_tracking = {label["tracking_number"]: label for label in labels["labels"]}
    assert list(by_tracking) == ["1ZFIRST", "1ZSECOND", "1ZRETURN"]
    assert by_tracking["1ZFIRST"]["voided"] and by_tracking["1ZFIRST"]["status"] == "voided"
    assert by_tracking["1ZFIRST"]["voided_at"].endswith("Z")
    assert not by_tracking["1ZSECOND"]["voided"] and by_tracking["1ZSECOND"]["voided_at"] is None
    assert (
        by_tracking["1ZRETURN"]["is_return_label"]
        and not by_tracking["1ZSECOND"]["is_return_label"]
    )
    assert {label["shipment_id"] for label in labels["labels"]} == {sid}
    assert {label["external_shipment_id"] for label in labels["labels"]} == {"bp-acme-gon-1"}
    assert by_tracking["1ZSECOND"]["label_id"] == f"se-{first['shipmentId'] + 1}"
    assert by_tracking["1ZSECOND"]["ship_date"].endswith(
        ("T07:00:00Z", "T08:00:00Z")
    )  # Pacific midnight
    assert [label["tracking_number"] for label in voided["labels"]] == ["1ZFIRST"]
    assert one.json()["label_id"] == f"se-{first['shipmentId']}"


@pytest.mark.off_contract_requests  # an empty carrier_code, on purpose
async def test_fulfillments_mark_shipped_once_and_tell_whom_asked():
    sb = ShipStationV2Sandbox()
    async with http(sb) as client:
        a, b = (await create(client, shipment(1), shipment(2)))["shipments"]
        no_carrier = await client.post(
            "/v2/fulfillments",
            json={
                "fulfillments": [
                    {"shipment_id": b["shipment_id"], "tracking_number": "X", "carrier_code": ""}
                ]
            },
        )
        answer = (
            await client.post(
                "/v2/fulfillments",
                json={
                    "fulfillments": [
                        {
                            "shipment_id": a["shipment_id"],
                            "tracking_number": "HAND-1",
                            "carrier_code": "other",
                            "notify_customer": True,
                            "notify_order_source": False,
                        },
                        {"shipment_id": "se-1", "tracking_number": "X", "carrier_code": "other"},
                    ]
                },
            )
        ).json()
        again = (
            await client.post(
                "/v2/fulfillments",
                json={
                    "fulfillments": [
                        {
                            "shipment_id": a["shipment_id"],
                            "tracking_number": "HAND-2",
                            "carrier_code": "other",
                        }
                    ]
                },
            )
        ).json()
        listed = (
            await client.get("/v2/fulfillments", params={"shipment_id": a["shipment_id"]})
        ).json()
        status = (await client.get(f"/v2/shipments/{a['shipment_id']}")).json()["shipment_status"]
    ok, missing = answer["fulfillments"]
    assert answer["has_errors"] and ok["error_message"] is None and ok["shipment_number"] == "1001"
    assert "not found" in missing["error_message"]
    assert (
        no_carrier.status_code == 400
        and "carrier_code" in no_carrier.json()["errors"][0]["message"]
    )
    assert (
        again["has_errors"]
        and "cannot be fulfilled again" in again["fulfillments"][0]["error_message"]
    )
    assert sb.notifications == [(int(a["shipment_id"][3:]), True, False)]
    [record] = listed["fulfillments"]
    assert record["tracking_number"] == "HAND-1" and record["shipment_id"] == a["shipment_id"]
    assert record["fulfillment_id"].startswith("se-") and "carrier_code" not in record
    assert record["fulfillment_carrier_friendly_name"] == "Other" and status == "label_purchased"


async def test_over_the_limit_a_429_says_retry_after_and_no_counts():
    sb = ShipStationV2Sandbox(rate_limit=3, window_s=60.0)
    async with http(sb) as client:
        answers = [await client.get("/v2/warehouses") for _ in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    throttled = answers[3]
    assert throttled.json()["errors"][0]["error_code"] == "rate_limit_exceeded"
    assert 1 <= int(throttled.headers["retry-after"]) <= 60
    assert not [h for h in throttled.headers if "rate-limit" in h or "ratelimit" in h]
    assert all(a.headers["x-shipengine-requestid"] for a in answers)
    assert sb.violations == 1  # the second one after a 429 in the same window


async def test_after_retry_after_requests_go_through_again():
    sb = ShipStationV2Sandbox(rate_limit=2, window_s=0.3)
    async with http(sb) as client:
        for _ in range(2):
            assert (await client.get("/v2/warehouses")).status_code == 200
        throttled = await client.get("/v2/warehouses")
        assert throttled.status_code == 429
        await asyncio.sleep(float(throttled.headers["retry-after"]) + 0.01)
        assert (await client.get("/v2/warehouses")).status_code == 200
    assert sb.violations == 0


async def test_one_account_two_apis():
    """V1 orderId n is V2 shipment se-n; orderKey is external_shipment_id (ShipStation's migration
    guide)."""
    sb = ShipStationV2Sandbox()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sb.v1_app),
        base_url="http://ss",
        auth=(sb.api_key, sb.api_secret),
    ) as v1:
        made = (await v1.post("/orders/createorders", json=[order(1)])).json()["results"][0]
    async with http(sb) as client:
        seen = await client.get(f"/v2/shipments/se-{made['orderId']}")
        found = (
            await client.get("/v2/shipments", params={"external_shipment_id": made["orderKey"]})
        ).json()
        taken = await create(client, shipment(1, external_shipment_id=made["orderKey"]))
    assert seen.status_code == 200 and seen.json()["external_shipment_id"] == made["orderKey"]
    assert (
        seen.json()["shipment_number"] == made["orderNumber"]
        and seen.json()["shipment_status"] == "pending"
    )
    assert [s["shipment_id"] for s in found["shipments"]] == [f"se-{made['orderId']}"]
    assert "already exists" in taken["shipments"][0]["errors"][0]


async def test_the_parts_of_a_split_share_the_external_id_and_a_merged_away_order_is_gone():
    sb = ShipStationV2Sandbox()
    async with http(sb) as client:
        made = (
            await create(
                client,
                shipment(
                    1,
                    items=[
                        {
                            "external_order_item_id": "11",
                            "sku": "A",
                            "name": "A",
                            "quantity": 2,
                            "unit_price": 1.0,
                        }
                    ],
                ),
                shipment(2),
                shipment(3, ship_to=shipment(2)["ship_to"]),
            )
        )["shipments"]
        first, second, third = (int(s["shipment_id"][3:]) for s in made)
        part = sb.split_order(first)
        sb.merge_orders(second, [third])
        parts = (
            await client.get("/v2/shipments", params={"external_shipment_id": "bp-acme-gon-1"})
        ).json()
        gone = await client.get(f"/v2/shipments/se-{third}")
        recreate = await create(client, shipment(3))
    assert sorted(s["shipment_id"] for s in parts["shipments"]) == sorted(
        [f"se-{first}", f"se-{part['orderId']}"]
    )
    assert gone.status_code == 404
    assert (
        recreate["shipments"][0]["errors"] == []
    )  # (chosen, as in V1) a merged-away key is free again


def _refused(answer: httpx.Response, text: str) -> None:
    """A 400 in the published envelope, whose message says ``text``."""
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert set(body) == {"request_id", "errors"} and len(body["errors"]) == 1
    error = body["errors"][0]
    assert error["error_source"] == "ShipStation" and error["error_type"] == "validation"
    assert (
        error["error_code"] in ("invalid_field_value", "field_value_required")
        and text in error["message"]
    )


@pytest.mark.off_contract_requests  # every request here is outside the contract, on purpose
async def test_the_strict_sandbox_refuses_what_the_contract_refuses():
    sb = ShipStationV2Sandbox()
    async with http(sb) as client:
        sid = (await create(client, shipment(1)))["shipments"][0]["shipment_id"]
        _refused(
            await client.get("/v2/labels", params={"label_status": "printed"}),
            "label_status 'printed'",
        )
        _refused(
            await client.get("/v2/labels", params={"sort_by": "shipped_at"}), "sort_by 'shipped_at'"
        )
        _refused(
            await client.get("/v2/shipments", params={"sort_by": "shipped_at"}),
            "sort_by 'shipped_at'",
        )
        _refused(
            await client.get("/v2/shipments", params={"shipment_status": "shipped"}),
            "shipment_status",
        )
        assert (
            await client.get("/v2/fulfillments", params={"sort_by": "shipped_at"})
        ).status_code == 200
        for tracking in (None, "", "missing"):
            item = {"shipment_id": sid, "carrier_code": "other", "tracking_number": tracking}
            if tracking == "missing":
                del item["tracking_number"]
            _refused(
                await client.post("/v2/fulfillments", json={"fulfillments": [item]}),
                "tracking_number",
            )
        unknown = {
            "shipment_id": sid,
            "carrier_code": "other",
            "tracking_number": "T",
            "carrier": "ups",
        }
        _refused(
            await client.post("/v2/fulfillments", json={"fulfillments": [unknown]}), "unknown field"
        )
        answer = await create(
            client,
            shipment(2, service_code="ups_ground"),
            shipment(3, ship_to={**shipment(3)["ship_to"], "state_province": None}),
            shipment(4, ship_to={**shipment(4)["ship_to"], "phone": ""}),
            shipment(
                5, ship_to={**shipment(5)["ship_to"], "country_code": "US", "state_province": "TX"}
            ),
            shipment(
                6,
                ship_to={k: v for k, v in shipment(6)["ship_to"].items() if k != "state_province"}
                | {"country_code": "CA"},
            ),
        )
    unknown_key, null_state, empty_phone, us_ok, ca_no_state = answer["shipments"]
    assert "unknown field(s) for a new shipment: service_code" in unknown_key["errors"][0]
    assert "ship_to.state_province must be a non-empty string, not null" in null_state["errors"][0]
    assert "ship_to.phone must be a non-empty string" in empty_phone["errors"][0]
    assert us_ok["errors"] == []
    assert "state_province is required for an address in CA" in ca_no_state["errors"][0]
    assert not sb.fulfillments and len(sb.orders) == 2


async def test_labels_being_made_or_failed_are_v2_only_and_complete_under_one_id():
    sb = ShipStationV2Sandbox()
    async with http(sb) as client:
        first, second = (await create(client, shipment(1), shipment(2)))["shipments"]
        making = sb.create_unfinished_label(int(first["shipment_id"][3:]), "processing")
        failed = sb.create_unfinished_label(int(second["shipment_id"][3:]), "error")
        labels = {la["label_id"]: la for la in (await client.get("/v2/labels")).json()["labels"]}
        processing = (await client.get("/v2/labels", params={"label_status": "processing"})).json()[
            "labels"
        ]
        sb.complete_label(making["shipmentId"])
        done = (await client.get(f"/v2/labels/se-{making['shipmentId']}")).json()
        status = (await client.get(f"/v2/shipments/{first['shipment_id']}")).json()[
            "shipment_status"
        ]
        with pytest.raises(ValueError, match="only a processing label completes"):
            sb.complete_label(failed["shipmentId"])
    assert labels[f"se-{making['shipmentId']}"]["status"] == "processing"
    assert "tracking_number" not in labels[f"se-{making['shipmentId']}"]
    assert labels[f"se-{failed['shipmentId']}"]["status"] == "error"
    assert [la["label_id"] for la in processing] == [f"se-{making['shipmentId']}"]
    assert done["status"] == "completed" and done["tracking_number"] and status == "label_purchased"
    assert failed["shipmentId"] not in sb.shipments  # V1 lists no failed label


@pytest.mark.off_contract_requests  # a ship_date that is not a date, on purpose
async def test_a_fulfillment_ship_date_that_is_not_a_date_refuses_the_request():
    sb = ShipStationV2Sandbox()
    async with http(sb) as client:
        (a,) = (await create(client, shipment(1)))["shipments"]
        item = {"shipment_id": a["shipment_id"], "tracking_number": "T", "carrier_code": "other"}
        bad = await client.post(
            "/v2/fulfillments", json={"fulfillments": [{**item, "ship_date": "soon"}]}
        )
        good = await client.post(
            "/v2/fulfillments", json={"fulfillments": [{**item, "ship_date": "2026-03-01"}]}
        )
        [listed] = (await client.get("/v2/fulfillments")).json()["fulfillments"]
    assert bad.status_code == 400 and "ship_date" in bad.json()["errors"][0]["message"]
    assert good.status_code == 200 and not good.json()["has_errors"]
    assert listed["ship_date"].startswith("2026-03-01T0")  # midnight Pacific, in UTC
