"""ReadShipments: what happened in ShipStation since the last read, kept in the state for the
notes it belongs to:

- labels created since the label cursor (the newest label seen, by the platform's clock, less
  ``LABEL_OVERLAP`` for labels that appear late; never past a label still being created, whose
  outcome is read again), so a quiet cycle reads one page whatever the day's volume;
- labels voided since the last read less a day (so a void weeks after the label is still seen),
  return labels marked as such (never written back);
- orders marked shipped, since the last read less a day.

Only a completed label is kept (live, or voided later). A label still ``processing`` or in
``error`` (V2; V1 has neither) is not a shipment: its open notes wait with the reason
(``reasons.LABEL_PROCESSING`` / ``LABEL_ERROR``), and the next read keeps the label once it is
completed; a failed one never is.

Splits and merges were learnt at the start of the cycle (``parts.LearnParts``). A label belongs
to every note its order carries (the note's own order, a part of its split order, the order it
was merged into); one with our key on an order not known yet is a part of that note's
split order made since.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from bp_tui.core import reasons
from bp_tui.core.records import PartRecord, ShipmentRecord, iso, parse_iso
from bp_tui.core.stages import PartKind, ShipmentKind, ShipmentRole, Stage
from bp_tui.shipstation.models import Fulfillment, Shipment
from bp_tui.sync.context import CycleContext
from bp_tui.sync.parts import cursor_after, gons_by_key

OVERLAP = timedelta(days=1)  # voids and marked-shipped records: few a day, read with a day's margin
LABEL_OVERLAP = timedelta(minutes=15)  # labels that appear in the list after newer ones
STUCK_PROCESSING = timedelta(
    days=1
)  # a label "processing" longer than this no longer holds the cursor back


class ReadShipments:
    async def __call__(self, ctx: CycleContext) -> None:
        now = ctx.now()  # the next read starts here (minus the overlap)
        mark = min(
            parse_iso(ctx.store.meta.watermark("shipments"))
            or now - timedelta(days=ctx.config.sync.lookback_days),
            now,
        )
        since = mark - OVERLAP
        cursor = min(parse_iso(ctx.store.meta.watermark("labels")) or since, now)
        store_id = ctx.config.shipstation.store_id or None
        ctx.emit("shipments", 0, 3, message="reading labels")
        created = await ctx.ss.list_shipments(
            store_id=store_id, create_date_start=cursor - LABEL_OVERLAP, include_items=True
        )
        ctx.emit("shipments", 1, 3, message="reading voided labels")
        voided = await ctx.ss.list_shipments(
            store_id=store_id, void_date_start=since, include_items=False
        )
        ctx.emit("shipments", 2, 3, message="reading marked-shipped orders")
        fulfillments = [
            f for f in await ctx.ss.list_fulfillments(create_date_start=since) if f is not None
        ]
        labels = {
            s.shipment_id: s for s in [*created, *voided] if s is not None
        }  # the later read wins
        unfinished = [s for s in labels.values() if s.status != "completed" and not s.voided]
        done = [s for s in labels.values() if s.status == "completed" or s.voided]
        seen = _records(ctx, done, fulfillments, now)
        _keep(ctx, seen)
        _waiting_on_labels(ctx, unfinished, done)
        ctx.emit(
            "shipments",
            3,
            3,
            message=f"{len({(r.kind, r.remote_id) for r in seen})} labels for our orders",
        )
        # Voids and marked-shipped records after ``now`` are newer than the watermark.
        ctx.store.meta.set_watermark("shipments", iso(now) or "")
        ctx.store.meta.set_watermark("labels", iso(label_cursor(cursor, created, now)) or "")


def label_cursor(cursor: datetime, created: list[Shipment], now: datetime) -> datetime:
    """The next label read starts here (before its overlap): the newest label seen (never after
    ``now``), but never past a label still being created, whose outcome must be read again."""
    pending = [
        s.create_date
        for s in created
        if s is not None
        and s.status == "processing"
        and s.create_date
        and s.create_date > now - STUCK_PROCESSING
    ]
    newest = cursor_after(cursor, [s.create_date for s in created if s is not None], now)
    return min([newest, *pending])


def _records(
    ctx: CycleContext, labels: list[Shipment], fulfillments: list[Fulfillment], now: datetime
) -> list[ShipmentRecord]:
    """One record per label (or marked-shipped record) and note it belongs to."""
    owners = ctx.store.owners_of_ss_orders(
        {s.order_id for s in labels if s.order_id}
        | {f.order_id for f in fulfillments if f.order_id}
    )
    unknown = [s for s in labels if s.order_id and s.order_id not in owners]
    keyed = gons_by_key(ctx, {s.order_key for s in unknown}) if unknown else {}
    _learn_unknown_parts(ctx, [s for s in unknown if s.order_key in keyed], keyed, owners, now)
    out: list[ShipmentRecord] = []
    for s in labels:
        shipped_at = s.create_date or (
            datetime.combine(s.ship_date, datetime.min.time(), UTC) if s.ship_date else now
        )
        for gon_id in sorted(owners.get(s.order_id or 0, ())):
            out.append(
                ShipmentRecord(
                    kind=ShipmentKind.LABEL,
                    remote_id=s.shipment_id,
                    gon_id=gon_id,
                    ss_order_id=s.order_id or 0,
                    tracking=s.tracking_number or "",
                    carrier=s.carrier_code or "",
                    service=s.service_code or "",
                    shipped_at=shipped_at,
                    created_at=s.create_date,
                    voided=bool(s.voided),
                    role=ShipmentRole.RETURN if s.is_return_label else ShipmentRole.NEW,
                )
            )
    for f in fulfillments:
        for gon_id in sorted(owners.get(f.order_id or 0, ())):
            out.append(
                ShipmentRecord(
                    kind=ShipmentKind.FULFILLMENT,
                    remote_id=f.fulfillment_id,
                    gon_id=gon_id,
                    ss_order_id=f.order_id or 0,
                    tracking=f.tracking_number or "",
                    carrier=f.carrier_code or "",
                    service="",
                    shipped_at=f.ship_date or f.create_date or now,
                    created_at=f.create_date,
                    voided=bool(f.voided),
                )
            )
    return out


def _waiting_on_labels(ctx: CycleContext, unfinished: list[Shipment], done: list[Shipment]) -> None:
    """Open notes whose order has a label not completed (and no completed one) say why they wait."""
    live_orders = {s.order_id for s in done if s.live and s.order_id}
    waiting = [s for s in unfinished if s.order_id and s.order_id not in live_orders]
    if not waiting:
        return
    owners = ctx.store.owners_of_ss_orders({s.order_id for s in waiting if s.order_id})
    why: dict[int, str] = {}
    for s in waiting:  # processing wins over error: a label is on its way
        reason = reasons.LABEL_PROCESSING if s.status == "processing" else reasons.LABEL_ERROR
        for gon_id in owners.get(s.order_id or 0, ()):
            if why.get(gon_id) != reasons.LABEL_PROCESSING:
                why[gon_id] = reason
    notes = ctx.store.gons(why, stages=(Stage.IMPORTED,))
    changed = [rec for gon_id, rec in notes.items() if rec.reason != why[gon_id]]
    for rec in changed:
        rec.reason = why[rec.gon_id]
    ctx.store.save_gons(changed)


def _learn_unknown_parts(
    ctx: CycleContext,
    labels: list[Shipment],
    keyed: dict[str, int],
    owners: dict[int, set[int]],
    now: datetime,
) -> None:
    """A label with our key on an order we do not know is on a part of that note's split
    order: keep the part (and the note's own order as one), so every part must be labelled."""
    if not labels:
        return
    records = ctx.store.gons(keyed.values())
    with ctx.store.transaction():
        for s in labels:
            gon_id = keyed[s.order_key or ""]
            own = records[gon_id].ss_order_id or 0
            for part_id in (own, s.order_id or 0):
                ctx.store.save_part(
                    PartRecord(
                        gon_id,
                        part_id,
                        PartKind.SPLIT,
                        s.order_number or "",
                        "shipped" if part_id == s.order_id else "",
                        now,
                    )
                )
            owners.setdefault(s.order_id or 0, set()).add(gon_id)


def _keep(ctx: CycleContext, seen: Iterable[ShipmentRecord]) -> None:
    """Save what was read, keeping what the state knows of each record (its role, its notes); a
    return label newly seen on a confirmed note is said in its reason."""
    seen = list(seen)
    old = ctx.store.shipments_by_remote((r.kind, r.remote_id) for r in seen)
    returns: dict[int, ShipmentRecord] = {}
    with ctx.store.transaction():
        for rec in seen:
            before = old.get((rec.kind, rec.remote_id, rec.gon_id))
            if before is not None:
                rec.role, rec.noted, rec.void_noted = before.role, before.noted, before.void_noted
            elif rec.role == ShipmentRole.RETURN:
                returns[rec.gon_id] = rec
            ctx.store.save_shipment(rec)
    confirmed = ctx.store.gons(returns, stages=(Stage.CONFIRMED,)) if returns else {}
    for gon_id, note in confirmed.items():
        note.reason = reasons.return_ignored(
            returns[gon_id].tracking or str(returns[gon_id].remote_id)
        )
    ctx.store.save_gons(confirmed.values())
