"""ReadShipments: labels (``/shipments``) and marked-shipped orders (``/fulfillments``)
since the watermark minus a day, kept in the state for the notes they belong to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bp_tui.core.records import ShipmentRecord, iso, parse_iso
from bp_tui.core.stages import ShipmentKind
from bp_tui.sync.context import CycleContext

OVERLAP = timedelta(days=1)  # late-appearing records and clock differences


class ReadShipments:
    async def __call__(self, ctx: CycleContext) -> None:
        now = ctx.now()  # the next read starts here (minus the overlap)
        mark = parse_iso(ctx.store.watermark("shipments")) or now - timedelta(days=ctx.config.sync.lookback_days)
        since = mark - OVERLAP
        store_id = ctx.config.shipstation.store_id or None
        ctx.emit("shipments", 0, 2, message="reading labels")
        shipments = await ctx.ss.list_shipments(store_id=store_id, create_date_start=since, include_items=True)
        ctx.emit("shipments", 1, 2, message="reading marked-shipped orders")
        fulfillments = await ctx.ss.list_fulfillments(create_date_start=since)
        index = ctx.store.gons_by_ss_orders(
            [s.order_id for s in shipments if s is not None and s.order_id]
            + [f.order_id for f in fulfillments if f is not None and f.order_id])
        seen: dict[tuple[str, int], ShipmentRecord] = {}
        for s in shipments:
            if s is None or s.order_id not in index:
                continue
            shipped_at = s.create_date or (datetime.combine(s.ship_date, datetime.min.time(), UTC)
                                           if s.ship_date else now)
            seen[(ShipmentKind.LABEL, s.shipment_id)] = ShipmentRecord(
                kind=ShipmentKind.LABEL, remote_id=s.shipment_id, gon_id=index[s.order_id], ss_order_id=s.order_id,
                tracking=s.tracking_number or "", carrier=s.carrier_code or "", service=s.service_code or "",
                shipped_at=shipped_at, created_at=s.create_date, voided=bool(s.voided),
            )
        for f in fulfillments:
            if f is None or f.order_id not in index:
                continue
            seen[(ShipmentKind.FULFILLMENT, f.fulfillment_id)] = ShipmentRecord(
                kind=ShipmentKind.FULFILLMENT, remote_id=f.fulfillment_id, gon_id=index[f.order_id],
                ss_order_id=f.order_id, tracking=f.tracking_number or "", carrier=f.carrier_code or "", service="",
                shipped_at=f.ship_date or f.create_date or now, created_at=f.create_date, voided=bool(f.voided),
            )
        with ctx.store.transaction():
            for (kind, rid), rec in seen.items():
                old = ctx.store.shipment(kind, rid)
                if old is not None:
                    rec.role, rec.noted, rec.void_noted = old.role, old.noted, old.void_noted
                ctx.store.save_shipment(rec)
        ctx.emit("shipments", 2, 2, message=f"{len(seen)} labels for our orders")
        # Labels created after ``now`` are newer than the watermark.
        ctx.store.set_watermark("shipments", iso(now) or "")
