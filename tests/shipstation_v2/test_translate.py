"""Order drafts to V2 shipments and V2 answers to the port's models."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from bp_tui.core.shipping import Address, LineItem, OrderDraft, Weight
from bp_tui.shipstation.v2 import translate
from bp_tui.shipstation.v2.cache import IdCache
from bp_tui.shipstation.v2.ids import ALIAS_BASE, numeric_part, se_id

ORDER = OrderDraft(
    key="bp-acme-gon-77",
    number="1001-2",
    placed_at=datetime(2024, 5, 1, 8, 2, 3, tzinfo=UTC),
    email="ann@example.com",
    ship_to=Address(
        name="Ann Lee",
        company="Lee Ltd",
        street1="1 Road",
        city="Leeds",
        state="W Yorks",
        postal_code="LS1 1AA",
        country="GB",
        phone="0113",
    ),
    bill_to=Address(name="Ann Lee"),
    items=(
        LineItem("11", "A-1", "Widget", 2, 9.5, product_id=5, weight=Weight(250, "grams")),
        LineItem("12", "B-2", "Gadget", 1, 3.0, weight=Weight(100, "grams")),
    ),
    warehouse_ref="3",
    store_id=518237,
)


def test_a_new_shipment_carries_what_v2_can_hold():
    body = translate.new_shipment(ORDER, warehouse_id="se-524391")
    assert body["external_shipment_id"] == "bp-acme-gon-77" and body["shipment_number"] == "1001-2"
    assert body["create_sales_order"] is True and body["shipment_status"] == "pending"
    assert body["store_id"] == "se-518237" and body["warehouse_id"] == "se-524391"
    assert body["ship_to"] == {
        "name": "Ann Lee",
        "company_name": "Lee Ltd",
        "phone": "0113",
        "email": "ann@example.com",
        "address_line1": "1 Road",
        "address_line2": None,
        "address_line3": None,
        "city_locality": "Leeds",
        "state_province": "W Yorks",
        "postal_code": "LS1 1AA",
        "country_code": "GB",
        "address_residential_indicator": "unknown",
    }
    assert body["items"][0] == {
        "external_order_item_id": "11",
        "sku": "A-1",
        "name": "Widget",
        "quantity": 2,
        "unit_price": 9.5,
        "weight": {"value": 250, "unit": "gram"},
    }
    assert body["packages"] == [
        {"package_code": "package", "weight": {"value": 600.0, "unit": "gram"}}
    ]
    assert body["advanced_options"] == {"custom_field1": "3"}
    # no V2 field for these (docs/shipstation-v2.md): order date, bill-to, source, V1 product ids
    text = repr(body)
    assert "2024-05-01" not in text and "Brightpearl" not in text and "productId" not in text


def test_without_store_or_weights():
    order = replace(ORDER, store_id=0, items=(LineItem("11", "", "Widget", 1, 1.0),))
    body = translate.new_shipment(order, warehouse_id=None)
    assert "store_id" not in body and "warehouse_id" not in body
    assert body["packages"] == [
        {"package_code": "package", "weight": {"value": 0, "unit": "ounce"}}
    ]


def current_shipment() -> dict:
    body = translate.new_shipment(ORDER, warehouse_id="se-524391")
    body.update(
        shipment_id="se-470000001",
        created_at="2024-05-01T08:00:00Z",
        modified_at="2024-05-01T09:00:00Z",
        tags=[{"name": "rush"}],
        total_weight={"value": 600, "unit": "gram"},
        service_code="ups_ground",
        carrier_id="se-101",
        internal_notes="fragile",
        ship_from={"name": "Warehouse"},
        packages=[
            {
                "package_code": "package",
                "weight": {"value": 2, "unit": "pound"},
                "dimensions": {"unit": "inch", "length": 1, "width": 2, "height": 3},
            }
        ],
    )
    body["ship_to"]["address_residential_indicator"] = "yes"
    body["advanced_options"]["custom_field2"] = "set by a packer"
    return body


def test_an_update_changes_only_bp_tuis_fields():
    changed = replace(
        ORDER,
        number="1001-3",
        ship_to=replace(ORDER.ship_to, street1="2 Lane"),
        items=ORDER.items[:1],
        warehouse_ref="4",
        store_id=1,
    )
    body = translate.updated_shipment(current_shipment(), changed)
    assert body["shipment_number"] == "1001-3" and body["ship_to"]["address_line1"] == "2 Lane"
    assert len(body["items"]) == 1 and body["advanced_options"] == {
        "custom_field1": "4",
        "custom_field2": "set by a packer",
    }
    # what a ShipStation user set is kept; read-only keys are not sent back; one ship-from
    assert body["service_code"] == "ups_ground" and body["internal_notes"] == "fragile"
    assert body["packages"][0]["weight"] == {"value": 2, "unit": "pound"}
    assert body["ship_to"]["address_residential_indicator"] == "yes"
    assert not {
        "shipment_id",
        "created_at",
        "modified_at",
        "tags",
        "total_weight",
        "shipment_status",
    } & set(body)
    assert body["warehouse_id"] == "se-524391" and "ship_from" not in body
    assert body["store_id"] == "se-518237"  # the store is set on create only


def test_a_custom_ship_from_is_sent_instead_of_an_empty_warehouse():
    current = {**current_shipment(), "warehouse_id": None}
    body = translate.updated_shipment(current, ORDER)
    assert body["ship_from"] == {"name": "Warehouse"} and "warehouse_id" not in body


def test_owned_tells_whether_an_update_would_change_anything():
    current = current_shipment()
    current["items"][0]["sales_order_item_id"] = "se-9"  # what the server adds is not ours
    current["items"][0]["unit_price"] = 9.50
    assert translate.owned(translate.updated_shipment(current, ORDER)) == translate.owned(current)
    moved = replace(ORDER, ship_to=replace(ORDER.ship_to, postal_code="LS2 2BB"))
    assert translate.owned(translate.updated_shipment(current, moved)) != translate.owned(current)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-09-03T14:50:25.067Z", datetime(2026, 9, 3, 14, 50, 25, 67000, tzinfo=UTC)),
        ("2026-09-03T14:50:25.0671234+01:00", datetime(2026, 9, 3, 13, 50, 25, 67123, tzinfo=UTC)),
        ("2026-09-03T14:50:25", datetime(2026, 9, 3, 14, 50, 25, tzinfo=UTC)),
        (None, None),
        ("", None),
    ],
)
def test_v2_date_times(text, expected):
    assert translate.parse_datetime(text) == expected


def test_a_ship_date_at_pacific_midnight_is_that_pacific_day():
    assert translate.pacific_date("2026-09-03T07:00:00Z") == date(2026, 9, 3)
    assert translate.pacific_date("2026-01-03T08:00:00Z") == date(2026, 1, 3)
    assert translate.pacific_date("2026-01-03") == date(2026, 1, 3)
    assert translate.to_filter(datetime(2026, 1, 3, 8, tzinfo=UTC)) == "2026-01-03T08:00:00.000000Z"
    with pytest.raises(ValueError):
        translate.to_filter(datetime(2026, 1, 3, 8))


def test_models_from_v2_records():
    ids = IdCache()
    order = translate.order_of(
        {
            "shipment_id": "se-470000001",
            "external_shipment_id": "bp-acme-gon-77",
            "shipment_number": "1001",
            "shipment_status": "label_purchased",
            "store_id": "se-518237",
            "created_at": "2026-09-03T14:50:25Z",
            "advanced_options": {"custom_field1": "3"},
        },
        ids.carried,
    )
    assert (order.order_id, order.order_status, order.store_id, order.custom_field1) == (
        470000001,
        "shipped",
        518237,
        "3",
    )
    assert [translate.STATUS_AS_V1[s] for s in ("pending", "processing", "cancelled")] == [
        "awaiting_shipment",
        "awaiting_shipment",
        "cancelled",
    ]
    label = translate.shipment_of(
        {
            "label_id": "se-271000001",
            "shipment_id": "se-470000001",
            "external_shipment_id": "bp-acme-gon-77",
            "tracking_number": "1Z9",
            "carrier_code": "ups",
            "service_code": "ups_ground",
            "status": "voided",
            "voided": True,
            "voided_at": "2026-09-04T10:00:00Z",
            "created_at": "2026-09-03T14:50:25Z",
            "ship_date": "2026-09-03T07:00:00Z",
        },
        ids.carried,
    )
    assert (label.shipment_id, label.order_id, label.order_key, label.tracking_number) == (
        271000001,
        470000001,
        "bp-acme-gon-77",
        "1Z9",
    )
    assert (
        label.voided
        and label.void_date == datetime(2026, 9, 4, 10, tzinfo=UTC)
        and label.ship_date == date(2026, 9, 3)
    )
    fulfillment = translate.fulfillment_of(
        {
            "fulfillment_id": "se-16731019",
            "shipment_id": "se-412669417",
            "shipment_number": "100044",
            "tracking_number": "383",
            "created_at": "2026-09-03T14:50:25.067Z",
            "ship_date": "2026-09-03T07:00:00Z",
            "voided": False,
            "fulfillment_carrier_friendly_name": "FedEx",
        },
        ids.carried,
    )
    assert (fulfillment.fulfillment_id, fulfillment.order_id, fulfillment.carrier_code) == (
        16731019,
        412669417,
        "FedEx",
    )


def test_ids_se_n_is_n_and_other_forms_get_a_lasting_alias(tmp_path):
    assert numeric_part("se-12345678") == 12345678 and se_id(12345678) == "se-12345678"
    assert numeric_part("se-abc-1") is None and numeric_part("12") is None
    with pytest.raises(ValueError):
        se_id(ALIAS_BASE)
    cache = IdCache(tmp_path / "state.sqlite3.shipstation-v2")
    alias = cache.carried("se-abc-1")
    assert (
        alias >= ALIAS_BASE
        and cache.carried("se-abc-1") == alias
        and cache.v2_of(alias) == "se-abc-1"
    )
    assert cache.carried("se-42") == 42 and cache.v2_of(42) == "se-42"
    cache.close()
    again = IdCache(tmp_path / "state.sqlite3.shipstation-v2")
    assert again.v2_of(alias) == "se-abc-1"
    with pytest.raises(KeyError):
        again.v2_of(alias + 1)
    again.close()


def test_the_cache_remembers_keys_privately(tmp_path):
    import os
    import stat

    path = tmp_path / "data" / "state.sqlite3.shipstation-v2"
    cache = IdCache(path)
    cache.remember_many([("k1", "se-1"), ("k2", "se-2")])
    cache.remember("k1", "se-3")
    assert (cache.shipment_of("k1"), cache.shipment_of("k2"), len(cache)) == ("se-3", "se-2", 2)
    cache.forget("k2")
    assert cache.shipment_of("k2") is None
    cache.set_fact("default_warehouse_id", "se-5")
    assert cache.fact("default_warehouse_id") == "se-5" and cache.fact("nothing") is None
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    cache.close()


def test_an_address_line_bp_tui_lacks_is_left_out_never_null_or_empty():
    sparse = Address(name="Ann Lee", street1="1 Road", country="IE")
    sent = translate.ship_to(sparse, "")
    assert sent == {
        "name": "Ann Lee",
        "company_name": None,
        "email": None,
        "address_line1": "1 Road",
        "address_line2": None,
        "address_line3": None,
        "country_code": "IE",
        "address_residential_indicator": "unknown",
    }
    body = translate.new_shipment(replace(ORDER, ship_to=sparse), warehouse_id="se-1")
    assert not [k for k in translate.ADDRESS_STRINGS if body["ship_to"].get(k, "x") in (None, "")]
    current = {
        "shipment_id": "se-5",
        "shipment_status": "pending",
        "ship_to": translate.ship_to(ORDER.ship_to, "ann@example.com"),
    }
    updated = translate.updated_shipment(current, replace(ORDER, ship_to=sparse))
    assert "phone" not in updated["ship_to"] and "state_province" not in updated["ship_to"]


@pytest.mark.parametrize(
    "label, status, live",
    [
        ({"status": "completed"}, "completed", True),
        ({}, "completed", True),  # no status (older answers): completed
        ({"status": "processing"}, "processing", False),
        ({"status": "error"}, "error", False),
        ({"status": "printed"}, "error", False),  # a status V2 does not document is never live
        ({"status": "voided", "voided": True}, "completed", False),
    ],
)
def test_a_label_is_live_only_when_completed_and_not_voided(label, status, live):
    shipment = translate.shipment_of(
        {"label_id": "se-9", "shipment_id": "se-5", **label}, numeric_part
    )
    assert (shipment.status, shipment.live) == (status, live)
