"""bp-tui's order drafts as V2 shipments, and V2's shipments, labels and fulfillments as the
port's models. Pure functions, no I/O.

What bp-tui owns on a V2 shipment (and changes on update; everything else a ShipStation user
set is kept): ``shipment_number``; in ``ship_to`` the name, company, phone, e-mail and address
lines; ``items``; ``advanced_options.custom_field1`` (the Brightpearl warehouse). Set on create
only: ``external_shipment_id``, ``store_id``, the ship-from warehouse, one package with the total
item weight, ``create_sales_order: true``, ``shipment_status: "pending"``.

Not carried, because V2 has no field for them (docs/shipstation-v2.md): the order date,
the billing address, the source and the items' product id (a V1 product id, not V2's).
"""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any

from bp_tui.core.shipping import Address, LineItem, OrderDraft
from bp_tui.shipstation.dates import PACIFIC
from bp_tui.shipstation.models import Fulfillment, Order, Shipment

MAX_ID_LENGTH = 50  # external_shipment_id and shipment_number; V2 cuts longer ones silently

# V2 shipment_status -> the V1 orderStatus word the engine reads (V2 has no "shipped"; an order
# with a label, or marked shipped, is label_purchased: chosen, see the sandbox).
STATUS_AS_V1 = {
    "pending": "awaiting_shipment",
    "processing": "awaiting_shipment",
    "label_purchased": "shipped",
    "cancelled": "cancelled",
}
UNITS = {
    "grams": "gram",
    "ounces": "ounce",
    "pounds": "pound",
    "gram": "gram",
    "ounce": "ounce",
    "pound": "pound",
    "kilogram": "kilogram",
}
SHIP_TO_OWNED = (
    "name",
    "company_name",
    "phone",
    "email",
    "address_line1",
    "address_line2",
    "address_line3",
    "city_locality",
    "state_province",
    "postal_code",
    "country_code",
)
ITEM_OWNED = ("external_order_item_id", "sku", "name", "quantity", "unit_price", "weight")
# Keys of a GET answer that a PUT must not send back (read-only, or answers about the request).
READ_ONLY = (
    "shipment_id",
    "created_at",
    "modified_at",
    "shipment_status",
    "tags",
    "total_weight",
    "batch_ids",
    "label_id",
    "tracking_number",
    "label_download",
    "form_download",
    "insurance_claim",
    "errors",
    "address_validation",
    "has_errors",
)


# ---- order draft -> V2 shipment

# V2's address types these as strings (never null, never ""): an empty one is left out. The
# others (company, second and third lines, e-mail) are nullable and sent as null when empty.
# Countries whose addresses V2 refuses without a state or province (ShipStation's address
# validation; the V2 reference marks state_province required): such an order fails alone, unsent.
REGION_REQUIRED = frozenset({"US", "CA", "AU"})
ADDRESS_STRINGS = (
    "name",
    "phone",
    "address_line1",
    "city_locality",
    "state_province",
    "postal_code",
    "country_code",
)


def ship_to(address: Address, email: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": address.name,
        "company_name": address.company or None,
        "phone": address.phone,
        "email": email or None,
        "address_line1": address.street1,
        "address_line2": address.street2 or None,
        "address_line3": None,
        "city_locality": address.city,
        "state_province": address.state,
        "postal_code": address.postal_code,
        "country_code": address.country,
        "address_residential_indicator": "unknown",
    }
    return {
        k: (str(v) if k in ADDRESS_STRINGS else v)
        for k, v in out.items()
        if k not in ADDRESS_STRINGS or v not in (None, "")
    }


def missing_region(draft: OrderDraft) -> str | None:
    """Why V2 would refuse the draft's address for want of a state or province, or None."""
    country = draft.ship_to.country.upper()
    if country in REGION_REQUIRED and not draft.ship_to.state.strip():
        return (
            f"the delivery address in {country} has no state or province, "
            "which ShipStation needs there: "
            "add it to the order's delivery address in Brightpearl (the fourth address line)"
        )
    return None


