"""Typed Brightpearl resources, parsed from the API's JSON.

Parsing is tolerant: missing optional fields get defaults, numbers sent as strings are
converted, dates with an offset become aware datetimes. Each class has ``from_api`` for
the JSON shape of the reference (../shared/reference/brightpearl.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass
class GonRowPart:
    """One location's share of an order row on a goods-out note."""

    product_id: int
    quantity: int
    location_id: int | None = None


@dataclass
class GonEvent:
    code: str  # PLA, PRI, UPR, PIC, UPI, PAC, UPA, SHW
    occurred: datetime | None
    owner_id: int | None


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


@dataclass
class OrderRow:
    id: int
    product_id: int | None
    name: str
    sku: str
    quantity: Decimal
    unit_price: Decimal | None  # productPrice.value
    currency: str = ""


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


@dataclass
class Product:
    id: int
    sku: str = ""
    weight: float | None = None  # in the account's unit (products.weight_unit)
    stock_tracked: bool = True


@dataclass
class Channel:
    id: int
    name: str
    warehouse_ids: list[int] = field(default_factory=list)


@dataclass
class Warehouse:
    id: int
    name: str


@dataclass
class ShippingMethod:
    id: int
    name: str
    code: str = ""
    carrier: str = ""


@dataclass
class OrderStatus:
    id: int  # statusId in the API
    name: str
    order_type_code: str = "SO"
    visible: bool = True
    disabled: bool = False


@dataclass
class OrderNote:
    id: int
    text: str
    added_on: datetime | None = None
    is_public: bool = False
