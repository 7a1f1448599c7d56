"""State and control hooks of the ShipStation V1 sandbox.

This module never imports the HTTP side: ``app.build_app`` serves an account, and
``sandbox.ShipStationSandbox`` is an account together with its app.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from bp_tui.sandbox.shipstation import shapes
from bp_tui.sandbox.shipstation.ratelimit import RateWindow
from bp_tui.shipstation.dates import to_api_datetime

SANDBOX_USER = "5fbe9b59-0000-4000-8000-5a4db0c5e001"


class CreateRefused(ValueError):
    """A createorders item ShipStation would answer with success=false."""


class ShipStationAccount:
    """A faithful in-memory ShipStation V1 account: two manual stores, orders, labels, fulfillments."""

    def __init__(
        self,
        *,
        api_key: str = "sandbox-key",
        api_secret: str = "sandbox-secret",
        rate_limit: int = 40,
        window_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self.api_key = api_key
        self.api_secret = api_secret
        self.window_s = window_s
        self.clock = clock
        self.now = now
        self.limiter = RateWindow(limit=rate_limit, window_s=window_s, clock=clock)
        self.orders: dict[int, dict] = {}
        self.shipments: dict[int, dict] = {}
        self.fulfillments: dict[int, dict] = {}
        self.notifications: list[tuple[int, bool, bool]] = []
        self.stores: dict[int, dict] = {}
        self.request_log: list[tuple[float, str, str, int]] = []
        self.violations = 0
        self._by_key: dict[str, int] = {}
        self._faults: list[tuple[str | None, int]] = []
        self._order_ids = itertools.count(470_000_001)
        self._item_ids = itertools.count(640_000_001)
        self._customer_ids = itertools.count(63_000_001)
        self._shipment_ids = itertools.count(271_000_001)
        self._fulfillment_ids = itertools.count(38_000_001)
        self._tracking = itertools.count(1)
        stamp = to_api_datetime(self.now())
        self.default_store_id = 518_236
        self.brightpearl_store_id = 518_237
        self.stores[self.default_store_id] = shapes.store_record(self.default_store_id, "Manual Orders", stamp=stamp)
        self.stores[self.brightpearl_store_id] = shapes.store_record(
            self.brightpearl_store_id, "Brightpearl", stamp=stamp)

    def settings(self, base_url: str = "http://shipstation.sandbox") -> dict:
        """The ``[shipstation]`` config keys that point at this sandbox."""
        return {"api_key": self.api_key, "api_secret": self.api_secret, "base_url": base_url,
                "store_id": self.brightpearl_store_id}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(orders={len(self.orders)}, shipments={len(self.shipments)})"

    # ---- test hooks -----------------------------------------------------------------------

    def order_by_key(self, key: str) -> dict | None:
        order_id = self._by_key.get(key)
        return None if order_id is None else self.orders[order_id]

    def fail_next(self, count: int = 1, *, status: int = 500, path: str | None = None) -> None:
        """The next ``count`` requests (to ``path`` when given) answer ``status`` with an ASP.NET error body."""
        self._faults.extend([(path, status)] * count)

    def consume_rate_limit(self, count: int) -> None:
        """Another app on the same key pair spends ``count`` requests of the current window."""
        self.limiter.consume(count)

    def take_fault(self, path: str) -> int | None:
        for index, (fault_path, status) in enumerate(self._faults):
            if fault_path is None or path.startswith(fault_path):
                del self._faults[index]
                return status
        return None

    def create_label(self, order_id: int, *, tracking_number: str | None = None, carrier_code: str = "ups",
                     service_code: str = "ups_ground", when: datetime | None = None) -> dict:
        """A label shipment for the order, as if bought in the ShipStation UI; the order becomes shipped."""
        order = self.orders[order_id]
        when = when or self.now()
        tracking = tracking_number or f"1Z999AA1{next(self._tracking):010d}"
        record = shapes.shipment_record(order, shipment_id=next(self._shipment_ids), tracking_number=tracking,
                                        carrier_code=carrier_code, service_code=service_code, when=when,
                                        user_id=SANDBOX_USER)
        self.shipments[record["shipmentId"]] = record
        self._set_status(order, "shipped", when)
        order["shipDate"] = record["shipDate"]
        order["carrierCode"], order["serviceCode"] = carrier_code, service_code
        return record

    def void_label(self, shipment_id: int) -> None:
        """Void a label; its order goes back to awaiting_shipment unless another live label remains."""
        record = self.shipments[shipment_id]
        when = self.now()
        record["voided"] = True
        record["voidDate"] = to_api_datetime(when)
        order = self.orders.get(record["orderId"])
        live = [s for s in self.shipments.values() if s["orderId"] == record["orderId"] and not s["voided"]]
        if order is not None and order["orderStatus"] == "shipped" and not live:
            self._set_status(order, "awaiting_shipment", when)

    def mark_shipped(self, order_id: int, *, tracking_number: str, carrier_code: str = "other",
                     notify_customer: bool = False, notify_sales_channel: bool = False) -> dict:
        """Mark the order shipped without a label: a fulfillment, invisible in /shipments.

        Whom ShipStation would tell is recorded in ``notifications`` (order id, customer, channel)."""
        order = self.orders[order_id]
        when = self.now()
        record = shapes.fulfillment_record(order, fulfillment_id=next(self._fulfillment_ids),
                                           tracking_number=tracking_number, carrier_code=carrier_code,
                                           when=when, user_id=SANDBOX_USER)
        self.fulfillments[record["fulfillmentId"]] = record
        self.notifications.append((order_id, notify_customer, notify_sales_channel))
        self._set_status(order, "shipped", when)
        return record

    # ---- what the endpoints do --------------------------------------------------------------

    def _set_status(self, order: dict, status: str, when: datetime) -> None:
        order["orderStatus"] = status
        order["modifyDate"] = to_api_datetime(when)

    def upsert_order(self, body: Any) -> dict:
        """One createorders item: create, or update the open order with the same orderKey."""
        problem = shapes.validate_order(body)
        if problem:
            raise CreateRefused(problem)
        stamp = to_api_datetime(self.now())
        key = body.get("orderKey") or str(uuid.uuid4())
        existing = self.order_by_key(key)
        if existing is not None:
            if existing["orderStatus"] not in shapes.OPEN_STATUSES:
                raise CreateRefused(
                    f"Order {existing['orderNumber']} is not in an open status ({existing['orderStatus']}) "
                    "and cannot be updated")
            record = shapes.order_record(
                {**body, "orderKey": key}, order_id=existing["orderId"], customer_id=existing["customerId"],
                store_id=existing["advancedOptions"]["storeId"], create_date=existing["createDate"],
                modify_date=stamp, next_item_id=lambda: next(self._item_ids))
        else:
            wanted = (body.get("advancedOptions") or {}).get("storeId")
            store_id = self.default_store_id if wanted in (None, 0) else wanted
            if store_id not in self.stores:
                raise CreateRefused(f"Store {wanted} was not found on this account")
            record = shapes.order_record(
                {**body, "orderKey": key}, order_id=next(self._order_ids), customer_id=next(self._customer_ids),
                store_id=store_id, create_date=stamp, modify_date=stamp, next_item_id=lambda: next(self._item_ids))
        self.orders[record["orderId"]] = record
        self._by_key[key] = record["orderId"]
        return record
