"""Import: map each ready note to an order draft and send the outbox, 100 per call: new orders
(``create_orders``) and KeepInStep's re-sends (``update_orders``). A note whose order ShipStation
already holds (seen by LearnParts under its key: a state file lost or new, an answer lost) is
adopted, not sent again. A new note that cannot be mapped or read, or that ShipStation rejects,
fails alone with the reason and is retried with backoff; a re-send ShipStation refuses leaves
the note imported, with the reason (its order is there)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bp_tui.core import reasons
from bp_tui.core.intents import IntentKey, IntentKind
from bp_tui.core.lifecycle import Event, move
from bp_tui.core.reasons import MappingError
from bp_tui.core.records import GonRecord
from bp_tui.core.shipping import OrderDraft, SendResult
from bp_tui.errors import ApiError, ApiThrottled
from bp_tui.shipstation.models import OrderUpdate
from bp_tui.sync.context import SS_BATCH, CycleContext
from bp_tui.sync.keep_in_step import not_resent
from bp_tui.sync.outbox import Outbox
from bp_tui.sync.payloads import describe, keep_sent, payload_for
from bp_tui.sync.plan import ImportPlan
from bp_tui.sync.writer import Intent

# A dry run's stand-in for the id ShipStation would give a new order. It only ever lives in
# the dry run's rehearsal of the state, which is thrown away.
PLANNED_ORDER_ID = -1


class Import:
    async def __call__(self, ctx: CycleContext, plan: ImportPlan, outbox: Outbox) -> None:
        updates: list[GonRecord] = []
        for n, gid in enumerate(plan.candidates):
            await ctx.breathe(n)
            rec = plan.records[gid]
            draft = _map_new(ctx, plan, rec)
            if draft is None:
                updates.append(rec)
            elif _adopt_held(ctx, rec, draft):
                updates.append(rec)
            else:
                outbox.create(rec, draft)
        ctx.store.save_gons(updates)
        ctx.emit(
            "map",
            len(plan.candidates),
            len(plan.candidates),
            message=f"{len(outbox)} orders to send",
        )
        await send_orders(ctx, outbox)
        if (
            plan.orders_mark
        ):  # every edit found was sent, or its note says why not: not looked for again
            ctx.store.meta.set_watermark("orders", plan.orders_mark)


def _adopt_held(ctx: CycleContext, rec: GonRecord, draft: OrderDraft) -> bool:
    """A note never sent (as far as the state knows) whose order ShipStation holds already:
    taken as imported, nothing sent (the first cycle on a lost state file, an answer lost)."""
    if rec.ss_order_id:
        return False
    held = [o for o in ctx.held_orders.get(draft.key, ()) if o.order_status != "cancelled"]
    if not held:
        return False
    original = sorted(held, key=lambda o: (o.parent_id is not None, o.order_id))[0]
    move(rec, Event.ADOPTED)
    rec.ss_order_id, rec.ss_order_key = original.order_id, draft.key
    rec.ss_order_number = original.order_number or draft.number
    keep_sent(rec, draft)
    ctx.summary.imported += 1
    return True


def _map_new(ctx: CycleContext, plan: ImportPlan, rec: GonRecord) -> OrderDraft | None:
    """The note's order, or None with the record updated to say why it is not sent."""
    gon = plan.notes.get(rec.gon_id)
    if gon is None:  # listed this cycle, yet not in the read: proves nothing, not a deletion
        ctx.fail(rec, reasons.NOTE_NOT_READ, ctx.now())
        return None
    if gon.shipped:
        move(rec, Event.SHIPPED_FIRST)
        rec.gon_state = "shipped"
        ctx.skip(reasons.SHIPPED_REASON.key, rec)
        return None
    order = plan.orders.get(gon.order_id)
    if order is None:
        ctx.fail(rec, reasons.ORDER_MISSING, ctx.now())
        return None
    describe(rec, gon, order)
    why = reasons.eligibility(gon, order, ctx.config)  # the order's channel decides now
    if why is not None:
        move(rec, Event.FOUND_WAITING, why.sentence)
        ctx.skip(why.key, rec)
        return None
    try:
        return payload_for(ctx.config, plan, gon, order)
    except MappingError as exc:
        ctx.fail(rec, str(exc), ctx.now())
        return None


async def send_orders(ctx: CycleContext, outbox: Outbox) -> None:
    """New orders, then updates, 100 per call; each note settles on its own result."""
    resends = outbox.resent()
    await _send(ctx, outbox.creates, ctx.ss.create_orders, resends)
    await _send(ctx, outbox.updates, ctx.ss.update_orders, resends)


def _draft(item: OrderDraft | OrderUpdate) -> OrderDraft:
    return item.draft if isinstance(item, OrderUpdate) else item


