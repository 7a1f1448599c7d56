"""Translation between the account's records (V1 shapes) and what V2 answers and accepts.

Where the reference leaves a form open, one plausible form is used and marked "(chosen)".
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time
from typing import Any

from bp_tui.shipstation.dates import PACIFIC, parse_datetime

MAX_ID_LENGTH = 50  # external_shipment_id, shipment_number: longer values are cut, silently
# V1 orderStatus -> V2 shipment_status. V2 has no shipped/on-hold/awaiting-payment status
# (reference §4, open question 7): open orders are pending, shipped ones label_purchased (chosen,
# also for orders marked shipped without a label).
STATUS = {
    "awaiting_payment": "pending",
    "awaiting_shipment": "pending",
    "pending_fulfillment": "pending",
    "on_hold": "pending",
    "shipped": "label_purchased",
    "cancelled": "cancelled",
    "rejected_fulfillment": "cancelled",
}
WEIGHT_UNITS: dict[str | None, str] = {"ounces": "ounce", "pounds": "pound", "grams": "gram"}
WEIGHT_UNITS_V1 = {"ounce": "ounces", "pound": "pounds", "gram": "grams"}
DIMENSION_UNITS: dict[str | None, str] = {"inches": "inch", "centimeters": "centimeter"}
DIMENSION_UNITS_V1 = {v: k for k, v in DIMENSION_UNITS.items()}
# V1 carrierCode <-> V2 carrier_id of the account's connected carriers (chosen ids).
CARRIER_IDS = {"ups": "se-101", "fedex": "se-102", "stamps_com": "se-103"}
CARRIER_CODES = {v: k for k, v in CARRIER_IDS.items()}
CARRIER_NAMES = {"ups": "UPS", "fedex": "FedEx", "stamps_com": "USPS", "other": "Other"}
ADVANCED = (
    ("warehouseId", None),
    ("nonMachinable", "non_machinable"),
    ("saturdayDelivery", "saturday_delivery"),
    ("containsAlcohol", "contains_alcohol"),
    ("customField1", "custom_field1"),
    ("customField2", "custom_field2"),
    ("customField3", "custom_field3"),
    ("billToParty", "bill_to_party"),
    ("billToAccount", "bill_to_account"),
    ("billToPostalCode", "bill_to_postal_code"),
    ("billToCountryCode", "bill_to_country_code"),
)
# Keys of a POST /v2/shipments item: the published create schema (additionalProperties: false) and
# the two notes the 2026 docs add.
CREATE_KEYS = frozenset(
    {
        "validate_address",
        "external_shipment_id",
        "carrier_id",
        "create_sales_order",
        "store_id",
        "notes_from_buyer",
        "notes_for_gift",
        "is_gift",
        "zone",
        "display_scheme",
        "assigned_user",
        "shipment_status",
        "amount_paid",
        "shipping_paid",
        "tax_paid",
        "ship_to",
        "ship_from",
        "items",
        "packages",
        "notes_to_buyer",
        "internal_notes",
    }
)
# Accepted on create (chosen; the contract tests name the same three): the shipment's fields that
# the published create schema lacks but ShipStation's create guide and integrations send on
# create. ``V2Face.create_keeps_extras = False`` drops the number and custom fields instead.
CREATE_PENDING = frozenset({"shipment_number", "warehouse_id", "advanced_options"})
# PUT /v2/shipments/{id}: the shipment's writable fields; the read-only ones are refused (docs).
UPDATE_KEYS = frozenset(
    {
        "carrier_id",
        "service_code",
        "requested_shipment_service",
        "shipping_rule_id",
        "external_order_id",
        "hold_until_date",
        "ship_by_date",
        "retail_rate",
        "store_id",
        "items",
        "notes_from_buyer",
        "notes_for_gift",
        "is_gift",
        "assigned_user",
        "amount_paid",
        "shipping_paid",
        "tax_paid",
        "zone",
        "display_scheme",
        "tax_identifiers",
        "external_shipment_id",
        "shipment_number",
        "ship_date",
        "ship_to",
        "ship_from",
        "warehouse_id",
        "return_to",
        "is_return",
        "confirmation",
        "customs",
        "advanced_options",
        "insurance_provider",
        "order_source_code",
        "packages",
        "comparison_rate_type",
        "notes_to_buyer",
        "internal_notes",
    }
)
READ_ONLY = frozenset(
    {"shipment_id", "created_at", "modified_at", "shipment_status", "tags", "total_weight"}
)
# Countries whose addresses need a state or province (chosen: the US, Canada and Australia, whose
# carriers and ShipStation's address rules want it, as an abbreviation in the US).
REGION_REQUIRED = frozenset({"US", "CA", "AU"})
LABEL_STATUSES = ("processing", "completed", "error", "voided")
SHIPMENT_STATUSES = ("pending", "processing", "label_purchased", "cancelled")


def se(number: int | None) -> str | None:
    return None if number is None else f"se-{number}"


def number_of(v2_id: Any) -> int | None:
    """``n`` of ``se-<n>``, else None."""
    text = str(v2_id or "")
    return int(text[3:]) if text.startswith("se-") and text[3:].isdigit() else None


def iso(value: Any) -> str | None:
    """A V1 timestamp (Pacific wall time) as V2 writes date-times: UTC with ``Z``."""
    moment = parse_datetime(value) if value else None
    return (
        None
        if moment is None
        else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    )


def v1_time(value: Any) -> str | None:
    """A V2 date-time as the account keeps it (V1: Pacific wall time; a Pacific midnight is the
    date alone, as V1's ``holdUntilDate`` is written; chosen). Text that is no date-time is kept."""
    if not value:
        return None
    try:
        moment = parse_filter(str(value)).astimezone(PACIFIC)
    except ValueError:
        return str(value)
    if moment.time() == time(0):
        return moment.date().isoformat()
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "0"


def pacific_midnight(day: Any) -> str | None:
    """A calendar date as V2 labels and fulfillments write ``ship_date``: midnight Pacific in
    UTC."""
    if not day:
        return None
    value = day if isinstance(day, date) else date.fromisoformat(str(day)[:10])
    return datetime.combine(value, time(0), PACIFIC).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_filter(value: str) -> datetime:
    """A date-time filter or field: ISO 8601 with ``Z`` or an offset (V2's pattern); raises
    ValueError."""
    text = value.strip()
    if not text.endswith(("Z", "z")) and not (
        len(text) > 6 and text[-6] in "+-" and text[-3] == ":"
    ):
        raise ValueError("a date-time needs a time zone offset (Z or +hh:mm)")
    parsed = parse_datetime(text)
    assert parsed is not None
    return parsed


def money(amount: Any) -> dict | None:
    return None if amount is None else {"currency": "usd", "amount": float(amount)}


def amount(value: Any) -> float | None:
    return (
        float(value["amount"])
        if isinstance(value, dict) and value.get("amount") is not None
        else None
    )


# ---- records -> V2 answers

# Address lines the published ``address`` types as strings, never null: left out when empty.
ADDRESS_STRINGS = (
    "name",
    "phone",
    "address_line1",
    "city_locality",
    "state_province",
    "postal_code",
    "country_code",
)
ADDRESS_NEEDED = ("name", "address_line1", "country_code")  # the lines no shipment goes without


def ship_to_view(address: dict, email: Any) -> dict:
    """A V2 address: the nullable lines as null when empty, the others left out (chosen)."""
    residential = address.get("residential")
    view = {
        "name": address.get("name"),
        "phone": address.get("phone"),
        "email": email or None,
        "company_name": address.get("company") or None,
        "address_line1": address.get("street1"),
        "address_line2": address.get("street2") or None,
        "address_line3": address.get("street3") or None,
        "city_locality": address.get("city"),
        "state_province": address.get("state"),
        "postal_code": address.get("postalCode"),
        "country_code": address.get("country"),
        "address_residential_indicator": "unknown"
        if residential is None
        else ("yes" if residential else "no"),
    }
    return {k: v for k, v in view.items() if k not in ADDRESS_STRINGS or v not in (None, "")}


def item_view(item: dict) -> dict:
    weight = item.get("weight") or None
    return {
        "sales_order_id": None,
        "sales_order_item_id": f"se-{item['orderItemId']}",
        "external_order_item_id": item.get("lineItemKey"),
        "sku": item.get("sku"),
        "name": item.get("name"),
        "quantity": item["quantity"],
        "unit_price": item.get("unitPrice"),
        "tax_amount": item.get("taxAmount"),
        "shipping_amount": item.get("shippingAmount"),
        "image_url": item.get("imageUrl"),
        "inventory_location": item.get("warehouseLocation"),
        "upc": item.get("upc"),
        "fullfilment_sku": item.get("fulfillmentSku"),
        "options": item.get("options") or [],
        **(
            {}
            if not weight
            else {
                "weight": {
                    "value": weight.get("value"),
                    "unit": WEIGHT_UNITS.get(weight.get("units"), "ounce"),
                }
            }
        ),
    }


def package_view(order: dict) -> dict:
    weight = order.get("weight") or None
    dims = order.get("dimensions") or None
    return {
        "package_code": order.get("packageCode") or "package",
        "weight": {
            "value": weight.get("value") if weight else 0,
            "unit": WEIGHT_UNITS.get((weight or {}).get("units"), "ounce"),
        },
        **(
            {}
            if not dims
            else {
                "dimensions": {
                    "unit": DIMENSION_UNITS.get(dims.get("units"), "inch"),
                    "length": dims.get("length"),
                    "width": dims.get("width"),
                    "height": dims.get("height"),
                }
            }
        ),
    }


def shipment_view(order: dict, *, extra: dict, warehouses: dict[int, dict]) -> dict:
    """A V2 shipment (``GET /v2/shipments/{id}``) of an account order; ``extra`` holds what only
    V2 keeps for it (more packages, a custom ship-from). An order made without a warehouse or a
    ship-from (through V1) ships from the default warehouse (chosen: the published shipment
    requires ``ship_from`` and ``return_to``). Money not known is left out, never null."""
    adv = order["advancedOptions"]
    warehouse = (
        warehouses.get(adv.get("warehouseId")) if adv.get("warehouseId") is not None else None
    )
    default = next((w for w in warehouses.values() if w.get("is_default")), None)
    packages = [package_view(order), *extra.get("more_packages", [])]
    total = sum(float((p.get("weight") or {}).get("value") or 0) for p in packages)
    return {
        "shipment_id": se(order["orderId"]),
        "carrier_id": CARRIER_IDS.get(order.get("carrierCode") or ""),
        "service_code": order.get("serviceCode"),
        "external_shipment_id": order.get("orderKey"),
        "shipment_number": order.get("orderNumber"),
        "ship_date": pacific_midnight(order.get("shipDate")),
        "created_at": iso(order.get("createDate")),
        "modified_at": iso(order.get("modifyDate")),
        "shipment_status": STATUS.get(order["orderStatus"], "pending"),
        "ship_to": ship_to_view(order.get("shipTo") or {}, order.get("customerEmail")),
        "ship_from": extra.get("ship_from") or (warehouse or default or {}).get("origin_address"),
        "warehouse_id": se(adv.get("warehouseId")),
        "return_to": (warehouse or default or {}).get("return_address") or extra.get("ship_from"),
        "confirmation": order.get("confirmation") or "none",
        "advanced_options": {v2: adv.get(v1) for v1, v2 in ADVANCED if v2},
        "requested_shipment_service": order.get("requestedShippingService"),
        "notes_from_buyer": order.get("customerNotes"),
        "notes_for_gift": order.get("giftMessage"),
        "is_gift": bool(order.get("gift")),
        "internal_notes": order.get("internalNotes"),
        "hold_until_date": iso(order.get("holdUntilDate")),
        "ship_by_date": iso(order.get("shipByDate")),
        **{
            k: money(v)
            for k, v in (
                ("amount_paid", order.get("amountPaid")),
                ("shipping_paid", order.get("shippingAmount")),
                ("tax_paid", order.get("taxAmount")),
            )
            if v is not None
        },
        "insurance_provider": "none",  # required; bp-tui never insures (chosen)
        **(
            {"store_id": se(adv["storeId"])} if adv.get("storeId") is not None else {}
        ),  # not nullable
        "tags": [{"name": f"tag-{t}"} for t in order.get("tagIds") or []],
        "packages": packages,
        "total_weight": {"value": round(total, 4), "unit": packages[0]["weight"]["unit"]},
        "items": [item_view(i) for i in order.get("items") or []],
    }


def label_view(record: dict, *, order: dict | None = None) -> dict:
    """A V2 label (``GET /v2/labels``) of an account shipment record, in the published form: no
    ``batch_id`` outside a batch, no write-only key (``outbound_label_id``), packages with the
    order's weight. ``status`` is the record's ``v2_status`` (``processing``, ``error``: test
    hooks) else ``completed``; ``voided`` once voided."""
    voided = bool(record.get("voided"))
    label_id = se(record["shipmentId"])
    weight = record.get("weight") or (order or {}).get("weight") or None
    status = "voided" if voided else str(record.get("v2_status") or "completed")
    view = {
        "label_id": label_id,
        "status": status,
        "shipment_id": se(record["orderId"]),
        "external_shipment_id": record.get("orderKey"),
        "external_order_id": None,
        "ship_date": pacific_midnight(record.get("shipDate")),
        "created_at": iso(record.get("createDate")),
        "shipment_cost": money(record.get("shipmentCost") or 0),
        "insurance_cost": money(record.get("insuranceCost") or 0),
        "is_return_label": bool(record.get("isReturnLabel")),
        "rma_number": None,
        "is_international": False,
        "carrier_id": CARRIER_IDS.get(record.get("carrierCode") or ""),
        "carrier_code": record.get("carrierCode"),
        "service_code": record.get("serviceCode"),
        "package_code": record.get("packageCode") or "package",
        "voided": voided,
        "voided_at": iso(record.get("voidDate")) if voided else None,
        "label_format": "pdf",
        "label_layout": "4x6",
        "trackable": status != "error",
        "tracking_status": "error" if status == "error" else "in_transit",
        "tracking_url": None,
        "label_download": {
            "href": f"https://api.shipstation.sandbox/v2/downloads/labels/{label_id}.pdf"
        },
        "packages": [
            {
                "package_id": 1,
                "package_code": record.get("packageCode") or "package",
                "weight": {
                    "value": (weight or {}).get("value") or 0,
                    "unit": WEIGHT_UNITS.get((weight or {}).get("units"), "ounce"),
                },
                **(
                    {"tracking_number": record["trackingNumber"]}
                    if record.get("trackingNumber")
                    else {}
                ),
            }
        ],
        "ship_to": ship_to_view(record.get("shipTo") or (order or {}).get("shipTo") or {}, None),
    }
    if record.get("trackingNumber") and status not in ("processing", "error"):
        view["tracking_number"] = record[
            "trackingNumber"
        ]  # minLength 1: left out until there is one
    return {k: v for k, v in view.items() if v is not None or k in LABEL_NULLABLE}


LABEL_NULLABLE = (
    "external_shipment_id",
    "external_order_id",
    "rma_number",
    "voided_at",
    "tracking_url",
)


def fulfillment_view(record: dict) -> dict:
    """A V2 fulfillment (``GET /v2/fulfillments``) of an account fulfillment record. No
    ``carrier_code`` on it: the carrier as typed in ShipStation, by name."""
    code = record.get("carrierCode") or ""
    return {
        "fulfillment_id": se(record["fulfillmentId"]),
        "shipment_id": se(record["orderId"]),
        "shipment_number": record.get("orderNumber"),
        "user_id": record.get("userId"),
        "tracking_number": record.get("trackingNumber"),
        "created_at": iso(record.get("createDate")),
        "ship_date": pacific_midnight((record.get("shipDate") or "")[:10]),
        "voided_at": iso(record.get("voidDate")),
        "delivered_at": None,
        "fulfillment_carrier_friendly_name": CARRIER_NAMES.get(code, code),
        "fulfillment_provider_code": "external",
        "fulfillment_service_code": "ext",
        "fulfillment_fee": {"currency": "usd", "amount": 0.0},
        "void_requested": bool(record.get("voidRequested")),
        "voided": bool(record.get("voided")),
        "order_source_notified": bool(record.get("marketplaceNotified")),
        "notification_error_message": None,
        "ship_to": ship_to_view(record.get("shipTo") or {}, record.get("customerEmail")),
    }


# ---- V2 bodies -> the account's V1 fields


def v1_address(ship_to: dict) -> dict:
    indicator = ship_to.get("address_residential_indicator")
    return {
        "name": ship_to.get("name"),
        "company": ship_to.get("company_name"),
        "street1": ship_to.get("address_line1"),
        "street2": ship_to.get("address_line2"),
        "street3": ship_to.get("address_line3"),
        "city": ship_to.get("city_locality"),
        "state": ship_to.get("state_province"),
        "postalCode": ship_to.get("postal_code"),
        "country": ship_to.get("country_code"),
        "phone": ship_to.get("phone"),
        "residential": {"yes": True, "no": False}.get(str(indicator)),
    }


def v1_item(item: dict) -> dict:
    weight = item.get("weight") or None
    return {
        "lineItemKey": item.get("external_order_item_id"),
        "sku": item.get("sku"),
        "name": item.get("name"),
        "quantity": item.get("quantity", 1),
        "unitPrice": item.get("unit_price"),
        "taxAmount": amount(item.get("tax_amount"))
        if isinstance(item.get("tax_amount"), dict)
        else item.get("tax_amount"),
        "shippingAmount": amount(item.get("shipping_amount"))
        if isinstance(item.get("shipping_amount"), dict)
        else item.get("shipping_amount"),
        "imageUrl": item.get("image_url"),
        "warehouseLocation": item.get("inventory_location"),
        "upc": item.get("upc"),
        "fulfillmentSku": item.get("fullfilment_sku"),
        "options": item.get("options") or [],
        "weight": None
        if not isinstance(weight, dict)
        else {
            "value": weight.get("value"),
            "units": WEIGHT_UNITS_V1.get(str(weight.get("unit")), "ounces"),
        },
    }


def v1_package_fields(packages: list) -> dict:
    first = packages[0] if packages and isinstance(packages[0], dict) else {}
    weight = first.get("weight") if isinstance(first.get("weight"), dict) else None
    dims = first.get("dimensions") if isinstance(first.get("dimensions"), dict) else None
    return {
        "packageCode": first.get("package_code"),
        "weight": None
        if weight is None
        else {
            "value": weight.get("value"),
            "units": WEIGHT_UNITS_V1.get(str(weight.get("unit")), "ounces"),
        },
        "dimensions": None
        if dims is None
        else {
            "units": DIMENSION_UNITS_V1.get(str(dims.get("unit")), "inches"),
            "length": dims.get("length"),
            "width": dims.get("width"),
            "height": dims.get("height"),
        },
    }


def page(records: list[dict], *, key: str, page_no: int, size: int, base: str) -> dict:
    # (chosen) an empty list says 1 page (of none): the shipments list's schema says pages >= 1,
    # the other lists' allow 0; 1 holds for all. The client reads 0 as well.
    pages = max(1, math.ceil(len(records) / size))
    start = (page_no - 1) * size

    def link(n: int) -> dict:
        return {"href": f"{base}?page={n}&page_size={size}"}

    return {
        key: records[start : start + size],
        "total": len(records),
        "page": page_no,
        "pages": pages,
        "links": {
            "first": link(1),
            "last": link(max(1, pages)),
            "prev": link(page_no - 1) if page_no > 1 else {},
            "next": link(page_no + 1) if page_no < pages else {},
        },
    }
