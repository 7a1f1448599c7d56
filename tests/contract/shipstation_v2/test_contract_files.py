"""The vendored contract is the published file, unchanged; the checker reads each of its quirks
the stated way (contract.py, readings 1-7) and catches what the contract refuses."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx
import pytest

from bp_tui.sandbox.shipstation_v2.sandbox import ShipStationV2Sandbox
from tests.contract.shipstation_v2.check import ContractCheck, pending
from tests.contract.shipstation_v2.contract import contract

HERE = Path(__file__).parent
SHA256 = "abf7a0b7cbe1233a38bef9aa9666520334a16d9b594c2b5625e69453d97cdbbd"
JSON = "application/json"
ADDRESS = {
    "name": "A Person",
    "address_line1": "1 High St",
    "country_code": "GB",
    "address_residential_indicator": "unknown",
}


def _create(item: dict) -> list[str]:
    body = json.dumps({"shipments": [item]}).encode()
    return contract().check_request("POST", "/v2/shipments", "", body, "application/json")


def _item(**change) -> dict:
    item = {
        "external_shipment_id": "k-1",
        "create_sales_order": True,
        "ship_to": dict(ADDRESS),
        "packages": [{"weight": {"value": 0.5, "unit": "pound"}}],
    }
    item.update(change)
    return item


def test_the_published_file_is_kept_byte_for_byte_with_its_origin_and_licence():
    assert hashlib.sha256((HERE / "openapi.yaml").read_bytes()).hexdigest() == SHA256
    origin = (HERE / "ORIGIN.md").read_text(encoding="utf-8")
    for fact in ("shipstation/mcp-shipstation-api", "ce1637f", "2025-08-13", SHA256, "MIT"):
        assert fact in origin
    supplement = (HERE / "supplement.yaml").read_text(encoding="utf-8")
    for source in (
        "docs.shipstation.com/openapi/fulfillments",
        "docs.shipstation.com/shipments/update",
    ):
        assert source in supplement


def test_each_quirk_is_read_the_stated_way():
    assert _create(_item()) == []  # 1: address (allOf + closed) takes its members' keys; 3: 0.5 lb
    assert any("was unexpected" in v for v in _create(_item(ship_to={**ADDRESS, "colour": "red"})))
    assert (
        _create(_item(ship_to={**ADDRESS, "company_name": None, "address_line2": None})) == []
    )  # 2
    null_phone = _create(_item(ship_to={**ADDRESS, "phone": None}))
    assert any("None is not of type 'string'" in v for v in null_phone)
    assert (
        _create(_item(packages=[{"weight": {"value": 0, "unit": "ounce"}}])) == []
    )  # 3: minimum 0 alone
    assert any(
        "minimum" in v
        for v in _create(_item(packages=[{"weight": {"value": -1, "unit": "ounce"}}]))
    )
    assert (
        contract().check_request("GET", "/v2/shipments", "page=1", b"", "") == []
    )  # 4: pickup_id optional
    fulfil = {
        "fulfillments": [
            {
                "shipment_id": "se-1",
                "tracking_number": "T",
                "carrier_code": "ups",
                "ship_date": "2026-01-02",
            }
        ]
    }  # 5: a date alone, as the date schema's pattern
    assert (
        contract().check_request(
            "POST", "/v2/fulfillments", "", json.dumps(fulfil).encode(), "application/json"
        )
        == []
    )
    assert any(
        "date-time" in v
        for v in contract().check_request(
            "GET", "/v2/labels", "created_at_start=2026-01-02T00:00:00", b"", ""
        )
    )  # an offset is required
    assert _create(_item(ship_to=dict(ADDRESS))) == []  # 6: no phone, city, state or postcode
    refused = {
        "has_errors": True,
        "shipments": [{"external_shipment_id": "k-1", "errors": ["taken"]}],
    }
    answer = json.dumps(refused).encode()  # 7: a refused item needs no shipment fields
    assert contract().check_answer("POST", "/v2/shipments", 200, answer, "application/json") == []
    made = {"has_errors": False, "shipments": [{"external_shipment_id": "k-1", "errors": []}]}
    assert any(
        "'shipment_id' is a required" in v
        for v in contract().check_answer(
            "POST", "/v2/shipments", 200, json.dumps(made).encode(), "application/json"
        )
    )


def test_the_checker_refuses_each_kind_of_request_the_contract_refuses():
    c = contract()
    status = c.check_request("GET", "/v2/labels", "label_status=printed", b"", "")
    assert any("'printed' is not one of" in v for v in status)
    sort = c.check_request("GET", "/v2/labels", "sort_by=shipped_at", b"", "")
    assert any("'shipped_at' is not one of" in v for v in sort)
    assert c.check_request("GET", "/v2/fulfillments", "sort_by=shipped_at", b"", "") == []
    assert any(
        "not defined" in v for v in c.check_request("GET", "/v2/labels", "colour=red", b"", "")
    )
    assert any("'order_date' was unexpected" in v for v in _create(_item(order_date="2026-01-01")))
    item = {"shipment_id": "se-1", "tracking_number": None, "carrier_code": "ups"}
    body = json.dumps({"fulfillments": [item]}).encode()
    assert any(
        "tracking_number" in v for v in c.check_request("POST", "/v2/fulfillments", "", body, JSON)
    )
    put = c.check_request("PUT", "/v2/shipments/se-1", "", b'{"shipment_status": "pending"}', JSON)
    assert any("read-only" in v for v in put)
    error = {
        "request_id": "aa3d8e8e-462b-4476-9618-72db7f7b7009",
        "errors": [
            {
                "error_source": "shipstation",
                "error_type": "validation",
                "error_code": "not_found",
                "message": "x",
            }
        ],
    }
    found = c.check_answer(
        "GET", "/v2/shipments/se-1", 404, json.dumps(error).encode(), "application/json"
    )
    assert any("error_source" in v for v in found) and any("error_code" in v for v in found)
    assert c.check_answer("GET", "/v2/labels", 500, b"{}", "application/json")  # a 500 has no body
    assert c.check_answer("GET", "/v2/labels", 500, b"", "application/json") == []


def test_the_allowance_for_the_create_path_names_three_keys_only():
    three = (
        "POST /v2/shipments body.shipments[0]: Additional properties are not allowed "
        "('advanced_options', 'shipment_number', 'warehouse_id' were unexpected)"
    )
    four = three.replace("'shipment_number'", "'order_date', 'shipment_number'")
    assert pending(three) and not pending(four)


@pytest.mark.off_contract_requests  # one request is outside the contract on purpose
async def test_the_check_wraps_every_v2_sandbox_app_and_collects_what_is_outside(
    _shipstation_v2_contract,
):
    sb = ShipStationV2Sandbox()
    [check] = _shipstation_v2_contract  # installed by the autouse fixture (tests/conftest.py)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sb.app),
        base_url="http://ss",
        headers={"api-key": sb.v2.api_key},
    ) as client:
        assert (await client.get("/v2/labels", params={"page_size": 10})).status_code == 200
    assert check.checked == 1 and check.violations == []
    loose = ContractCheck(sb.app)  # a second check, to see a violation without failing this test
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=loose),
        base_url="http://ss",
        headers={"api-key": sb.v2.api_key},
    ) as client:
        await client.get("/v2/labels", params={"label_status": "printed"})
    assert len(loose.violations) == 1 and "label_status" in loose.violations[0]
    assert check.checked == 2 and check.violations == []  # this test's own check holds answers only
