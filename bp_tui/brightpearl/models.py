"""Typed Brightpearl resources, parsed from the API's JSON.

Parsing is tolerant: missing optional fields get defaults, numbers sent as strings are
converted, dates with an offset become aware datetimes. Each class has ``from_api`` for
the JSON shape of Brightpearl's public API reference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from bp_tui.brightpearl.parsing import (
    as_bool,
    as_datetime,
    as_decimal,
    as_float,
    as_int,
    as_str,
    mapping,
)


@dataclass
class GonRowPart:
    """One location's share of an order row on a goods-out note."""

    product_id: int
    quantity: int
    location_id: int | None = None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> GonRowPart:
        return cls(
            product_id=as_int(data.get("productId"), 0) or 0,
            quantity=as_int(data.get("quantity"), 0) or 0,
            location_id=as_int(data.get("locationId")),
        )


@dataclass
class GonEvent:
    code: str  # PLA, PRI, UPR, PIC, UPI, PAC, UPA, SHW
    occurred: datetime | None
    owner_id: int | None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> GonEvent:
        return cls(
            code=as_str(data.get("eventCode")),
            occurred=as_datetime(data.get("occured") or data.get("occurred")),
            owner_id=as_int(data.get("eventOwnerId")),
        )


@dataclass
class GoodsOutNote:
    id: int
    order_id: int  # 0 for a warehouse-to-warehouse transfer
    warehouse_id: int
    printed: bool = False
    picked: bool = False
    packed: bool = False
    shipped: bool = False
    printed_on: datetime | None = None
    picked_on: datetime | None = None
    packed_on: datetime | None = None
    shipped_on: datetime | None = None
    transfer: bool = False
    target_warehouse_id: int | None = None
    priority: bool = False
    shipping_reference: str = ""
    shipping_method_id: int | None = None
    created_on: datetime | None = None
    release_date: datetime | None = None
    sequence: int = 1
    rows: dict[int, list[GonRowPart]] = field(default_factory=dict)  # order row id -> parts
    events: list[GonEvent] = field(default_factory=list)
    last_event_version: int | None = None

    def state_flag(self, import_when: str) -> bool:
        """Whether the note has reached ``import_when`` ("printed" | "picked" | "packed")."""
        return bool(getattr(self, import_when))

    @property
    def state_word(self) -> str:
        """The furthest state reached, as a word for screens."""
        for word in ("shipped", "packed", "picked", "printed"):
            if getattr(self, word):
                return word
        return "new"

    @property
    def total_quantity(self) -> int:
        return sum(part.quantity for parts in self.rows.values() for part in parts)

    def row_quantities(self) -> dict[int, int]:
        """Order row id -> quantity on this note, summed over locations."""
        return {row_id: sum(p.quantity for p in parts) for row_id, parts in self.rows.items()}

    @classmethod
    def from_api(cls, gon_id: int | str, data: dict[str, Any]) -> GoodsOutNote:
        """One value of the GON GET map; ``gon_id`` is its key."""
        status = mapping(data.get("status"))
        shipping = mapping(data.get("shipping"))
        rows: dict[int, list[GonRowPart]] = {}
        for row_id, parts in mapping(data.get("orderRows")).items():
            key = as_int(row_id)
            if key is None:
                continue
            if isinstance(parts, dict):  # tolerate a single object instead of an array
                parts = [parts]
            rows[key] = [GonRowPart.from_api(p) for p in parts or [] if isinstance(p, dict)]
        events = [GonEvent.from_api(e) for e in data.get("events") or [] if isinstance(e, dict)]
        return cls(
            id=as_int(gon_id, 0) or 0,
            order_id=as_int(data.get("orderId"), 0) or 0,
            warehouse_id=as_int(data.get("warehouseId"), 0) or 0,
            printed=as_bool(status.get("printed")),
            picked=as_bool(status.get("picked")),
            packed=as_bool(status.get("packed")),
            shipped=as_bool(status.get("shipped")),
            printed_on=as_datetime(status.get("printedOn")),
            picked_on=as_datetime(status.get("pickedOn")),
            packed_on=as_datetime(status.get("packedOn")),
            shipped_on=as_datetime(status.get("shippedOn")),
            transfer=as_bool(data.get("transfer")),
            target_warehouse_id=as_int(data.get("targetWarehouseId")),
            priority=as_bool(data.get("priority")),
            shipping_reference=as_str(shipping.get("reference")),
            shipping_method_id=as_int(shipping.get("shippingMethodId")),
            created_on=as_datetime(data.get("createdOn")),
            release_date=as_datetime(data.get("releaseDate")),
            sequence=as_int(data.get("sequence"), 1) or 1,
            rows=rows,
            events=events,
            last_event_version=as_int(data.get("lastEventVersion")),
        )


