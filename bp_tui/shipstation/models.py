"""Typed ShipStation V1 resources.

Dates arrive in Pacific time without an offset (7 fractional digits) or date-only; they
are converted to aware UTC datetimes here, so nothing above this layer sees Pacific time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass
class CreateOrderResult:
    order_key: str
    order_id: int | None
    order_number: str
    success: bool
    error_message: str | None = None


@dataclass
class ShipmentItem:
    line_item_key: str | None
    sku: str | None
    name: str | None
    quantity: int


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
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


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


@dataclass
class Carrier:
    code: str
    name: str


@dataclass
class CarrierService:
    carrier_code: str
    code: str
    name: str
