"""Goods-out note + its order -> one order draft (``core.shipping.OrderDraft``), in bp-tui's
own terms; each ShipStation adapter maps the draft onto its API.

Pure functions: no I/O. A note that cannot be mapped raises ``MappingError`` with a
sentence a warehouse person understands.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC

from bp_tui.brightpearl.models import GoodsOutNote, Order, OrderRow, Party
from bp_tui.core.reasons import MappingCode, MappingError
from bp_tui.core.shipping import WEIGHT_UNITS, Address, LineItem, OrderDraft, Weight

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


def check_delivery(party: Party | None) -> None:
    if party is None:
        raise MappingError(MappingCode.NO_DELIVERY, "the order has no delivery address")
    if not party.full_name.strip():
        raise MappingError(MappingCode.NO_NAME, "delivery address has no name")
    if not party.line1.strip():
        raise MappingError(MappingCode.NO_LINE1, "delivery address has no first address line")
    if not (party.country_iso2 or "").strip():
        raise MappingError(MappingCode.NO_COUNTRY, "delivery address has no country")


def address(party: Party) -> Address:
    return Address(
        name=party.full_name.strip(),
        company=party.company or "",
        street1=party.line1 or "",
        street2=party.line2 or "",
        city=party.line3 or "",
        state=party.line4 or "",
        postal_code=party.postal_code or "",
        country=(party.country_iso2 or "").strip().upper(),
        phone=party.telephone or party.mobile or "",
    )


def _line(
    row: OrderRow,
    row_id: int,
    quantity: int,
    weight: Weight | None = None,
    fallback_name: str | None = None,
) -> LineItem:
    return LineItem(
        line_key=str(row_id),
        sku=row.sku or "",
        name=row.name or row.sku or fallback_name or f"product {row.product_id}",
        quantity=quantity,
        unit_price=float(row.unit_price) if row.unit_price is not None else 0.0,
        product_id=row.product_id,
        weight=weight,
    )


def map_gon(
    gon: GoodsOutNote,
    order: Order,
    options: MapOptions,
    weights: dict[int, float | None] | None = None,
    extra_rows: list[OrderRow] | tuple[OrderRow, ...] = (),
) -> OrderDraft:
    """The order draft for ``gon``. Raises MappingError.

    ``extra_rows`` are order rows that are not on the note (non-stock items), sent with
    their ordered quantity when ``products.skip_non_stock_rows`` is false.
    """
    if gon.order_id == 0 or gon.transfer:
        raise MappingError(
            MappingCode.TRANSFER, "a warehouse transfer note is not a customer shipment"
        )
    check_delivery(order.delivery)
    assert order.delivery is not None
    if not gon.rows:
        raise MappingError(MappingCode.NO_ROWS, "the goods-out note has no rows")
    if options.weight_unit not in WEIGHT_UNITS:
        raise ValueError(
            f"products.weight_unit {options.weight_unit!r} is not one of {WEIGHT_UNITS}"
        )
    items: list[LineItem] = []
    for row_id, parts in gon.rows.items():
        row = order.rows.get(row_id)
        quantity = sum(int(p.quantity) for p in parts)
        if row is None:
            raise MappingError(
                MappingCode.ROW_NOT_ON_ORDER,
                f"row {row_id} of the goods-out note is not on order {order.id}",
            )
        if quantity <= 0:
            continue
        weight = None
        if options.include_weights and weights is not None and row.product_id is not None:
            value = weights.get(row.product_id)
            if value:
                weight = Weight(round(float(value), 4), options.weight_unit)
        items.append(_line(row, row_id, quantity, weight))
    if not items:
        raise MappingError(
            MappingCode.NOTHING_TO_SHIP, "the goods-out note has no rows with a quantity to ship"
        )
    for row in extra_rows:
        quantity = int(row.quantity)
        if quantity > 0:
            line = _line(row, row.id, quantity, fallback_name="item")
            items.append(
                LineItem(line.line_key, line.sku, line.name, line.quantity, line.unit_price)
            )
    customer = order.customer
    billing = order.billing or order.customer or order.delivery
    number = order_number(gon)
    if len(number) > MAX_ORDER_NUMBER:
        raise MappingError(
            MappingCode.NUMBER_TOO_LONG,
            f"order number {number[:20]}... is longer than ShipStation's "
            f"{MAX_ORDER_NUMBER} characters",
        )
    placed = order.placed_on
    if placed is not None and placed.tzinfo is None:
        placed = placed.replace(tzinfo=UTC)
    return OrderDraft(
        key=order_key(options.account_code, gon.id),
        number=number,
        placed_at=None if placed is None else placed.astimezone(UTC),
        email=(customer.email if customer and customer.email else "")
        or (order.delivery.email or ""),
        ship_to=address(order.delivery),
        bill_to=address(billing),
        items=tuple(items),
        warehouse_ref=str(gon.warehouse_id),
        store_id=options.store_id or 0,
    )
