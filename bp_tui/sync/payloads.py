"""The ShipStation order for a goods-out note, from what Hydrate read (shared by Import and
KeepInStep), and the record's description fields the queue shows."""

from __future__ import annotations

import copy
from typing import Any

from bp_tui.brightpearl.models import GoodsOutNote, Order
from bp_tui.config.model import Config
from bp_tui.core.records import GonRecord
from bp_tui.shipstation.models import Order as ShipStationOrder
from bp_tui.sync.mapping import MapOptions, map_gon
from bp_tui.sync.plan import ImportPlan


# ShipStation replaces the whole order on update: these are the fields bp-tui owns; everything
# else on the order (service, carrier, package, weight, dimensions, notes, tags, hold date,
# insurance, custom fields 2-3) is what a ShipStation user set, and is sent back as it is.
OWNED_FIELDS = ("shipTo", "billTo", "items", "customerEmail", "orderNumber", "orderDate")
OWNED_ADVANCED = ("customField1", "source", "storeId")
READ_ONLY_FIELDS = ("createDate", "modifyDate", "customerId", "orderTotal", "userId", "externallyFulfilled",
                    "externallyFulfilledBy", "externallyFulfilledById", "externallyFulfilledByName",
                    "labelMessages")
OPEN_STATUSES = ("awaiting_payment", "awaiting_shipment", "on_hold")  # the ones an update may change


def as_sent_back(current: dict[str, Any]) -> dict[str, Any]:
    """A ShipStation order as read, ready to be sent back whole: read-only keys dropped."""
    return {k: copy.deepcopy(v) for k, v in current.items() if k not in READ_ONLY_FIELDS}


def update_of(current: ShipStationOrder, ours: dict[str, Any]) -> dict[str, Any]:
    """The order to send for an update: the order ShipStation holds (``current``, as read; its
    body as the adapter read it), with bp-tui's own fields taken from ``ours`` (the mapped
    note) and its ``orderId`` (from the model: an adapter's raw body may name it otherwise)."""
    body = as_sent_back(current.raw)
    for key in OWNED_FIELDS:
        if key in ours:
            body[key] = copy.deepcopy(ours[key])
    advanced = dict(body.get("advancedOptions") or {})
    for key in OWNED_ADVANCED:
        if key in (ours.get("advancedOptions") or {}):
            advanced[key] = ours["advancedOptions"][key]
    body["advancedOptions"] = advanced
    body["orderKey"] = ours["orderKey"]
    body["orderId"] = current.order_id
    return body


def map_options(config: Config) -> MapOptions:
    return MapOptions(
        account_code=config.brightpearl.account_code,
        store_id=config.shipstation.store_id,
        include_weights=config.products.include_weights,
        weight_unit=config.products.weight_unit,
    )


def payload_for(config: Config, plan: ImportPlan, gon: GoodsOutNote, order: Order) -> dict[str, Any]:
    """The order to send; raises MappingError."""
    extra = []
    if not config.products.skip_non_stock_rows and gon.sequence <= 1:
        # Non-stock rows are never on a goods-out note; send them with the first note.
        extra = [r for rid, r in order.rows.items()
                 if rid not in gon.rows and r.product_id and plan.products.get(r.product_id, (None, True))[1] is False]
    return map_gon(gon, order, map_options(config), plan.weights, extra_rows=extra)


def describe(rec: GonRecord, gon: GoodsOutNote, order: Order) -> None:
    """The fields the queue shows, from the note and its order."""
    rec.reference = order.reference or ""
    rec.customer = (order.delivery.full_name if order.delivery else "") or ""
    rec.channel_id = order.channel_id
    rec.warehouse_id = gon.warehouse_id
    rec.gon_state = gon.state_word
