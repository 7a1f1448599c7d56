"""KeepInStep: notes already in ShipStation follow what happened to them in Brightpearl: an
edit is queued in the outbox for Import to re-send, a shipment without a label marks the order
shipped, a proven deletion cancels it (what each means for a note, and the guards on
cancelling: docs/cycle.md). A note that left the list before it was known in ShipStation is
settled first (``unsent``)."""

from __future__ import annotations

from bp_tui.brightpearl.models import GoodsOutNote
from bp_tui.core import reasons
from bp_tui.core.intents import IntentKey, IntentKind
from bp_tui.core.lifecycle import Event, move
from bp_tui.core.reasons import MappingError
from bp_tui.core.records import GonRecord, PartRecord
from bp_tui.core.shipping import OrderDraft, SendResult
from bp_tui.core.stages import OPEN_STAGES, PartKind, Stage
from bp_tui.errors import ApiError, ApiThrottled
from bp_tui.shipstation.models import Order as ShipStationOrder
from bp_tui.shipstation.models import OrderUpdate
from bp_tui.sync.context import SS_BATCH, CycleContext
from bp_tui.sync.outbox import Outbox
from bp_tui.sync.payloads import OPEN_STATUSES, describe, payload_for, sent_draft
from bp_tui.sync.plan import ImportPlan
from bp_tui.sync.unsent import (
    deletion_confirmed,
    deletion_proven,
    forget_deletion,
    settle_unsent_gone,
)
from bp_tui.sync.writer import Intent


class KeepInStep:
    async def __call__(self, ctx: CycleContext, plan: ImportPlan, outbox: Outbox) -> None:
        await settle_unsent_gone(ctx, plan)
        # Read by id though no longer listed (shipped, or older than lookback_days): not deleted.
        forget_deletion(
            ctx, [plan.records[g] for g in plan.gone if g in plan.notes and g in plan.records]
        )
        await self._queue_resends(ctx, plan, outbox)
        shipped_outside = [
            (plan.records[g], plan.notes[g])
            for g in plan.gone
            if g in plan.records and g in plan.notes and plan.notes[g].shipped
        ]
        await mark_shipped_in_shipstation(ctx, shipped_outside)
        missing = [plan.records[g] for g in plan.gone if g not in plan.notes and g in plan.records]
        await cancel_deleted(ctx, await _confirmed_deleted(ctx, missing))

    @staticmethod
    async def _queue_resends(ctx: CycleContext, plan: ImportPlan, outbox: Outbox) -> None:
        """Notes in ShipStation whose order would change go to the outbox as updates of the
        order ShipStation holds (read first: only bp-tui's fields change)."""
        held: list[GonRecord] = []
        due: list[tuple[GonRecord, OrderDraft]] = []
        parts = ctx.store.parts_of(plan.changed)
        for gid in plan.changed:
            rec, gon = plan.records[gid], plan.notes.get(gid)
            order = plan.orders.get(gon.order_id) if gon is not None else None
            if gon is not None and gon.shipped:
                continue  # shipped since it was listed: the next cycle sees it leave the list
            if gon is None or order is None:  # listed, so not deleted: read again, edit kept
                why = reasons.NOTE_NOT_READ if gon is None else reasons.ORDER_MISSING
                ctx.fail(rec, f"changed in Brightpearl, but {why}", ctx.now())
                held.append(rec)
                continue
            describe(rec, gon, order)
            held.append(rec)
            try:
                draft = payload_for(ctx.config, plan, gon, order)
            except MappingError as exc:  # still in ShipStation: keep it, say why it was not updated
                not_resent(rec, f"cannot be re-sent: {exc}")
                continue
            if sent_draft(rec) == draft:
                if rec.stage in OPEN_STAGES:  # a retry with nothing to re-send: its labels are next
                    move(rec, Event.UNCHANGED)
                continue  # the change does not touch the ShipStation order
            if (
                gid in parts
            ):  # split or merged in ShipStation: no update can be right for every part
                not_resent(rec, f"{_parts_words(parts[gid])}: make the change in ShipStation")
                continue
            due.append((rec, draft))
        opened = await _open_orders(ctx, [rec.ss_order_id for rec, _ in due if rec.ss_order_id])
        for rec, draft in due:
            await ctx.checkpoint()
            update = await _update_for(ctx, rec, draft, opened.get(rec.ss_order_id or 0))
            if update is not None:
                outbox.update(rec, update)
        ctx.store.save_gons(held)


