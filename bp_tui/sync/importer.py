"""Import: map each ready note to a ShipStation order and send the outbox (new orders and
KeepInStep's re-sends) with ``createorders``, 100 per call. A note that cannot be mapped or
that ShipStation rejects fails alone, with the reason, and is retried with backoff."""

from __future__ import annotations

import json
from typing import Any

from bp_tui.core import reasons
from bp_tui.core.intents import IntentKey, IntentKind
from bp_tui.core.reasons import MappingError
from bp_tui.core.records import GonRecord
from bp_tui.core.stages import Stage
from bp_tui.errors import ApiError
from bp_tui.shipstation.models import CreateOrderResult
from bp_tui.sync.context import FATAL, SS_BATCH, CycleContext
from bp_tui.sync.keep_in_step import not_resent
from bp_tui.sync.payloads import describe, payload_for
from bp_tui.sync.plan import ImportPlan
from bp_tui.sync.writer import Intent

# A dry run's stand-in for the id ShipStation would give a new order. It only ever lives in
# the dry run's rehearsal of the state, which is thrown away.
PLANNED_ORDER_ID = -1

Outbox = list[tuple[GonRecord, dict[str, Any]]]


class Import:
    async def __call__(self, ctx: CycleContext, plan: ImportPlan) -> None:
        updates: list[GonRecord] = []
        for n, gid in enumerate(plan.candidates):
            await ctx.breathe(n)
            rec = plan.records[gid]
            payload = _map_new(ctx, plan, rec)
            if payload is None:
                updates.append(rec)
            else:
                plan.outbox.append((rec, payload))
        ctx.store.save_gons(updates)
        ctx.emit("map", len(plan.candidates), len(plan.candidates), message=f"{len(plan.outbox)} orders to send")
        await send_orders(ctx, plan.outbox, plan.resends)
        if plan.orders_mark:  # every edit found was sent (or refused with its reason): not looked for again
            ctx.store.set_watermark("orders", plan.orders_mark)


def _map_new(ctx: CycleContext, plan: ImportPlan, rec: GonRecord) -> dict[str, Any] | None:
    """The note's order, or None with the record updated to say why it is not sent."""
    gon = plan.notes.get(rec.gon_id)
    if gon is None:
        rec.stage, rec.reason = Stage.CANCELLED, reasons.DELETED_BEFORE_IMPORT
        return None
    if gon.shipped:
        rec.stage, rec.reason, rec.gon_state = Stage.WAITING, reasons.SHIPPED_IN_BRIGHTPEARL, "shipped"
        ctx.skip(reasons.SHIPPED_REASON.key)
        return None
    order = plan.orders.get(gon.order_id)
    if order is None:
        ctx.fail(rec, reasons.ORDER_MISSING, ctx.now())
        return None
    describe(rec, gon, order)
    why = reasons.eligibility(gon, order, ctx.config)  # the order's channel decides now
    if why is not None:
        rec.stage, rec.reason = Stage.WAITING, why.sentence
        ctx.skip(why.key)
        return None
    try:
        return payload_for(ctx.config, plan, gon, order)
    except MappingError as exc:
        ctx.fail(rec, str(exc), ctx.now())
        return None