async def _send(
    ctx: CycleContext,
    outbox: Sequence[tuple[GonRecord, Any]],
    send: Callable[[list[Any]], Awaitable[list[SendResult]]],
    resends: dict[int, OrderDraft],
) -> None:
    total = len(outbox)
    for start in range(0, total, SS_BATCH):
        await ctx.checkpoint()
        batch = list(outbox[start : start + SS_BATCH])
        keys = {rec.gon_id: IntentKey.for_gon(IntentKind.IMPORT, rec.gon_id) for rec, _ in batch}
        attempted = ctx.store.audit.keys_attempted(str(k) for k in keys.values())
        drafts = [_draft(item) for _, item in batch]
        intents = [
            Intent(
                "shipstation",
                keys[rec.gon_id],
                rec.gon_id,
                rec.order_id,
                detail=d.key,
                plan=f"ShipStation: {'update' if rec.ss_order_id else 'create'} order "
                f"{d.number} ({d.key}) for GON {rec.gon_id}",
            )
            for (rec, _), d in zip(batch, drafts, strict=True)
        ]
        ctx.writer.record(intents)
        planned = [
            SendResult(d.key, rec.ss_order_id or PLANNED_ORDER_ID, d.number, True)
            for (rec, _), d in zip(batch, drafts, strict=True)
        ]
        try:
            results = await ctx.writer.call(
                intents, lambda: send([item for _, item in batch]), planned=planned
            )
        except (ApiError, ApiThrottled) as exc:
            now = ctx.now()
            for rec, _ in batch:
                ctx.fail(rec, f"ShipStation: {exc.message or exc}", now)
            ctx.store.save_gons(rec for rec, _ in batch)
            continue
        by_key = {r.order_key: r for r in results}
        await _adopt_lost_imports(
            ctx,
            list(zip((rec for rec, _ in batch), drafts, strict=True)),
            by_key,
            {str(k) for k in keys.values()} & attempted,
        )
        settled = [
            (intent, *_settle_one(ctx, rec, d, by_key.get(d.key), resends))
            for (rec, _), d, intent in zip(batch, drafts, intents, strict=True)
        ]
        with ctx.store.transaction():
            for rec, _ in batch:
                ctx.store.save_gon(rec)
        ctx.writer.settle_many(settled)
        ctx.emit("import", min(start + SS_BATCH, total), total, gon_id=batch[-1][0].gon_id)


def _settle_one(
    ctx: CycleContext,
    rec: GonRecord,
    draft: OrderDraft,
    result: SendResult | None,
    resends: dict[int, OrderDraft],
) -> tuple[str, str]:
    """Apply ShipStation's answer for one order to its note; the audit result and detail."""
    if result is not None and result.success and result.order_id:
        if rec.ss_order_id:  # an update of its order; a first create after failures is an import
            ctx.summary.updated += 1
        else:
            ctx.summary.imported += 1
        move(rec, Event.SENT)
        rec.ss_order_id = result.order_id
        rec.ss_order_key = result.order_key
        rec.ss_order_number = result.order_number or draft.number
        keep_sent(
            rec, resends.get(rec.gon_id, draft)
        )  # what bp-tui sent of its own, to compare next time
        return "ok", f"ShipStation order {result.order_id}"
    message = (result.error_message if result else None) or "no answer for this order"
    if rec.gon_id in resends:
        not_resent(rec, f"ShipStation refused the update: {message}")
    else:
        ctx.fail(rec, f"ShipStation rejected it: {message}", ctx.now())
    return "failed", message


async def _adopt_lost_imports(
    ctx: CycleContext,
    batch: list[tuple[GonRecord, OrderDraft]],
    by_key: dict[str, SendResult],
    attempted: set[str],
) -> None:
    """An earlier send whose answer was lost may have created the order, and a packer may
    already have shipped it, so the re-send is refused as "not open". Find that order by
    its number (an exact key match) and adopt it instead of failing the note."""
    store_id = ctx.config.shipstation.store_id or None
    for rec, draft in batch:
        key = draft.key
        result = by_key.get(key)
        if result is not None and result.success:
            continue
        if (
            rec.ss_order_id
            or str(IntentKey.for_gon(IntentKind.IMPORT, rec.gon_id)) not in attempted
        ):
            continue  # nothing lost: the order was never created, or we know it already
        try:
            found = await ctx.ss.find_orders_by_number(draft.number, store_id=store_id)
        except (ApiError, ApiThrottled):
            continue
        match = sorted(
            (o for o in found if o.order_key == key), key=lambda o: o.parent_id is not None
        )  # original first
        if match:
            by_key[key] = SendResult(
                order_key=key,
                order_id=match[0].order_id,
                order_number=match[0].order_number,
                success=True,
            )