@dataclass
class GoodsOutSearchRow:
    """One row of goods-out-search, zipped with ``metaData.columns``."""

    goods_out_note_id: int
    order_id: int
    warehouse_id: int | None = None
    printed: bool = False
    picked: bool = False
    packed: bool = False
    shipped: bool = False
    created_on: datetime | None = None
    channel_id: int | None = None  # a column per third-party schemas; may be absent

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> GoodsOutSearchRow:
        """A result row already zipped with the column names."""
        return cls(
            goods_out_note_id=as_int(data.get("goodsOutNoteId"), 0) or 0,
            order_id=as_int(data.get("orderId"), 0) or 0,
            warehouse_id=as_int(data.get("warehouseId")),
            printed=as_bool(data.get("printed")),
            picked=as_bool(data.get("picked")),
            packed=as_bool(data.get("packed")),
            shipped=as_bool(data.get("shipped")),
            created_on=as_datetime(data.get("createdOn")),
            channel_id=as_int(data.get("channelId")),
        )


@dataclass
class Party:
    """A customer, delivery or billing party of an order."""

    contact_id: int | None = None
    full_name: str = ""
    company: str = ""
    line1: str = ""
    line2: str = ""
    line3: str = ""  # usually the town
    line4: str = ""  # usually county / state
    postal_code: str = ""
    country: str = ""
    country_iso2: str = ""
    telephone: str = ""
    mobile: str = ""
    email: str = ""

    @classmethod
    def from_api(cls, data: dict[str, Any] | None) -> Party | None:
        if not isinstance(data, dict):
            return None
        return cls(
            contact_id=as_int(data.get("contactId")),
            full_name=as_str(data.get("addressFullName")),
            company=as_str(data.get("companyName")),
            line1=as_str(data.get("addressLine1")),
            line2=as_str(data.get("addressLine2")),
            line3=as_str(data.get("addressLine3")),
            line4=as_str(data.get("addressLine4")),
            postal_code=as_str(data.get("postalCode")),
            country=as_str(data.get("country")),
            country_iso2=as_str(data.get("countryIsoCode")),
            telephone=as_str(data.get("telephone")),
            mobile=as_str(data.get("mobileTelephone")),
            email=as_str(data.get("email")),
        )

    @property
    def phone(self) -> str:
        return self.telephone or self.mobile


@dataclass
class OrderRow:
    id: int
    product_id: int | None
    name: str
    sku: str
    quantity: Decimal
    unit_price: Decimal | None  # productPrice.value
    currency: str = ""

    @classmethod
    def from_api(cls, row_id: int | str, data: dict[str, Any]) -> OrderRow:
        price = mapping(data.get("productPrice"))
        return cls(
            id=as_int(row_id, 0) or 0,
            product_id=as_int(data.get("productId")),
            name=as_str(data.get("productName")),
            sku=as_str(data.get("productSku")),
            quantity=as_decimal(mapping(data.get("quantity")).get("magnitude")) or Decimal(0),
            unit_price=as_decimal(price.get("value")),
            currency=as_str(price.get("currencyCode")),
        )


