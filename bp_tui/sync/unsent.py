"""Notes not in ShipStation as far as the state knows (ready, or failed before reaching it)
that left Brightpearl's unshipped list: shipped or deleted there.

An import whose answer was lost (a crash, a kill) may still have created the note's order, so
for a note with an import on record its order is looked for by key first. Found, it is adopted
and the note is in step like any imported one (marked shipped or cancelled in ShipStation).
Otherwise the note settles: shipped in Brightpearl, nothing to send; deleted (its GET answers
404), nothing to cancel. Either way it stops counting as failing.
"""

from __future__ import annotations

from bp_tui.core import reasons
from bp_tui.core.intents import IntentKey, IntentKind
from bp_tui.core.records import GonRecord
from bp_tui.core.stages import OPEN_STAGES, Stage
from bp_tui.errors import ApiError
from bp_tui.sync.context import FATAL, CycleContext
from bp_tui.sync.mapping import order_key
from bp_tui.sync.plan import ImportPlan


async def settle_unsent_gone(ctx: CycleContext, plan: ImportPlan) -> None:
    recs = [plan.records[g] for g in plan.unsent_gone
            if g in plan.records and plan.records[g].stage in OPEN_STAGES and not plan.records[g].ss_order_id]
    if not recs:
        return
    # Still there and not shipped: only older than lookback_days (the search's window), not gone.
    recs = [r for r in recs if r.gon_id not in plan.notes or plan.notes[r.gon_id].shipped]
    attempted = ctx.store.keys_attempted(str(IntentKey.for_gon(IntentKind.IMPORT, r.gon_id)) for r in recs)
    settled: list[GonRecord] = []
    for rec in recs:
        await ctx.checkpoint()
        note = plan.notes.get(rec.gon_id)
        if note is None and not await deletion_proven(ctx, rec):
            continue  # not proven deleted: looked at again next cycle
        if str(IntentKey.for_gon(IntentKind.IMPORT, rec.gon_id)) in attempted:
            adopted = await _adopt(ctx, rec)
            if adopted is None:
                continue  # ShipStation could not be read: looked for again next cycle
            if adopted:
                plan.gone.append(rec.gon_id)
                settled.append(rec)
                continue
        if note is not None:  # shipped in Brightpearl
            rec.stage, rec.reason, rec.gon_state = Stage.WAITING, reasons.SHIPPED_IN_BRIGHTPEARL, "shipped"
        else:
            rec.stage, rec.reason = Stage.CANCELLED, reasons.DELETED_BEFORE_IMPORT
        rec.next_attempt_at = None
        settled.append(rec)
    ctx.store.save_gons(settled)


async def deletion_proven(ctx: CycleContext, rec: GonRecord) -> bool:
    """Proof of a deletion: a GET of the note's own id answers 404 (anything else proves nothing)."""
    try:
        return await ctx.bp.goods_out_note_deleted(rec.gon_id)
    except FATAL:
        raise
    except ApiError as exc:
        ctx.summary.errors.append(f"GON {rec.gon_id}: left Brightpearl's unshipped list; whether it was deleted "
                                  f"could not be read (looked at again next cycle): {exc.message or exc}")
        return False


async def _adopt(ctx: CycleContext, rec: GonRecord) -> bool | None:
    """Look for the note's order by its key; adopt the original (not a split part) when found.
    None when ShipStation could not be read."""
    key = order_key(ctx.config.brightpearl.account_code, rec.gon_id)
    try:
        found = await ctx.ss.find_orders_by_key(key, number_prefix=str(rec.order_id),
                                                store_id=ctx.config.shipstation.store_id or None)
    except FATAL:
        raise
    except ApiError as exc:
        ctx.summary.errors.append(f"GON {rec.gon_id}: left Brightpearl's unshipped list; whether an interrupted "
                                  f"import reached ShipStation could not be read: {exc.message or exc}")
        return None
    originals = sorted(found, key=lambda o: o.parent_id is not None)
    if not originals:
        return False
    order = originals[0]
    rec.ss_order_id, rec.ss_order_key, rec.ss_order_number = order.order_id, key, order.order_number
    rec.stage, rec.reason, rec.attempts, rec.next_attempt_at = Stage.IMPORTED, "", 0, None
    return True
