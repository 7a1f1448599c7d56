"""Notes not in ShipStation as far as the state knows (ready, or failed before reaching it)
that left Brightpearl's unshipped list: shipped or deleted there.

An import whose answer was lost (a crash, a kill) may still have created the note's order, so
for a note with an import on record its order is looked for by key first. Found, it is adopted
and the note is in step like any imported one (marked shipped or cancelled in ShipStation).
Otherwise the note settles: shipped in Brightpearl, nothing to send; deleted (Brightpearl's own
answer to a read of its id, in two cycles), nothing to cancel. Either way it stops counting as
failing.
"""

from __future__ import annotations

from bp_tui.core import reasons
from bp_tui.core.intents import IntentKey, IntentKind
from bp_tui.core.lifecycle import Event, move
from bp_tui.core.records import GonRecord, iso
from bp_tui.core.stages import OPEN_STAGES
from bp_tui.errors import ApiError, ApiThrottled
from bp_tui.sync.context import CycleContext
from bp_tui.sync.mapping import order_key
from bp_tui.sync.plan import ImportPlan


async def settle_unsent_gone(ctx: CycleContext, plan: ImportPlan) -> None:
    recs = [
        plan.records[g]
        for g in plan.unsent_gone
        if g in plan.records
        and plan.records[g].stage in OPEN_STAGES
        and not plan.records[g].ss_order_id
    ]
    if not recs:
        return
    # Still there and not shipped: only older than lookback_days (the search's window), not gone.
    recs = [r for r in recs if r.gon_id not in plan.notes or plan.notes[r.gon_id].shipped]
    attempted = ctx.store.audit.keys_attempted(
        str(IntentKey.for_gon(IntentKind.IMPORT, r.gon_id)) for r in recs
    )
    settled: list[GonRecord] = []
    for rec in recs:
        await ctx.checkpoint()
        note = plan.notes.get(rec.gon_id)
        if note is None and not await deletion_confirmed(ctx, rec):
            continue  # not proven deleted (twice, in two cycles): looked at again next cycle
        if str(IntentKey.for_gon(IntentKind.IMPORT, rec.gon_id)) in attempted:
            adopted = await _adopt(ctx, rec)
            if adopted is None:
                continue  # ShipStation could not be read: looked for again next cycle
            if adopted:
                plan.gone.append(rec.gon_id)
                settled.append(rec)
                continue
        if note is not None:  # shipped in Brightpearl
            move(rec, Event.SHIPPED_FIRST)
            rec.gon_state = "shipped"
            ctx.skip(reasons.SHIPPED_REASON.key, rec)
        else:
            move(rec, Event.DELETED_FIRST)
            ctx.summary.cancelled += 1
        rec.next_attempt_at = None
        settled.append(rec)
    ctx.store.save_gons(settled)


async def deletion_proven(ctx: CycleContext, rec: GonRecord) -> bool | None:
    """One read of the note by its own id: True when Brightpearl's own answer says it does not
    exist, False when it answers the note, None ("cannot tell": a gateway's 404, an odd answer,
    an error), which is an error of this note for this cycle, looked at again on the next."""
    return (await deletion_read(ctx, rec))[0]


async def deletion_read(ctx: CycleContext, rec: GonRecord) -> tuple[bool | None, str]:
    """``deletion_proven``'s answer, and what it says when it cannot tell."""
    try:
        found = await ctx.bp.goods_out_note_deleted(rec.gon_id)
    except (ApiError, ApiThrottled) as exc:
        found, why = None, exc.message or str(exc)
    else:
        why = "the answer was not Brightpearl's own (a gateway's 404 page, or no note)"
    if found is None:
        ctx.summary.errors.append(f"GON {rec.gon_id}: {reasons.deletion_unknown(why)}")
    return found, why


DELETION_ACTION = "deletion"  # the audit rows of the reads that prove a deletion
SEEN, CLEARED, CONFIRMED = "seen", "cleared", "confirmed"


def deletion_key(gon_id: int) -> str:
    return f"deleted:{gon_id}"