@dataclass
class Order:
    id: int
    order_type_code: str = "SO"
    reference: str = ""
    placed_on: datetime | None = None
    channel_id: int = 0  # assignment.current.channelId
    warehouse_id: int | None = None
    status_id: int | None = None  # orderStatus.orderStatusId
    status_name: str = ""
    shipping_status_code: str = ""  # NST / SNS / SPS / ASS
    customer: Party | None = None
    delivery: Party | None = None
    billing: Party | None = None
    rows: dict[int, OrderRow] = field(default_factory=dict)
    currency: str = ""

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Order:
        parties = mapping(data.get("parties"))
        status = mapping(data.get("orderStatus"))
        current = mapping(mapping(data.get("assignment")).get("current"))
        rows = {}
        for row_id, row in mapping(data.get("orderRows")).items():
            if isinstance(row, dict) and as_int(row_id) is not None:
                parsed = OrderRow.from_api(row_id, row)
                rows[parsed.id] = parsed
        return cls(
            id=as_int(data.get("id"), 0) or 0,
            order_type_code=as_str(data.get("orderTypeCode")) or "SO",
            reference=as_str(data.get("reference")),
            placed_on=as_datetime(data.get("placedOn")),
            channel_id=as_int(current.get("channelId"), 0) or 0,
            warehouse_id=as_int(data.get("warehouseId")),
            status_id=as_int(status.get("orderStatusId")),
            status_name=as_str(status.get("name")),
            shipping_status_code=as_str(data.get("shippingStatusCode")),
            customer=Party.from_api(parties.get("customer")),
            delivery=Party.from_api(parties.get("delivery")),
            billing=Party.from_api(parties.get("billing")),
            rows=rows,
            currency=as_str(mapping(data.get("currency")).get("orderCurrencyCode")),
        )


@dataclass
class Product:
    id: int
    sku: str = ""
    weight: float | None = None  # in the account's unit (products.weight_unit)
    stock_tracked: bool = True

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Product:
        stock = mapping(data.get("stock"))
        tracked = stock.get("stockTracked")
        return cls(
            id=as_int(data.get("id"), 0) or 0,
            sku=as_str(mapping(data.get("identity")).get("sku")),
            weight=as_float(mapping(stock.get("weight")).get("magnitude")),
            stock_tracked=True if tracked is None else as_bool(tracked),
        )


@dataclass
class Channel:
    id: int
    name: str
    warehouse_ids: list[int] = field(default_factory=list)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Channel:
        ids = [as_int(i) for i in data.get("warehouseIds") or []]
        return cls(
            id=as_int(data.get("id"), 0) or 0,
            name=as_str(data.get("name")),
            warehouse_ids=[i for i in ids if i is not None],
        )


@dataclass
class Warehouse:
    id: int
    name: str

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Warehouse:
        return cls(id=as_int(data.get("id"), 0) or 0, name=as_str(data.get("name")))


@dataclass
class StaffContact:
    """A staff member's contact (a row of ``contact-search?isStaff=true``): who may own the
    shipped event (``eventOwnerId``)."""

    id: int
    first_name: str = ""
    last_name: str = ""
    email: str = ""

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    @classmethod
    def from_search_row(cls, row: dict[str, Any]) -> StaffContact:
        """A contact-search row, zipped with ``metaData.columns`` (``contactId``, ``firstName``,
        ``lastName``, ``primaryEmail``)."""
        return cls(
            id=as_int(row.get("contactId"), 0) or 0,
            first_name=as_str(row.get("firstName")).strip(),
            last_name=as_str(row.get("lastName")).strip(),
            email=as_str(row.get("primaryEmail")).strip(),
        )


@dataclass
class ShippingMethod:
    id: int
    name: str
    code: str = ""
    carrier: str = ""

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> ShippingMethod:
        return cls(
            id=as_int(data.get("id"), 0) or 0,
            name=as_str(data.get("name")),
            code=as_str(data.get("code")),
            carrier=as_str(data.get("carrier")),
        )


@dataclass
class OrderStatus:
    id: int  # statusId in the API
    name: str
    order_type_code: str = "SO"
    visible: bool = True
    disabled: bool = False

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> OrderStatus:
        visible = data.get("visible")
        return cls(
            id=as_int(data.get("statusId"), 0) or 0,
            name=as_str(data.get("name")),
            order_type_code=as_str(data.get("orderTypeCode")) or "SO",
            visible=True if visible is None else as_bool(visible),
            disabled=as_bool(data.get("disabled")),
        )


@dataclass
class OrderNote:
    id: int
    text: str
    added_on: datetime | None = None
    is_public: bool = False

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> OrderNote:
        """A note from Order Note GET (``noteId``/``text``/``addedOn``) or a zipped
        order-note-search row (``noteId``/``noteText``/``dateAdded``)."""
        text = data.get("text")
        if text is None:
            text = data.get("noteText")
        return cls(
            id=as_int(data.get("noteId"), 0) or 0,
            text=as_str(text),
            added_on=as_datetime(data.get("addedOn") or data.get("dateAdded")),
            is_public=as_bool(data.get("isPublic")),
        )
