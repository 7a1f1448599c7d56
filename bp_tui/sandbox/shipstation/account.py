"""State and control hooks of the ShipStation V1 sandbox.

This module never imports the HTTP side: ``app.build_app`` serves an account, and
``sandbox.ShipStationSandbox`` is an account together with its app.
"""

from __future__ import annotations

import copy
import itertools
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bp_tui.sandbox.shipstation import shapes
from bp_tui.sandbox.shipstation.ratelimit import RateWindow
from bp_tui.shipstation.dates import parse_datetime, to_api_date, to_api_datetime

SANDBOX_USER = "5fbe9b59-0000-4000-8000-5a4db0c5e001"


class CreateRefused(ValueError):
    """A createorders item ShipStation would answer with success=false."""


class NotPossible(ValueError):
    """What a ShipStation user asked for cannot be done to these orders (the UI would refuse)."""


class ShipStationAccount:
    """A faithful in-memory ShipStation V1 account: two manual stores, orders, labels,
    fulfillments."""

    def __init__(
        self,
        *,
        api_key: str = "sandbox-key",
        api_secret: str = "sandbox-secret",
        rate_limit: int = 40,
        window_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
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
        self.merged_orders: dict[
            int, dict
        ] = {}  # merged-away orders: gone from the API, kept for tests
        self._by_key: dict[str, int] = {}
        self._parts: dict[
            str, list[int]
        ] = {}  # orderKey of a split order -> its parts, the original first
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
        self.stores[self.default_store_id] = shapes.store_record(
            self.default_store_id, "Manual Orders", stamp=stamp
        )
        self.stores[self.brightpearl_store_id] = shapes.store_record(
            self.brightpearl_store_id, "Brightpearl", stamp=stamp
        )

    def settings(self, base_url: str = "https://shipstation.sandbox") -> dict:
        """The ``[shipstation]`` config keys that point at this sandbox."""
        return {
            "api_key": self.api_key,
            "api_secret": self.api_secret,
            "base_url": base_url,
            "store_id": self.brightpearl_store_id,
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}(orders={len(self.orders)}, shipments={len(self.shipments)})"

    # ---- test hooks -----------------------------------------------------------------------

    def order_by_key(self, key: str) -> dict | None:
        order_id = self._by_key.get(key)
        return None if order_id is None else self.orders[order_id]

    def rekey_order(self, order_id: int, key: str) -> None:
        """Give an order another orderKey (V2 names a shipment created without one ``se-<id>``)."""
        order = self.orders[order_id]
        if self._by_key.get(order["orderKey"]) == order_id:
            del self._by_key[order["orderKey"]]
        order["orderKey"] = key
        self._by_key[key] = order_id

    def fail_next(self, count: int = 1, *, status: int = 500, path: str | None = None) -> None:
        """The next ``count`` requests (to ``path`` when given) answer ``status`` with an ASP.NET
        error body."""
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

    def create_label(
        self,
        order_id: int,
        *,
        tracking_number: str | None = None,
        carrier_code: str = "ups",
        service_code: str = "ups_ground",
        when: datetime | None = None,
    ) -> dict:
        """A label shipment for the order, as if bought in the ShipStation UI; the order becomes
        shipped."""
        order = self.orders[order_id]
        when = when or self.now()
        tracking = tracking_number or f"1Z999AA1{next(self._tracking):010d}"
        record = shapes.shipment_record(
            order,
            shipment_id=next(self._shipment_ids),
            tracking_number=tracking,
            carrier_code=carrier_code,
            service_code=service_code,
            when=when,
            user_id=SANDBOX_USER,
        )
        self.shipments[record["shipmentId"]] = record
        self._set_status(order, "shipped", when)
        order["shipDate"] = record["shipDate"]
        order["carrierCode"], order["serviceCode"] = carrier_code, service_code
        return record

    def void_label(self, shipment_id: int, *, when: datetime | None = None) -> None:
        """Void a label (at ``when``, default now); its order goes back to awaiting_shipment unless
        another live outbound label remains (voiding a return label leaves the order as it is)."""
        record = self.shipments[shipment_id]
        when = when or self.now()
        record["voided"] = True
        record["voidDate"] = to_api_datetime(when)
        order = self.orders.get(record["orderId"])
        live = [
            s
            for s in self.shipments.values()
            if s["orderId"] == record["orderId"] and not s["voided"] and not s["isReturnLabel"]
        ]
        if (
            order is not None
            and order["orderStatus"] == "shipped"
            and not live
            and not record["isReturnLabel"]
        ):
            self._set_status(order, "awaiting_shipment", when)

    def mark_shipped(
        self,
        order_id: int,
        *,
        tracking_number: str,
        carrier_code: str | None = "other",
        notify_customer: bool = False,
        notify_sales_channel: bool = False,
        ship_date: date | None = None,
    ) -> dict:
        """Mark the order shipped without a label: a fulfillment, invisible in /shipments, its
        ship date the day given (a Pacific calendar day) or today.

        Whom ShipStation would tell is recorded in ``notifications`` (order id, customer,
        channel)."""
        order = self.orders[order_id]
        when = self.now()
        record = shapes.fulfillment_record(
            order,
            fulfillment_id=next(self._fulfillment_ids),
            tracking_number=tracking_number,
            carrier_code=carrier_code,
            when=when,
            user_id=SANDBOX_USER,
            ship_date=ship_date,
        )
        self.fulfillments[record["fulfillmentId"]] = record
        self.notifications.append((order_id, notify_customer, notify_sales_channel))
        self._set_status(order, "shipped", when)
        return record

    # ---- what the endpoints do --------------------------------------------------------------

    def _set_status(self, order: dict, status: str, when: datetime) -> None:
        order["orderStatus"] = status
        order["modifyDate"] = to_api_datetime(when)

    def upsert_order(self, body: Any) -> dict:
        """One createorders item: create, or replace the whole open order with the same orderKey.

        Nothing the body omits survives an update (service, package, weight, notes a ShipStation
        user set are lost), except what the API never lets a client set: the store, the order's
        creation, its split/merge links, and tags (adding tags through createorders works,
        removing them does not). The parts of a split order share one orderKey: an update must
        name the part by ``orderId`` (chosen: refused otherwise, as the docs say it is required)."""
        problem = shapes.validate_order(body)
        if problem:
            raise CreateRefused(problem)
        stamp = to_api_datetime(self.now())
        key = body.get("orderKey") or str(uuid.uuid4())
        existing = self._update_target(key, body)
        if existing is not None:
            if existing["orderStatus"] not in shapes.OPEN_STATUSES:
                raise CreateRefused(
                    f"Order {existing['orderNumber']} is not in an open "
                    f"status ({existing['orderStatus']}) "
                    "and cannot be updated"
                )
            record = shapes.order_record(
                {**body, "orderKey": key},
                order_id=existing["orderId"],
                customer_id=existing["customerId"],
                store_id=existing["advancedOptions"]["storeId"],
                create_date=existing["createDate"],
                modify_date=stamp,
                next_item_id=lambda: next(self._item_ids),
            )
            for field in shapes.READ_ONLY_ADVANCED:
                record["advancedOptions"][field] = existing["advancedOptions"][field]
            if existing.get("tagIds"):
                record["tagIds"] = sorted(set(existing["tagIds"]) | set(record.get("tagIds") or []))
        else:
            wanted = (body.get("advancedOptions") or {}).get("storeId")
            store_id = self.default_store_id if wanted in (None, 0) else wanted
            if store_id not in self.stores:
                raise CreateRefused(f"Store {wanted} was not found on this account")
            record = shapes.order_record(
                {**body, "orderKey": key},
                order_id=next(self._order_ids),
                customer_id=next(self._customer_ids),
                store_id=store_id,
                create_date=stamp,
                modify_date=stamp,
                next_item_id=lambda: next(self._item_ids),
            )
            self._by_key[key] = record["orderId"]
        self.orders[record["orderId"]] = record
        return record

    def _update_target(self, key: str, body: dict) -> dict | None:
        parts = self._parts.get(key)
        if not parts:
            return self.order_by_key(key)
        wanted = body.get("orderId")
        if wanted is None:
            raise CreateRefused(
                f"Order {body.get('orderNumber')} has been split: orderId is required to update "
                f"one of its parts ({', '.join(map(str, parts))})"
            )
        if wanted not in parts or wanted not in self.orders:
            raise CreateRefused(
                f"Order {wanted} is not a part of the split order with orderKey {key}"
            )
        return self.orders[wanted]

    # ---- what ShipStation users do to orders (each happens only when a test or demo asks) ------

    def split_order(self, order_id: int, move: Mapping[str | int, int] | None = None) -> dict:
        """Split an order as a ShipStation user does; the new part is returned.

        ``move`` maps an item's ``lineItemKey`` (or ``orderItemId``) to how many of it go to the new
        part (default: the second half of the items, or half of a single line's quantity). The new
        part has its own ``orderId``, the same ``orderKey`` and ``orderNumber`` (chosen: the docs do
        not say which key a part gets), ``advancedOptions.parentId`` = the original order's id and
        ``mergedOrSplit`` true on both; the money (amountPaid, tax, shipping) stays on the original
        (chosen, as in ShipStation's V2 split fixture). Only awaiting_shipment orders can be
        split."""
        order = self._visible(order_id)
        if order["orderStatus"] != "awaiting_shipment":
            raise NotPossible(
                f"Order {order_id} is {order['orderStatus']}: only "
                "orders awaiting shipment can be split"
            )
        moving = self._split_quantities(order, move)
        stamp = to_api_datetime(self.now())
        child = copy.deepcopy(order)
        child_items = []
        for item in order["items"]:
            count = moving.get(item["orderItemId"], 0)
            if not count:
                continue
            part = copy.deepcopy(item)
            part.update(
                orderItemId=next(self._item_ids), quantity=count, createDate=stamp, modifyDate=stamp
            )
            child_items.append(part)
            item["quantity"] -= count
            item["modifyDate"] = stamp
        order["items"] = [item for item in order["items"] if item["quantity"] > 0]
        root = order["advancedOptions"]["parentId"] or order_id
        child.update(
            orderId=next(self._order_ids),
            items=child_items,
            createDate=stamp,
            modifyDate=stamp,
            amountPaid=0.0,
            taxAmount=0.0,
            shippingAmount=0.0,
        )
        child["advancedOptions"].update(parentId=root, mergedOrSplit=True, mergedIds=[])
        child["orderTotal"] = shapes.order_total(child)
        order["advancedOptions"]["mergedOrSplit"] = True
        order["orderTotal"] = shapes.order_total(order)
        order["modifyDate"] = stamp
        self.orders[child["orderId"]] = child
        family = self._parts.setdefault(order["orderKey"], [root])
        family.append(child["orderId"])
        return child

    def _split_quantities(
        self, order: dict, move: Mapping[str | int, int] | None
    ) -> dict[int, int]:
        items = order["items"]
        if move is None:
            if len(items) >= 2:
                return {i["orderItemId"]: i["quantity"] for i in items[len(items) // 2 :]}
            if items and items[0]["quantity"] >= 2:
                return {items[0]["orderItemId"]: items[0]["quantity"] // 2}
            raise NotPossible(
                f"Order {order['orderId']} has a single unit: there is nothing to split"
            )
        by_name = {}
        for item in items:
            by_name[str(item["orderItemId"])] = item
            if item.get("lineItemKey") is not None:
                by_name.setdefault(str(item["lineItemKey"]), item)
        moving: dict[int, int] = {}
        for name, count in move.items():
            item = by_name.get(str(name))
            if item is None:
                raise NotPossible(f"Order {order['orderId']} has no item {name}")
            if not isinstance(count, int) or count < 1 or count > item["quantity"]:
                raise NotPossible(
                    f"Cannot move {count} of item {name} (quantity {item['quantity']})"
                )
            moving[item["orderItemId"]] = count
        if sum(moving.values()) >= sum(i["quantity"] for i in items):
            raise NotPossible("A split must leave at least one unit on the original order")
        return moving

    def split_parts(self, order_key: str) -> list[dict]:
        """Every part of a split order (the original first), or the one order with that key."""
        ids = self._parts.get(order_key) or (
            [self._by_key[order_key]] if order_key in self._by_key else []
        )
        return [self.orders[i] for i in ids if i in self.orders]

    def merge_orders(self, survivor_id: int, merged_ids: Iterable[int]) -> dict:
        """Combine orders into ``survivor_id`` as a ShipStation user does; the survivor is returned.

        The survivor takes the others' items and money, ``mergedOrSplit`` true and their ids in
        ``advancedOptions.mergedIds``. The merged-away orders disappear from the API: not listed,
        ``GET /orders/{id}`` 404, no longer found by their orderKey (so re-sending that key creates
        a new order: chosen, the reference leaves it open); they stay in ``merged_orders``.
        Only orders awaiting shipment, from the same store and to the same recipient and address
        (chosen, as the UI requires), and not split, can be combined."""
        survivor = self._visible(survivor_id)
        others = [self._visible(i) for i in dict.fromkeys(merged_ids) if i != survivor_id]
        if not others:
            raise NotPossible("Name at least one other order to combine")
        for order in (survivor, *others):
            if order["orderStatus"] != "awaiting_shipment":
                raise NotPossible(
                    f"Order {order['orderId']} is {order['orderStatus']}: only orders awaiting "
                    "shipment can be combined"
                )
            if order["orderKey"] in self._parts:
                raise NotPossible(f"Order {order['orderId']} is part of a split order")
            if order["advancedOptions"]["storeId"] != survivor["advancedOptions"]["storeId"]:
                raise NotPossible(f"Order {order['orderId']} is in another store")
            if not shapes.same_recipient(order["shipTo"], survivor["shipTo"]):
                raise NotPossible(f"Order {order['orderId']} ships to another recipient or address")
        stamp = to_api_datetime(self.now())
        advanced = survivor["advancedOptions"]
        for order in others:
            for item in order["items"]:
                survivor["items"].append(
                    {
                        **copy.deepcopy(item),
                        "orderItemId": next(self._item_ids),
                        "createDate": stamp,
                        "modifyDate": stamp,
                    }
                )
            for money in ("amountPaid", "taxAmount", "shippingAmount"):
                if order.get(money) is not None:
                    survivor[money] = round((survivor.get(money) or 0) + order[money], 2)
            advanced["mergedIds"] = [
                *advanced["mergedIds"],
                order["orderId"],
                *order["advancedOptions"]["mergedIds"],
            ]
            del self.orders[order["orderId"]]
            self.merged_orders[order["orderId"]] = order
            if self._by_key.get(order["orderKey"]) == order["orderId"]:
                del self._by_key[order["orderKey"]]
        advanced["mergedOrSplit"] = True
        survivor["orderTotal"] = shapes.order_total(survivor)
        survivor["modifyDate"] = stamp
        return survivor

    def create_return_label(
        self,
        order_id: int,
        *,
        tracking_number: str | None = None,
        carrier_code: str = "ups",
        service_code: str = "ups_ground",
        when: datetime | None = None,
    ) -> dict:
        """A return label bought against the order: a ``/shipments`` record with ``isReturnLabel``
        true, listed with the order's orderId and orderNumber; the order itself does not change
        (chosen: its items and ship-to are copied as for an outbound label)."""
        order = self._visible(order_id)
        when = when or self.now()
        record = shapes.shipment_record(
            order,
            shipment_id=next(self._shipment_ids),
            tracking_number=tracking_number or f"1Z999RT1{next(self._tracking):010d}",
            carrier_code=carrier_code,
            service_code=service_code,
            when=when,
            user_id=SANDBOX_USER,
        )
        record["isReturnLabel"] = True
        self.shipments[record["shipmentId"]] = record
        return record

    def void_late(self, shipment_id: int, *, days: float = 14) -> dict:
        """Void now a label bought ``days`` ago (the sandbox cannot wait weeks: the label's
        createDate and shipDate move back by ``days`` first, as if it had been bought then)."""
        record = self.shipments[shipment_id]
        if record["voided"]:
            raise NotPossible(f"Label {shipment_id} is already voided")
        now = self.now()
        bought = min(parse_datetime(record["createDate"]) or now, now - timedelta(days=days))
        order = self.orders.get(record["orderId"])
        if order is not None and order.get("shipDate") == record["shipDate"]:
            order["shipDate"] = to_api_date(bought)
        record["createDate"], record["shipDate"] = to_api_datetime(bought), to_api_date(bought)
        self.void_label(shipment_id, when=now)
        return record

    def edit_order(self, order_id: int, **fields: Any) -> dict:
        """Change an open order as a ShipStation user does in the web UI (service, package, weight,
        dimensions, notes, tags, hold date, insurance, ``advancedOptions={customField2: ...}``,
        ...).

        A later createorders update that omits these fields wipes them (tags excepted). Setting a
        ``holdUntilDate`` puts the order on hold, as in the UI."""
        order = self._visible(order_id)
        if order["orderStatus"] not in shapes.OPEN_STATUSES:
            raise NotPossible(f"Order {order_id} is {order['orderStatus']} and cannot be edited")
        advanced = fields.pop("advancedOptions", None) or {}
        unknown = sorted(set(fields) - set(shapes.UI_EDITABLE)) + sorted(
            f"advancedOptions.{k}" for k in set(advanced) - set(shapes.UI_EDITABLE_ADVANCED)
        )
        if unknown:
            raise NotPossible(f"Not editable in the ShipStation UI: {', '.join(unknown)}")
        for key, value in fields.items():
            order[key] = shapes.api_datetime(value) if key == "shipByDate" and value else value
        order["advancedOptions"].update(advanced)
        if fields.get("holdUntilDate"):
            order["orderStatus"] = "on_hold"
        order["modifyDate"] = to_api_datetime(self.now())
        return order

    def _visible(self, order_id: int) -> dict:
        order = self.orders.get(order_id)
        if order is None:
            raise KeyError(
                f"no order {order_id}"
                + (" (merged into another order)" if order_id in self.merged_orders else "")
            )
        return order
