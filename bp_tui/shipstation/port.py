"""The ShipStation port: every call the sync engine, troubleshooting and the service make to
the shipping platform, in bp-tui's terms. The engine hands over order drafts
(``core.shipping.OrderDraft``) and the orders it read; it asks for what it means (create these,
update these, cancel these, mark this one shipped, what changed since a time) and never builds
a vendor's wire format. ``ShipStationClient`` (V1: everything is a ``createorders`` upsert) and
``ShipStationV2Client`` (shipments, labels, fulfillments, cancel) implement it; a test checks
both against this protocol, method by method.

Statuses of an ``Order`` are the port's words: ``awaiting_payment``, ``awaiting_shipment``,
``on_hold`` (open), ``shipped``, ``cancelled``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from bp_tui.apiclient.pacing import RateGate
from bp_tui.core.shipping import OrderDraft, SendResult
from bp_tui.shipstation.models import Fulfillment, Order, OrderUpdate, Shipment, Store


@runtime_checkable
class ShipStationPort(Protocol):
    @property
    def requests_sent(self) -> int: ...  # requests sent so far (the summary's api_calls)

    last_server_date: str | None  # HTTP Date of the last answer (the clock check)
    gate: RateGate  # the rate-limit budget, as last reported

    # ---- import
    # New orders for notes the platform does not hold yet: no look-up first. One result per draft,
    # in order; an order the platform already holds under the draft's key is adopted, never doubled.
    async def create_orders(self, drafts: Sequence[OrderDraft]) -> list[SendResult]: ...

    # Orders it holds (each as just read), changed to the drafts: only bp-tui's fields change.
    async def update_orders(self, updates: Sequence[OrderUpdate]) -> list[SendResult]: ...

    # Orders it holds (each as just read), cancelled.
    async def cancel_orders(self, orders: Sequence[Order]) -> list[SendResult]: ...

    async def find_orders_by_number(
        self, order_number: str, *, store_id: int | None = None
    ) -> list[Order]: ...

    async def find_orders_by_key(
        self, order_key: str, *, number_prefix: str, store_id: int | None = None
    ) -> list[Order]: ...

    async def get_order(self, order_id: int) -> Order: ...

    async def get_open_orders(
        self, order_ids: Sequence[int], *, store_id: int | None = None
    ) -> dict[int, Order]: ...

    async def list_modified_orders(
        self, *, modify_date_start: datetime, store_id: int | None = None, page_size: int = 500
    ) -> list[Order]: ...

    async def mark_as_shipped(
        self,
        order_id: int,
        *,
        carrier_code: str,
        shipped_at: datetime,
        tracking_number: str = "",
        notify_customer: bool = False,
        notify_sales_channel: bool = False,
    ) -> None: ...

    # ---- confirm
    async def list_shipments(
        self,
        *,
        store_id: int | None = None,
        create_date_start: datetime | None = None,
        order_id: int | None = None,
        include_items: bool = True,
        page_size: int = 500,
        void_date_start: datetime | None = None,
    ) -> list[Shipment]: ...

    async def list_fulfillments(
        self,
        *,
        create_date_start: datetime | None = None,
        order_id: int | None = None,
        page_size: int = 500,
    ) -> list[Fulfillment]: ...

    # ---- setup and troubleshooting
    async def list_stores(self, *, show_inactive: bool = False) -> list[Store]: ...

    async def get_store(self, store_id: int) -> Store: ...

    async def update_store_branding(
        self,
        store_id: int,
        *,
        company_name: str | None = None,
        phone: str | None = None,
        public_email: str | None = None,
        website: str | None = None,
    ) -> Store: ...

    async def aclose(self) -> None: ...


ShippingPlatform = ShipStationPort  # the name this protocol had before