def _parts_words(parts: list[PartRecord]) -> str:
    merged = [p for p in parts if p.kind == PartKind.MERGED]
    if merged:
        return f"its ShipStation order was merged into order {merged[-1].order_number}"
    return f"its ShipStation order was split into {len(parts)} there"


def not_resent(rec: GonRecord, why: str) -> None:
    """The note stays in ShipStation as it is; the reason says why the change was not sent."""
    rec.reason = f"changed in Brightpearl, but {why}"
    if rec.stage in OPEN_STAGES:
        move(rec, Event.NOT_RESENT)


async def _open_orders(ctx: CycleContext, ss_order_ids: list[int]) -> dict[int, ShipStationOrder]:
    """The open ShipStation orders among these, read in pages where the adapter can (V1: by
    status); the others are read one by one. A failed read only means one by one."""
    if not ss_order_ids:
        return {}
    try:
        return await ctx.ss.get_open_orders(
            ss_order_ids, store_id=ctx.config.shipstation.store_id or None
        )
    except (ApiError, ApiThrottled):
        return {}


async def _update_for(
    ctx: CycleContext, rec: GonRecord, draft: OrderDraft, read: ShipStationOrder | None = None
) -> OrderUpdate | None:
    """The update to send: the ShipStation order as it is now (``read`` already, or read here)
    and the draft; None (the record saying why) when it must not be sent."""
    try:
        current = read or await ctx.ss.get_order(rec.ss_order_id or 0)
    except (ApiError, ApiThrottled) as exc:
        if exc.status == 404:
            not_resent(
                rec,
                f"its ShipStation order {rec.ss_order_id} no longer exists there "
                "(merged into another order, or deleted)",
            )
        else:  # retried after the backoff, with the order read again
            ctx.fail(
                rec,
                f"changed in Brightpearl, but its ShipStation order could not be read before the "
                f"update: {exc.message or exc}",
                ctx.now(),
            )
        return None
    if current.order_status not in OPEN_STATUSES:
        not_resent(
            rec,
            f"ShipStation refused the update: order {current.order_number} is "
            f"{current.order_status}, and only open orders can change",
        )
        return None
    if current.merged_or_split or current.parent_id:
        not_resent(
            rec,
            f"its ShipStation order {current.order_number} was split or merged there: "
            "make the change in ShipStation",
        )
        return None
    return OrderUpdate(current, draft)


# The audit results of a mark that may have reached ShipStation: open, lost in a crash, or sent
# without an answer.
MAYBE_SENT = frozenset({"intent", "lost", "error"})


async def mark_shipped_in_shipstation(
    ctx: CycleContext, items: list[tuple[GonRecord, GoodsOutNote]]
) -> None:
    """Notes shipped in Brightpearl without a ShipStation label: mark their still-open
    ShipStation orders shipped, so nobody ships them twice. If ShipStation refuses, the
    note needs attention."""
    parts = ctx.store.parts_of(rec.gon_id for rec, _ in items) if items else {}
    carrying = (
        ctx.store.merged_into(rec.ss_order_id for rec, _ in items if rec.ss_order_id)
        if items
        else {}
    )
    # A mark an earlier run may have sent (its answer lost): read back, never sent again blind.
    latest = (
        ctx.store.audit.latest_results(str(_mark_key(rec)) for rec, _ in items) if items else {}
    )
    for rec, gon in items:
        await ctx.checkpoint()
        rec.gon_state = "shipped"
        if (
            rec.gon_id in parts or rec.ss_order_id in carrying
        ):  # marking one order would ship other notes' goods
            ctx.attention(rec, reasons.SHIPPED_OUTSIDE_PARTS)
            ctx.store.save_gons([rec])
            continue
        if not await _mark_shipped(ctx, rec, gon, latest.get(str(_mark_key(rec)))):
            ctx.store.save_gons([rec])  # it says why, or it is read again next sync
            continue
        move(rec, Event.SHIPPED_OUTSIDE)
        rec.tracking, rec.confirmed_at = gon.shipping_reference, ctx.now()
        ctx.summary.confirmed += 1
        ctx.store.save_gons([rec])


def _mark_key(rec: GonRecord) -> IntentKey:
    return IntentKey.for_gon(IntentKind.MARK_SHIPPED, rec.gon_id)


