"""The shipping-platform calls the sync engine makes, so a V2 client can stand in for V1."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from bp_tui.shipstation.models import CreateOrderResult, Fulfillment, Order, Shipment, Store


@runtime_checkable
class ShippingPlatform(Protocol):
    requests_sent: int

    async def create_orders(self, orders: Sequence[dict]) -> list[CreateOrderResult]: ...

    async def list_orders(self, *, store_id: int | None = None, order_status: str | None = None,
                          order_number: str | None = None, create_date_start: datetime | None = None,
                          modify_date_start: datetime | None = None, page_size: int = 500) -> list[Order]: ...

    async def get_order(self, order_id: int) -> Order: ...

    async def list_shipments(self, *, store_id: int | None = None, create_date_start: datetime | None = None,
                             order_id: int | None = None, include_items: bool = True,
                             page_size: int = 500) -> list[Shipment]: ...

    async def list_fulfillments(self, *, create_date_start: datetime | None = None, order_id: int | None = None,
                                page_size: int = 500) -> list[Fulfillment]: ...

    async def list_stores(self, *, show_inactive: bool = False) -> list[Store]: ...

    async def get_store(self, store_id: int) -> Store: ...
