"""The Brightpearl port: every call the sync engine, troubleshooting and the service make to
Brightpearl. ``BrightpearlClient`` implements it; a test checks it method by method."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol, runtime_checkable

from bp_tui.apiclient.pacing import RateGate
from bp_tui.brightpearl.models import (
    Channel,
    GoodsOutNote,
    GoodsOutSearchRow,
    Order,
    OrderNote,
    OrderStatus,
    Product,
    StaffContact,
    Warehouse,
)


@runtime_checkable
class BrightpearlPort(Protocol):
    @property
    def requests_sent(self) -> int: ...  # requests sent so far (the summary's api_calls)

    last_server_date: str | None  # HTTP Date of the last answer (the clock check)
    gate: RateGate  # the rate-limit budget, as last reported

    async def authenticate(self) -> None: ...

    async def refresh_access(self) -> datetime | None: ...  # OAuth: refresh if due; the expiry

    # ---- discover and hydrate
    async def search_goods_out(
        self,
        *,
        import_when: str | None = None,
        shipped: bool | None = None,
        warehouse_id: int | None = None,
        created_after: datetime | None = None,
        order_ids: Iterable[int] | None = None,
    ) -> list[GoodsOutSearchRow]: ...

    async def search_updated_orders(self, updated_after: datetime) -> list[int]: ...

    async def get_goods_out_notes(self, ids: Iterable[int]) -> dict[int, GoodsOutNote]: ...

    async def goods_out_note_deleted(self, gon_id: int) -> bool | None: ...

    async def get_goods_out_notes_for_orders(
        self, order_ids: Iterable[int]
    ) -> dict[int, GoodsOutNote]: ...

    async def get_orders(self, ids: Iterable[int]) -> dict[int, Order]: ...

    async def get_products(self, ids: Iterable[int]) -> dict[int, Product]: ...

    # ---- confirm (writes)
    async def set_shipping_reference(self, gon_id: int, reference: str) -> None: ...

    async def post_shipped_event(
        self, gon_id: int, *, occurred: datetime, owner_id: int, last_event_version: int | None
    ) -> None: ...

    async def add_order_note(self, order_id: int, text: str, *, is_public: bool = False) -> int: ...

    async def search_order_notes(self, order_ids: Iterable[int]) -> dict[int, list[OrderNote]]: ...

    async def set_order_status(self, order_id: int, status_id: int) -> None: ...

    # ---- setup and troubleshooting
    async def list_channels(self) -> list[Channel]: ...

    async def list_warehouses(self) -> list[Warehouse]: ...

    async def list_order_statuses(self) -> list[OrderStatus]: ...

    async def list_staff(self) -> list[StaffContact]: ...  # contact-search?isStaff=true

    async def aclose(self) -> None: ...
