"""Goods-out note + its order -> one ShipStation order (SPEC.md, "Import").

Pure functions: no I/O. A note that cannot be mapped raises ``MappingError`` with a
sentence a warehouse person understands.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bp_tui.brightpearl.models import GoodsOutNote, Order, OrderRow, Party
from bp_tui.core.reasons import MappingCode, MappingError

PACIFIC = ZoneInfo("America/Los_Angeles")
SS_WEIGHT_UNITS = {"grams": "grams", "ounces": "ounces", "pounds": "pounds"}
MAX_ORDER_NUMBER = 50


@dataclass(frozen=True)
class MapOptions:
    account_code: str
    store_id: int = 0
    include_weights: bool = True
    weight_unit: str = "grams"


def order_key(account_code: str, gon_id: int) -> str:
    return f"bp-{account_code}-gon-{gon_id}"


def order_number(gon: GoodsOutNote) -> str:
    if gon.sequence and gon.sequence > 1:
        return f"{gon.order_id}-{gon.sequence}"
    return str(gon.order_id)


def pacific_wall_time(value: datetime | None) -> str:
    """ShipStation V1 reads dates as Pacific wall time without an offset."""
    if value is None:
        value = datetime.now(UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(PACIFIC).strftime("%Y-%m-%dT%H:%M:%S.0000000")


def check_delivery(party: Party | None) -> None:
    if party is None:
        raise MappingError(MappingCode.NO_DELIVERY, "the order has no delivery address")
    if not party.full_name.strip():
        raise MappingError(MappingCode.NO_NAME, "delivery address has no name")
    if not party.line1.strip():
        raise MappingError(MappingCode.NO_LINE1, "delivery address has no first address line")
    if not (party.country_iso2 or "").strip():
        raise MappingError(MappingCode.NO_COUNTRY, "delivery address has no country")


def address(party: Party) -> dict[str, object]:
    return {
        "name": party.full_name.strip(),
        "company": party.company or None,
        "street1": party.line1,
        "street2": party.line2 or None,
        "city": party.line3 or None,
        "state": party.line4 or None,
        "postalCode": party.postal_code or None,
        "country": (party.country_iso2 or "").strip().upper(),
        "phone": party.telephone or party.mobile or None,
    }


def map_gon(
    gon: GoodsOutNote,
    order: Order,
    options: MapOptions,
    weights: dict[int, float | None] | None = None,
    extra_rows: list[OrderRow] | tuple[OrderRow, ...] = (),
) -> dict[str, object]:
    """Build the ShipStation V1 order for ``gon``. Raises MappingError.

    ``extra_rows`` are order rows that are not on the note (non-stock items), sent with
    their ordered quantity when ``products.skip_non_stock_rows`` is false.
    """
    if gon.order_id == 0 or gon.transfer:
        raise MappingError(MappingCode.TRANSFER, "a warehouse transfer note is not a customer shipment")
    check_delivery(order.delivery)
    assert order.delivery is not None
    if not gon.rows:
        raise MappingError(MappingCode.NO_ROWS, "the goods-out note has no rows")
    items = []
    for row_id, parts in gon.rows.items():
        row = order.rows.get(row_id)
        quantity = sum(int(p.quantity) for p in parts)
        if row is None:
            raise MappingError(MappingCode.ROW_NOT_ON_ORDER, f"row {row_id} of the goods-out note is not on order {order.id}")
        if quantity <= 0:
            continue
        item: dict[str, object] = {
            "lineItemKey": str(row_id),
            "sku": row.sku or None,
            "name": row.name or row.sku or f"product {row.product_id}",
            "quantity": quantity,
            "unitPrice": float(row.unit_price) if row.unit_price is not None else 0.0,
        }
        if row.product_id is not None:
            item["productId"] = row.product_id
        if options.include_weights and weights is not None and row.product_id is not None:
            weight = weights.get(row.product_id)
            if weight:
                item["weight"] = {"value": round(float(weight), 4), "units": SS_WEIGHT_UNITS[options.weight_unit]}
        items.append(item)
    if not items:
        raise MappingError(MappingCode.NOTHING_TO_SHIP, "the goods-out note has no rows with a quantity to ship")
    for row in extra_rows:
        quantity = int(row.quantity)
        if quantity > 0:
            items.append({
                "lineItemKey": str(row.id), "sku": row.sku or None, "name": row.name or row.sku or "item",
                "quantity": quantity, "unitPrice": float(row.unit_price) if row.unit_price is not None else 0.0,
            })
    customer = order.customer
    billing = order.billing or order.customer or order.delivery
    number = order_number(gon)
    if len(number) > MAX_ORDER_NUMBER:
        raise MappingError(MappingCode.NUMBER_TOO_LONG,
                           f"order number {number[:20]}... is longer than ShipStation's {MAX_ORDER_NUMBER} characters")
    advanced: dict[str, object] = {"customField1": str(gon.warehouse_id), "source": "Brightpearl"}
    if options.store_id:
        advanced["storeId"] = options.store_id
    ss_order: dict[str, object] = {
        "orderKey": order_key(options.account_code, gon.id),
        "orderNumber": number,
        "orderDate": pacific_wall_time(order.placed_on),
        "orderStatus": "awaiting_shipment",
        "customerEmail": (customer.email if customer and customer.email else None)
        or (order.delivery.email or None),
        "shipTo": address(order.delivery),
        "billTo": address(billing) if billing.full_name.strip() else {"name": order.delivery.full_name.strip()},
        "items": items,
        "advancedOptions": advanced,
    }
    return ss_order
