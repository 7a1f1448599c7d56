"""The order draft for a goods-out note, from what Hydrate read (shared by Import and
KeepInStep), and the record's description fields the queue shows."""

from __future__ import annotations

import json

from bp_tui.brightpearl.models import GoodsOutNote, Order
from bp_tui.config.model import Config
from bp_tui.core.records import GonRecord
from bp_tui.core.shipping import OrderDraft
from bp_tui.sync.mapping import MapOptions, map_gon
from bp_tui.sync.plan import ImportPlan

# The statuses of a ShipStation order (the port's words) in which an update may change it.
OPEN_STATUSES = ("awaiting_payment", "awaiting_shipment", "on_hold")


def sent_draft(rec: GonRecord) -> OrderDraft | None:
    """What bp-tui last sent of the note (kept in the state), or None (never sent, or kept by an
    older version in another form: the next change is then sent again)."""
    if not rec.ss_payload:
        return None
    try:
        return OrderDraft.from_json(json.loads(rec.ss_payload))
    except ValueError:
        return None


def keep_sent(rec: GonRecord, draft: OrderDraft) -> None:
    rec.ss_payload = json.dumps(draft.to_json(), ensure_ascii=False, sort_keys=True)


def map_options(config: Config) -> MapOptions:
    return MapOptions(
        account_code=config.brightpearl.account_code,
        store_id=config.shipstation.store_id,
        include_weights=config.products.include_weights,
        weight_unit=config.products.weight_unit,
    )


def payload_for(config: Config, plan: ImportPlan, gon: GoodsOutNote, order: Order) -> OrderDraft:
    """The order draft to send; raises MappingError."""
    extra = []
    if not config.products.skip_non_stock_rows and gon.sequence <= 1:
        # Non-stock rows are never on a goods-out note; send them with the first note.
        extra = [
            r
            for rid, r in order.rows.items()
            if rid not in gon.rows
            and r.product_id
            and plan.products.get(r.product_id, (None, True))[1] is False
        ]
    return map_gon(gon, order, map_options(config), plan.weights, extra_rows=extra)


def describe(rec: GonRecord, gon: GoodsOutNote, order: Order) -> None:
    """The fields the queue shows, from the note and its order."""
    rec.reference = order.reference or ""
    rec.customer = (order.delivery.full_name if order.delivery else "") or ""
    rec.channel_id = order.channel_id
    rec.warehouse_id = gon.warehouse_id
    rec.gon_state = gon.state_word