def item(line: LineItem) -> dict[str, Any]:
    out: dict[str, Any] = {
        "external_order_item_id": line.line_key,
        "sku": line.sku or None,
        "name": line.name,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
    }
    if line.weight is not None:
        out["weight"] = {"value": line.weight.value, "unit": UNITS.get(line.weight.unit, "ounce")}
    return out


def package(items: list[dict[str, Any]]) -> dict[str, Any]:
    """One package weighing what the items weigh (0 when no item has a weight: the packer
    weighs it, as in V1)."""
    weighted = [i for i in items if isinstance(i.get("weight"), dict)]
    unit = weighted[0]["weight"]["unit"] if weighted else "ounce"
    total = sum(
        float(i["weight"]["value"]) * int(i.get("quantity") or 0)
        for i in weighted
        if i["weight"]["unit"] == unit
    )
    return {"package_code": "package", "weight": {"value": round(total, 4), "unit": unit}}


def new_shipment(draft: OrderDraft, *, warehouse_id: str | None) -> dict[str, Any]:
    """The ``POST /v2/shipments`` item for an order draft."""
    items = [item(line) for line in draft.items]
    body: dict[str, Any] = {
        "external_shipment_id": draft.key,
        "shipment_number": draft.number,
        "create_sales_order": True,
        "shipment_status": "pending",
        "ship_to": ship_to(draft.ship_to, draft.email),
        "items": items,
        "packages": [package(items)],
        "advanced_options": {"custom_field1": draft.warehouse_ref},
    }
    if draft.store_id:
        body["store_id"] = f"se-{int(draft.store_id)}"
    if warehouse_id:
        body["warehouse_id"] = warehouse_id
    return body


def updated_shipment(current: dict[str, Any], draft: OrderDraft) -> dict[str, Any]:
    """The ``PUT /v2/shipments/{id}`` body: the whole shipment as read, with bp-tui's fields
    changed and the read-only keys left out; ship-from as ``warehouse_id`` when it has one,
    else as ``ship_from`` (never both)."""
    wanted = new_shipment(draft, warehouse_id=None)
    body = {k: copy.deepcopy(v) for k, v in current.items() if k not in READ_ONLY}
    body["shipment_number"] = wanted["shipment_number"]
    address = dict(body.get("ship_to") or {})
    for k in SHIP_TO_OWNED:  # a line bp-tui no longer has is left out (V2 refuses null for it)
        if k in wanted["ship_to"]:
            address[k] = wanted["ship_to"][k]
        else:
            address.pop(k, None)
    body["ship_to"] = address
    body["items"] = wanted["items"]
    options = dict(body.get("advanced_options") or {})
    options["custom_field1"] = wanted["advanced_options"]["custom_field1"]
    body["advanced_options"] = options
    if body.get("warehouse_id"):
        body.pop("ship_from", None)
    else:
        body.pop("warehouse_id", None)
    return body


def owned(shipment: dict[str, Any]) -> tuple[Any, ...]:
    """What bp-tui owns on a shipment, to tell whether an update would change anything."""
    address = shipment.get("ship_to") or {}
    items = [
        tuple(_same(i.get(k)) for k in ITEM_OWNED)
        for i in shipment.get("items") or []
        if isinstance(i, dict)
    ]
    options = shipment.get("advanced_options") or {}
    return (
        shipment.get("shipment_number"),
        tuple(_same(address.get(k)) for k in SHIP_TO_OWNED),
        tuple(items),
        options.get("custom_field1"),
    )


def _same(value: Any) -> Any:
    """Comparable form: "" and None alike, numbers as floats, weights by value and unit."""
    if value in ("", None):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dict):
        return tuple(sorted((k, _same(v)) for k, v in value.items()))
    return str(value)


# ---- V2 answers -> the port's models