async def _mark_shipped(
    ctx: CycleContext, rec: GonRecord, gon: GoodsOutNote, earlier: str | None
) -> bool:
    """Mark one note's ShipStation order shipped; True when it is (by this mark, or by an
    earlier one read back). ``earlier``: the audit result of the last mark sent for it."""
    shipped_on = gon.shipped_on or ctx.now()
    intent = Intent(
        "shipstation",
        _mark_key(rec),
        rec.gon_id,
        rec.order_id,
        detail=gon.shipping_reference,
        plan=f"ShipStation: mark order {rec.ss_order_number} shipped "
        f"(GON {rec.gon_id} shipped in Brightpearl)",
    )
    ours = earlier in MAYBE_SENT
    status = await ss_status(ctx, rec.ss_order_id) if ours else None
    if ours and status is None:
        ctx.summary.errors.append(
            f"GON {rec.gon_id}: shipped in Brightpearl; an earlier mark of its ShipStation "
            "order had no answer, and the order could not be read: read again next sync"
        )
        return False
    ctx.writer.record([intent])
    if status == "shipped":
        ctx.writer.settle(intent, "ok", "already marked shipped in ShipStation (read)")
    else:
        try:
            await ctx.writer.call(
                [intent],
                lambda: ctx.ss.mark_as_shipped(
                    rec.ss_order_id or 0,
                    carrier_code="other",
                    shipped_at=shipped_on,
                    tracking_number=gon.shipping_reference,
                    notify_customer=ctx.config.shipstation.notify_customer,
                    notify_sales_channel=ctx.config.shipstation.notify_sales_channel,
                ),
                planned=None,
            )
        except (ApiError, ApiThrottled) as exc:
            if await ss_status(ctx, rec.ss_order_id) != "shipped":
                ctx.attention(rec, f"{reasons.SHIPPED_OUTSIDE} (ShipStation: {exc.message})")
                return False
            # Refused (or not sent), and shipped there: by a label or a person, not by us.
            # Settled as refused, so a later cycle never takes it for a mark of ours.
            ctx.writer.settle(intent, "failed", "not marked: shipped in ShipStation already")
            rec.reason = reasons.SHIPPED_BOTH_SIDES  # its label is written back once read
            return False
        ctx.writer.settle(intent, "ok", "marked shipped in ShipStation")
    return True


async def _confirmed_deleted(ctx: CycleContext, missing: list[GonRecord]) -> list[GonRecord]:
    """Of the imported notes the id-set read did not return, those whose deletion Brightpearl's
    own answer proved twice, in two cycles (``deletion_confirmed``). The guard: more than
    ``sync.max_cancels`` of them, or every open order, are cancelled only when the sync was run
    to confirm it (``ctx.confirm_cancel``); otherwise they wait in attention, saying how to
    confirm. A confirming sync also takes the notes held before, each read once more."""
    deleted = []
    for rec in missing:
        await ctx.checkpoint()
        if await deletion_confirmed(ctx, rec):
            deleted.append(rec)
    if ctx.confirm_cancel:
        return deleted + await _held_still_deleted(ctx, {r.gon_id for r in deleted})
    limit = ctx.config.sync.max_cancels
    open_orders = ctx.store.queue.stage_counts().get(Stage.IMPORTED, 0)
    if deleted and (len(deleted) > limit or len(deleted) >= open_orders):
        why = reasons.cancels_held(len(deleted), open_orders, limit)
        for rec in deleted:
            ctx.attention(rec, why)
        ctx.store.save_gons(deleted)
        ctx.summary.errors.append(why)
        return []
    return deleted


async def _held_still_deleted(ctx: CycleContext, taken: set[int]) -> list[GonRecord]:
    """The notes the guard held, read once more: still deleted ones are cancelled now; one that
    Brightpearl answers again goes back to imported; one it cannot tell about stays held."""
    held = [
        r
        for r in ctx.store.gons(stages=(Stage.ATTENTION,)).values()
        if r.reason.startswith(reasons.CANCELS_HELD) and r.gon_id not in taken and r.ss_order_id
    ]
    out, back = [], []
    for rec in held:
        await ctx.checkpoint()
        proof = await deletion_proven(ctx, rec)
        if proof:
            out.append(rec)
        elif proof is False:
            move(rec, Event.FOUND_AGAIN)
            back.append(rec)
    ctx.store.save_gons(back)
    return out


