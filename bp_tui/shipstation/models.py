"""Typed ShipStation V1 resources.

Dates arrive in Pacific time without an offset (7 fractional digits) or date-only; they
are converted to aware UTC datetimes here, so nothing above this layer sees Pacific time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bp_tui.core.shipping import OrderDraft, SendResult
from bp_tui.shipstation.dates import parse_date, parse_datetime


def _int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    return int(value)


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _store_id(data: dict[str, Any]) -> int | None:
    options = data.get("advancedOptions") or {}
    return _int(options.get("storeId")) if isinstance(options, dict) else None


@dataclass
class CreateOrderResult(SendResult):
    """A ``SendResult`` read from V1's createorders answer."""

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> CreateOrderResult:
        """One ``results[]`` entry of ``POST /orders/createorders``."""
        return cls(
            order_key=str(data.get("orderKey") or ""),
            order_id=_int(data.get("orderId")),
            order_number=str(data.get("orderNumber") or ""),
            success=bool(data.get("success")),
            error_message=_str(data.get("errorMessage")),
        )


@dataclass
class ShipmentItem:
    line_item_key: str | None
    sku: str | None
    name: str | None
    quantity: int

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> ShipmentItem:
        return cls(
            line_item_key=_str(data.get("lineItemKey")),
            sku=_str(data.get("sku")),
            name=_str(data.get("name")),
            quantity=int(data.get("quantity") or 0),
        )


@dataclass
class Order:
    order_id: int
    order_key: str
    order_number: str
    order_status: str
    store_id: int | None = None
    create_date: datetime | None = None
    modify_date: datetime | None = None
    custom_field1: str | None = None
    parent_id: int | None = None  # a part of a split order: the original order's id
    merged_ids: list[int] = field(
        default_factory=list
    )  # orders merged into this one (they are gone)
    merged_or_split: bool = False
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Order:
        options = data.get("advancedOptions") or {}
        if not isinstance(options, dict):
            options = {}
        return cls(
            order_id=int(data["orderId"]),
            order_key=str(data.get("orderKey") or ""),
            order_number=str(data.get("orderNumber") or ""),
            order_status=str(data.get("orderStatus") or ""),
            store_id=_store_id(data),
            create_date=parse_datetime(data.get("createDate")),
            modify_date=parse_datetime(data.get("modifyDate")),
            custom_field1=_str(options.get("customField1")),
            parent_id=_int(options.get("parentId")),
            merged_ids=[int(i) for i in options.get("mergedIds") or [] if i is not None],
            merged_or_split=bool(options.get("mergedOrSplit")),
            raw=data,
        )


@dataclass
class OrderUpdate:
    """An order the platform holds, as just read (``order``), to be changed to ``draft``."""

    order: Order
    draft: OrderDraft


@dataclass
class Shipment:
    shipment_id: int
    order_id: int | None
    order_key: str | None
    order_number: str | None
    create_date: datetime | None  # aware UTC
    ship_date: date | None
    tracking_number: str
    carrier_code: str | None
    service_code: str | None
    voided: bool = False
    void_date: datetime | None = None
    store_id: int | None = None
    items: list[ShipmentItem] = field(default_factory=list)
    is_return_label: bool = False  # a label for goods coming back: never a shipment of the order
    # The label's state where the API has one (V2): "completed" (live, unless voided), "processing"
    # (being made; no label yet) or "error" (could not be made). V1 labels are all completed.
    status: str = "completed"

    @property
    def live(self) -> bool:
        """A label that ships the goods: completed, not voided."""
        return self.status == "completed" and not self.voided

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Shipment:
        items = data.get("shipmentItems") or []
        return cls(
            shipment_id=int(data["shipmentId"]),
            order_id=_int(data.get("orderId")),
            order_key=_str(data.get("orderKey")),
            order_number=_str(data.get("orderNumber")),
            create_date=parse_datetime(data.get("createDate")),
            ship_date=parse_date(data.get("shipDate")),
            tracking_number=str(data.get("trackingNumber") or ""),
            carrier_code=_str(data.get("carrierCode")),
            service_code=_str(data.get("serviceCode")),
            voided=bool(data.get("voided")),
            void_date=parse_datetime(data.get("voidDate")),
            store_id=_store_id(data),
            items=[ShipmentItem.from_api(item) for item in items if item],
            is_return_label=bool(data.get("isReturnLabel")),
        )


@dataclass
class Fulfillment:
    fulfillment_id: int
    order_id: int | None
    order_number: str | None
    create_date: datetime | None  # aware UTC
    ship_date: datetime | None  # aware UTC
    tracking_number: str
    carrier_code: str | None
    voided: bool = False
    void_date: datetime | None = None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Fulfillment:
        return cls(
            fulfillment_id=int(data["fulfillmentId"]),
            order_id=_int(data.get("orderId")),
            order_number=_str(data.get("orderNumber")),
            create_date=parse_datetime(data.get("createDate")),
            ship_date=parse_datetime(data.get("shipDate")),
            tracking_number=str(data.get("trackingNumber") or ""),
            carrier_code=_str(data.get("carrierCode")),
            voided=bool(data.get("voided")),
            void_date=parse_datetime(data.get("voidDate")),
        )


@dataclass
class Store:
    store_id: int
    store_name: str
    marketplace_name: str = ""
    active: bool = True
    company_name: str = ""
    phone: str = ""
    public_email: str = ""
    website: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Store:
        return cls(
            store_id=int(data["storeId"]),
            store_name=str(data.get("storeName") or ""),
            marketplace_name=str(data.get("marketplaceName") or ""),
            active=bool(data.get("active", True)),
            company_name=str(data.get("companyName") or ""),
            phone=str(data.get("phone") or ""),
            public_email=str(data.get("publicEmail") or ""),
            website=str(data.get("website") or ""),
            raw=data,
        )

    @property
    def is_manual(self) -> bool:
        """A store orders can be created in over the API ("ShipStation" marketplace)."""
        return self.marketplace_name.strip().lower() == "shipstation"


@dataclass
class Carrier:
    code: str
    name: str

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Carrier:
        return cls(code=str(data.get("code") or ""), name=str(data.get("name") or ""))


@dataclass
class CarrierService:
    carrier_code: str
    code: str
    name: str

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> CarrierService:
        return cls(
            carrier_code=str(data.get("carrierCode") or ""),
            code=str(data.get("code") or ""),
            name=str(data.get("name") or ""),
        )