def parse_datetime(value: Any) -> datetime | None:
    """A V2 date-time (ISO 8601 with ``Z`` or an offset) as aware UTC; an offset-less one is
    read as UTC (chosen: V2's pattern requires an offset)."""
    if value in (None, ""):
        return None
    text = str(value).strip().replace(" ", "T", 1)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    head, dot, rest = text.partition(".")
    if dot:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = f"{head}.{rest[:digits][:6].ljust(6, '0')}{rest[digits:]}"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def pacific_date(value: Any) -> date | None:
    """The calendar date a V2 ``ship_date`` names: labels and fulfillments say midnight Pacific
    in UTC (``...T07:00:00Z``), so the date is taken in Pacific time."""
    if value in (None, ""):
        return None
    if len(str(value).strip()) == 10:
        return date.fromisoformat(str(value).strip())
    moment = parse_datetime(value)
    return moment.astimezone(PACIFIC).date() if moment else None


def to_filter(value: datetime) -> str:
    """A date-time filter value: UTC with ``Z`` (V2 requires an offset)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given; pass an aware datetime (UTC)")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def order_of(shipment: dict[str, Any], carried: Any) -> Order:
    """A V2 shipment as the port's ``Order`` (``carried`` maps a V2 id to the stored integer)."""
    options = shipment.get("advanced_options") or {}
    store = shipment.get("store_id")
    status = str(shipment.get("shipment_status") or "")
    return Order(
        order_id=carried(str(shipment["shipment_id"])),
        order_key=str(shipment.get("external_shipment_id") or ""),
        order_number=str(shipment.get("shipment_number") or ""),
        order_status=STATUS_AS_V1.get(status, status),
        store_id=carried(str(store)) if store else None,
        create_date=parse_datetime(shipment.get("created_at")),
        modify_date=parse_datetime(shipment.get("modified_at")),
        custom_field1=None
        if options.get("custom_field1") is None
        else str(options["custom_field1"]),
        raw=shipment,
    )


def shipment_of(label: dict[str, Any], carried: Any) -> Shipment:
    """A V2 label as the port's ``Shipment`` (V1 called labels shipments)."""
    return Shipment(
        shipment_id=carried(str(label["label_id"])),
        order_id=carried(str(label["shipment_id"])) if label.get("shipment_id") else None,
        order_key=None
        if label.get("external_shipment_id") is None
        else str(label["external_shipment_id"]),
        order_number=None,  # labels do not carry the shipment number
        create_date=parse_datetime(label.get("created_at")),
        ship_date=pacific_date(label.get("ship_date")),
        tracking_number=str(label.get("tracking_number") or ""),
        carrier_code=None if label.get("carrier_code") is None else str(label["carrier_code"]),
        service_code=None if label.get("service_code") is None else str(label["service_code"]),
        voided=bool(label.get("voided")) or label.get("status") == "voided",
        void_date=parse_datetime(label.get("voided_at")),
        store_id=None,
        items=[],
        is_return_label=bool(label.get("is_return_label")),
        status=label_status(label),
    )


def label_status(label: dict[str, Any]) -> str:
    """The port's label status: ``completed``, ``processing`` or ``error`` (``voided`` is the
    ``voided`` flag). A label without a status reads as completed (chosen: V1 and older answers
    have none); one in a status V2 does not document reads as ``error``, never as live."""
    status = label.get("status")
    if status in (None, "", "completed", "voided"):
        return "completed"
    return str(status) if status in ("processing", "error") else "error"


def fulfillment_of(record: dict[str, Any], carried: Any) -> Fulfillment:
    """A V2 fulfillment as the port's ``Fulfillment``. V2 has no ``carrier_code`` on it: the
    carrier's name as typed or chosen in ShipStation stands in."""
    carrier = record.get("fulfillment_carrier_friendly_name") or record.get(
        "fulfillment_provider_code"
    )
    return Fulfillment(
        fulfillment_id=carried(str(record["fulfillment_id"])),
        order_id=carried(str(record["shipment_id"])) if record.get("shipment_id") else None,
        order_number=None
        if record.get("shipment_number") is None
        else str(record["shipment_number"]),
        create_date=parse_datetime(record.get("created_at")),
        ship_date=parse_datetime(record.get("ship_date")),
        tracking_number=str(record.get("tracking_number") or ""),
        carrier_code=None if carrier is None else str(carrier),
        voided=bool(record.get("voided")),
        void_date=parse_datetime(record.get("voided_at")),
    )
