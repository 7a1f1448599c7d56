"""bp-tui's order drafts as ShipStation V1 orders (``POST /orders/createorders`` bodies).

V1 has one write for orders, the upsert by ``orderKey``: a create, an update and a cancel are
all that call. An update replaces the whole order, so it is the order as ShipStation holds it
(read first) with bp-tui's own fields changed: everything else (service, carrier, package,
weight, dimensions, notes, tags, hold date, insurance, custom fields 2-3) is what a ShipStation
user set, and is sent back as it is. Dates are Pacific wall time without an offset.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from bp_tui.core.shipping import Address, LineItem, OrderDraft
from bp_tui.shipstation.dates import PACIFIC
from bp_tui.shipstation.models import Order

OWNED_FIELDS = ("shipTo", "billTo", "items", "customerEmail", "orderNumber", "orderDate")
OWNED_ADVANCED = ("customField1", "source", "storeId")
READ_ONLY_FIELDS = (
    "createDate",
    "modifyDate",
    "customerId",
    "orderTotal",
    "userId",
    "externallyFulfilled",
    "externallyFulfilledBy",
    "externallyFulfilledById",
    "externallyFulfilledByName",
    "labelMessages",
)


def wall_time(value: datetime | None) -> str:
    """V1 reads order dates as Pacific wall time without an offset; None is now."""
    if value is None:
        value = datetime.now(UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(PACIFIC).strftime("%Y-%m-%dT%H:%M:%S.0000000")


def address(party: Address) -> dict[str, Any]:
    return {
        "name": party.name,
        "company": party.company or None,
        "street1": party.street1,
        "street2": party.street2 or None,
        "city": party.city or None,
        "state": party.state or None,
        "postalCode": party.postal_code or None,
        "country": party.country,
        "phone": party.phone or None,
    }


def item(line: LineItem) -> dict[str, Any]:
    out: dict[str, Any] = {
        "lineItemKey": line.line_key,
        "sku": line.sku or None,
        "name": line.name,
        "quantity": line.quantity,
        "unitPrice": line.unit_price,
    }
    if line.product_id is not None:
        out["productId"] = line.product_id
    if line.weight is not None:
        out["weight"] = {"value": line.weight.value, "units": line.weight.unit}
    return out


def order_body(draft: OrderDraft) -> dict[str, Any]:
    """The createorders entry that creates the note's order."""
    advanced: dict[str, Any] = {"customField1": draft.warehouse_ref, "source": draft.source}
    if draft.store_id:
        advanced["storeId"] = draft.store_id
    bill_to = address(draft.bill_to) if draft.bill_to.name.strip() else {"name": draft.ship_to.name}
    return {
        "orderKey": draft.key,
        "orderNumber": draft.number,
        "orderDate": wall_time(draft.placed_at),
        "orderStatus": "awaiting_shipment",
        "customerEmail": draft.email or None,
        "shipTo": address(draft.ship_to),
        "billTo": bill_to,
        "items": [item(line) for line in draft.items],
        "advancedOptions": advanced,
    }


def as_sent_back(current: dict[str, Any]) -> dict[str, Any]:
    """A V1 order as read, ready to be sent back whole: read-only keys dropped."""
    return {k: copy.deepcopy(v) for k, v in current.items() if k not in READ_ONLY_FIELDS}


def update_body(current: Order, draft: OrderDraft) -> dict[str, Any]:
    """The order ShipStation holds (``current``, as read) with bp-tui's fields from ``draft``."""
    ours = order_body(draft)
    body = as_sent_back(current.raw)
    for key in OWNED_FIELDS:
        body[key] = copy.deepcopy(ours[key])
    advanced = dict(body.get("advancedOptions") or {})
    for key in OWNED_ADVANCED:
        if key in ours["advancedOptions"]:
            advanced[key] = ours["advancedOptions"][key]
    body["advancedOptions"] = advanced
    body["orderKey"] = draft.key
    body["orderId"] = current.order_id
    return body


def cancel_body(current: Order) -> dict[str, Any]:
    """The order as read, sent back with ``orderStatus: cancelled``."""
    return {
        **as_sent_back(current.raw),
        "orderKey": current.order_key,
        "orderNumber": current.order_number,
        "orderStatus": "cancelled",
        "orderId": current.order_id,
    }