async def cancel_deleted(ctx: CycleContext, deleted: list[GonRecord]) -> None:
    """Notes deleted in Brightpearl after import: cancel their open ShipStation orders (each
    read first)."""
    batch: list[tuple[GonRecord, ShipStationOrder]] = []
    parts = ctx.store.parts_of(r.gon_id for r in deleted) if deleted else {}
    for rec in deleted:
        await ctx.checkpoint()
        if (
            rec.gon_id in parts
        ):  # the order is gone or carries more than this note: a person decides
            ctx.attention(
                rec,
                f"deleted in Brightpearl, but {_parts_words(parts[rec.gon_id])}: cancel it "
                "(or remove its items) in ShipStation",
            )
            ctx.store.save_gons([rec])
            continue
        current = await _cancellation_of(ctx, rec)
        if current is not None:
            batch.append((rec, current))
    for start in range(0, len(batch), SS_BATCH):
        part = batch[start : start + SS_BATCH]
        intents = [
            Intent(
                "shipstation",
                IntentKey.for_gon(IntentKind.CANCEL, r.gon_id),
                r.gon_id,
                r.order_id,
                detail="GON deleted",
                plan=f"ShipStation: cancel order {o.order_number} (GON {r.gon_id} deleted)",
            )
            for r, o in part
        ]
        ctx.writer.record(intents)
        planned = [SendResult(o.order_key, r.ss_order_id, o.order_number, True) for r, o in part]
        try:
            answers = await ctx.writer.call(
                intents, lambda: ctx.ss.cancel_orders([o for _, o in part]), planned=planned
            )
        except (ApiError, ApiThrottled) as exc:  # the intents say so; the deletion stays proven
            ctx.summary.errors.append(
                f"GON {', '.join(str(r.gon_id) for r, _ in part)}: deleted in Brightpearl; "
                f"ShipStation did not answer the cancel, so it is read and cancelled on a later "
                f"sync: {exc.message or exc}"
            )
            continue
        results = {r.order_key: r for r in answers}
        settled = []
        for (rec, current), intent in zip(part, intents, strict=True):
            res = results.get(current.order_key)
            if res is not None and res.success:
                _cancelled(ctx, rec)
                settled.append((intent, "ok", "cancelled"))
            elif await ss_status(ctx, rec.ss_order_id) == "cancelled":
                # Cancelled already: our own earlier cancel whose answer was lost.
                _cancelled(ctx, rec)
                settled.append((intent, "ok", "already cancelled"))
            else:
                msg = res.error_message if res else "no answer"
                ctx.attention(
                    rec,
                    f"deleted in Brightpearl, but ShipStation would not cancel its order: {msg}",
                )
                settled.append((intent, "failed", str(msg)))
        ctx.store.save_gons(r for r, _ in part)
        ctx.writer.settle_many(settled)


def _cancelled(ctx: CycleContext, rec: GonRecord) -> None:
    move(rec, Event.CANCELLED)
    ctx.summary.cancelled += 1


async def _cancellation_of(ctx: CycleContext, rec: GonRecord) -> ShipStationOrder | None:
    """The note's ShipStation order to cancel, read first; None (the note moved on: cancelled
    already, or in attention saying why) when there is nothing to send. An order that cannot be
    read now is left for the next cycle, which sees the deletion again."""
    try:
        current = await ctx.ss.get_order(rec.ss_order_id or 0) if rec.ss_order_id else None
    except (ApiError, ApiThrottled) as exc:
        if exc.status != 404:
            ctx.summary.errors.append(
                f"GON {rec.gon_id}: deleted in Brightpearl; its ShipStation order could "
                f"not be read, so it is cancelled on a later sync: {exc.message or exc}"
            )
            return None
        current = None
    if current is None:
        ctx.attention(
            rec,
            f"deleted in Brightpearl; its ShipStation order {rec.ss_order_id or ''} "
            "no longer exists there (merged into another order, or deleted): check ShipStation",
        )
    elif current.order_status == "cancelled":
        _cancelled(ctx, rec)
    elif current.order_status not in OPEN_STATUSES:
        ctx.attention(
            rec,
            f"deleted in Brightpearl, but its ShipStation order {current.order_number} is "
            f"{current.order_status}: check it in ShipStation",
        )
    elif current.merged_or_split or current.parent_id:
        ctx.attention(
            rec,
            f"deleted in Brightpearl, but its ShipStation order {current.order_number} was split "
            "or merged there: cancel it (or remove its items) in ShipStation",
        )
    else:  # the order as read, with its identity from the state where the answer lacks it
        current.order_key = rec.ss_order_key or current.order_key
        current.order_number = current.order_number or rec.ss_order_number or ""
        return current
    ctx.store.save_gons([rec])
    return None


async def ss_status(ctx: CycleContext, ss_order_id: int | None) -> str | None:
    """The ShipStation order's status now, or None if it cannot be read."""
    if not ss_order_id:
        return None
    try:
        return (await ctx.ss.get_order(ss_order_id)).order_status
    except (ApiError, ApiThrottled):
        return None