def deletion_seen_before(ctx: CycleContext, gon_ids: list[int]) -> set[int]:
    """The notes with a proof of their deletion on record from an earlier read (not cleared since
    by a read that found the note)."""
    latest = ctx.store.audit.latest_results(deletion_key(g) for g in gon_ids) if gon_ids else {}
    return {g for g in gon_ids if latest.get(deletion_key(g)) in (SEEN, CONFIRMED)}


def note_deletion(ctx: CycleContext, rec: GonRecord, result: str, detail: str) -> None:
    """An audit row of a deletion read (its history shows it): ``seen`` is a first proof."""
    audit_id = ctx.store.audit.record_intent(
        "brightpearl",
        DELETION_ACTION,
        gon_id=rec.gon_id,
        order_id=rec.order_id,
        key=deletion_key(rec.gon_id),
        detail=detail,
    )
    ctx.store.audit.settle_intent(audit_id, result, detail)


def forget_deletion(ctx: CycleContext, recs: list[GonRecord]) -> None:
    """These notes were found in Brightpearl: a first proof of their deletion no longer counts."""
    seen = deletion_seen_before(ctx, [r.gon_id for r in recs]) if recs else set()
    unknown = [r for r in recs if r.reason.startswith(reasons.DELETION_UNKNOWN)]
    for rec in unknown:
        rec.reason = ""
    ctx.store.save_gons(unknown)
    for rec in (r for r in recs if r.gon_id in seen):
        note_deletion(
            ctx, rec, CLEARED, "found in Brightpearl again: the first proof no longer counts"
        )
        if rec.reason.startswith(reasons.DELETION_SEEN):
            rec.reason = reasons.before_deletion_seen(rec.reason)
    ctx.store.save_gons([r for r in recs if r.gon_id in seen])


async def deletion_confirmed(ctx: CycleContext, rec: GonRecord) -> bool:
    """A deletion counts only when read twice, in two cycles: the first proof is an audit row
    (and the note's reason says so), the second, on a later cycle, confirms it. A read that
    finds the note clears the first proof; one that cannot tell keeps it."""
    seen_before = rec.gon_id in deletion_seen_before(ctx, [rec.gon_id])
    proof, why = await deletion_read(ctx, rec)
    if proof is None:  # said on the note too, unless a first proof or another reason is there
        if not rec.reason or rec.reason.startswith(reasons.DELETION_UNKNOWN):
            rec.reason = reasons.deletion_unknown(why)
            ctx.store.save_gons([rec])
        return False
    if not proof:
        forget_deletion(ctx, [rec])
        return False
    if seen_before:
        note_deletion(
            ctx, rec, CONFIRMED, "Brightpearl said again that the note does not exist: deleted"
        )
        return True
    note_deletion(
        ctx,
        rec,
        SEEN,
        "Brightpearl said the note does not exist (first read; a later sync reads it again)",
    )
    rec.reason = reasons.deletion_seen(f"first read {iso(ctx.now())}", rec.reason)
    ctx.store.save_gons([rec])
    return False


async def _adopt(ctx: CycleContext, rec: GonRecord) -> bool | None:
    """Look for the note's order by its key; adopt the original (not a split part) when found.
    None when ShipStation could not be read."""
    key = order_key(ctx.config.brightpearl.account_code, rec.gon_id)
    try:
        found = await ctx.ss.find_orders_by_key(
            key, number_prefix=str(rec.order_id), store_id=ctx.config.shipstation.store_id or None
        )
    except (ApiError, ApiThrottled) as exc:
        ctx.summary.errors.append(
            f"GON {rec.gon_id}: left Brightpearl's unshipped list; whether an interrupted "
            f"import reached ShipStation could not be read: {exc.message or exc}"
        )
        return None
    originals = sorted(found, key=lambda o: o.parent_id is not None)
    if not originals:
        return False
    order = originals[0]
    rec.ss_order_id, rec.ss_order_key, rec.ss_order_number = order.order_id, key, order.order_number
    move(rec, Event.FOUND_SENT)
    return True