async def send_orders(ctx: CycleContext, outbox: Outbox, resends: dict[int, dict[str, Any]]) -> None:
    """createorders in batches of 100; each note settles on its own result."""
    total = len(outbox)
    for start in range(0, total, SS_BATCH):
        await ctx.checkpoint()
        batch = outbox[start : start + SS_BATCH]
        keys = {rec.gon_id: IntentKey.for_gon(IntentKind.IMPORT, rec.gon_id) for rec, _ in batch}
        attempted = ctx.store.keys_attempted(str(k) for k in keys.values())
        intents = [Intent("shipstation", keys[rec.gon_id], rec.gon_id, rec.order_id, detail=str(p["orderKey"]),
                          plan=f"ShipStation: {'update' if rec.ss_order_id else 'create'} order "
                               f"{p['orderNumber']} ({p['orderKey']}) for GON {rec.gon_id}")
                   for rec, p in batch]
        ctx.writer.record(intents)
        planned = [CreateOrderResult(str(p["orderKey"]), rec.ss_order_id or PLANNED_ORDER_ID, str(p["orderNumber"]),
                                     True) for rec, p in batch]
        try:
            results = await ctx.writer.call(intents, lambda: ctx.ss.create_orders([p for _, p in batch]),
                                            planned=planned)
        except FATAL:
            raise
        except ApiError as exc:
            now = ctx.now()
            for rec, _ in batch:
                ctx.fail(rec, f"ShipStation: {exc.message or exc}", now)
            ctx.store.save_gons(rec for rec, _ in batch)
            continue
        by_key = {r.order_key: r for r in results}
        await _adopt_lost_imports(ctx, batch, by_key, {str(k) for k in keys.values()} & attempted)
        settled = [(intent, *_settle_one(ctx, rec, payload, by_key.get(str(payload["orderKey"])), resends))
                   for (rec, payload), intent in zip(batch, intents)]
        with ctx.store.transaction():
            for rec, _ in batch:
                ctx.store.save_gon(rec)
        ctx.writer.settle_many(settled)
        ctx.emit("import", min(start + SS_BATCH, total), total, gon_id=batch[-1][0].gon_id)


def _settle_one(ctx: CycleContext, rec: GonRecord, payload: dict[str, Any], result: CreateOrderResult | None,
                resends: dict[int, dict[str, Any]]) -> tuple[str, str]:
    """Apply ShipStation's answer for one order to its note; the audit result and detail."""
    if result is not None and result.success and result.order_id:
        if rec.ss_order_id or rec.attempts:
            ctx.summary.updated += 1
        else:
            ctx.summary.imported += 1
        rec.stage, rec.reason, rec.attempts, rec.next_attempt_at = Stage.IMPORTED, "", 0, None
        rec.ss_order_id = result.order_id
        rec.ss_order_key = result.order_key
        rec.ss_order_number = result.order_number or str(payload["orderNumber"])
        ours = resends.get(rec.gon_id, payload)  # what bp-tui sent of its own, to compare next time
        rec.ss_payload = json.dumps({k: v for k, v in ours.items() if k != "orderId"}, ensure_ascii=False)
        return "ok", f"ShipStation order {result.order_id}"
    message = (result.error_message if result else None) or "no answer for this order"
    if rec.gon_id in resends:
        not_resent(rec, f"ShipStation refused the update: {message}")
    else:
        ctx.fail(rec, f"ShipStation rejected it: {message}", ctx.now())
    return "failed", message


async def _adopt_lost_imports(ctx: CycleContext, batch: Outbox, by_key: dict[str, CreateOrderResult],
                              attempted: set[str]) -> None:
    """An earlier send whose answer was lost may have created the order, and a packer may
    already have shipped it, so the re-send is refused as "not open". Find that order by
    its number (an exact orderKey match) and adopt it instead of failing the note."""
    store_id = ctx.config.shipstation.store_id or None
    for rec, payload in batch:
        key = str(payload["orderKey"])
        result = by_key.get(key)
        if result is not None and result.success:
            continue
        if rec.ss_order_id or str(IntentKey.for_gon(IntentKind.IMPORT, rec.gon_id)) not in attempted:
            continue  # nothing lost: the order was never created, or we know it already
        try:
            found = await ctx.ss.find_orders_by_number(str(payload["orderNumber"]), store_id=store_id)
        except FATAL:
            raise
        except ApiError:
            continue
        match = sorted((o for o in found if o.order_key == key), key=lambda o: o.parent_id is not None)  # original first
        if match:
            by_key[key] = CreateOrderResult(order_key=key, order_id=match[0].order_id,
                                            order_number=match[0].order_number, success=True)
