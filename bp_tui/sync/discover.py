"""Discover: one goods-out-search for unshipped notes of the last ``lookback_days``; each
note is waiting (with the reason) or ready; imported notes that left the list, ready or
failed ones that left it (an interrupted import may have reached ShipStation), and those
whose order was edited in Brightpearl since the last cycle, are noted for KeepInStep."""

from __future__ import annotations

from datetime import datetime, timedelta

from bp_tui.brightpearl.models import GoodsOutSearchRow
from bp_tui.core import reasons
from bp_tui.core.lifecycle import Event, move
from bp_tui.core.reasons import eligibility
from bp_tui.core.records import GonRecord, iso, parse_iso
from bp_tui.core.stages import OPEN_STAGES, Stage
from bp_tui.sync.context import ORDER_CHANGE_OVERLAP, CycleContext
from bp_tui.sync.plan import ImportPlan
from bp_tui.sync.unsent import deletion_seen_before, forget_deletion


class Discover:
    async def __call__(self, ctx: CycleContext) -> ImportPlan:
        now = ctx.now()
        ctx.emit("discover", 0, 1, message="searching goods-out notes")
        rows = await ctx.bp.search_goods_out(
            shipped=False, created_after=now - timedelta(days=ctx.config.sync.lookback_days)
        )
        ctx.emit("discover", 1, 1, message=f"{len(rows)} unshipped goods-out notes")
        # Only what this cycle can touch: the notes found, and the imported ones (which may have
        # left the list). Confirmed history is never loaded here, so a cycle costs the same
        # after a year as on the first day.
        known = await ctx.load_stages((Stage.IMPORTED, Stage.READY, Stage.FAILED))
        known.update(
            await ctx.load_ids(
                [r.goods_out_note_id for r in rows if r.goods_out_note_id not in known]
            )
        )
        plan = ImportPlan()
        seen: set[int] = set()
        changed: list[GonRecord] = []
        for n, row in enumerate(rows):
            await ctx.breathe(n)
            seen.add(row.goods_out_note_id)
            rec, is_changed = self._place(ctx, row, known.get(row.goods_out_note_id), now, plan)
            if is_changed:
                changed.append(rec)
        ctx.store.save_gons(changed)
        # Listed, so not deleted: a first proof of a deletion read earlier no longer counts.
        forget_deletion(
            ctx, [known[g] for g in deletion_seen_before(ctx, [g for g in seen if g in known])]
        )
        left = {g: r for g, r in known.items() if g not in seen}
        # A ready or failed note that has an order (it failed at an update) is in ShipStation like
        # an imported one, unless it has labels: then it is failing at confirmation, its shipped
        # event perhaps posted by us, and Confirm finishes it.
        with_order = [
            g for g, r in left.items() if r.stage in (Stage.READY, Stage.FAILED) and r.ss_order_id
        ]
        labelled = (
            {g for g, found in ctx.store.shipments_of(with_order).items() if found}
            if with_order
            else set()
        )
        plan.gone = [g for g, r in left.items() if r.stage == Stage.IMPORTED] + [
            g for g in with_order if g not in labelled
        ]
        plan.unsent_gone = [
            g
            for g, r in left.items()
            if r.stage in (Stage.READY, Stage.FAILED) and not r.ss_order_id
        ]
        edited = await self._edited(ctx, known, set(plan.gone), now, plan)
        plan.changed = list(dict.fromkeys(plan.changed + edited))
        return plan

    @staticmethod
    def _place(
        ctx: CycleContext,
        row: GoodsOutSearchRow,
        rec: GonRecord | None,
        now: datetime,
        plan: ImportPlan,
    ) -> tuple[GonRecord, bool]:
        """Update the note's record from its search row and decide: waiting or a candidate."""
        new = rec is None
        if rec is None:
            rec = GonRecord(
                gon_id=row.goods_out_note_id, order_id=row.order_id, stage=Stage.WAITING
            )
        before = (rec.stage, rec.reason, rec.gon_state, rec.warehouse_id, rec.channel_id)
        rec.order_id = row.order_id
        rec.warehouse_id = row.warehouse_id
        if row.channel_id is not None:
            rec.channel_id = row.channel_id
        rec.gon_state = _state_word(row)
        if _listed_again(rec):
            ctx.summary.attention += 1
        if rec.stage in OPEN_STAGES:
            # A note already in ShipStation never goes back to waiting (nothing would follow its
            # order any more): it stays in line for KeepInStep.
            why = (
                None
                if rec.ss_order_id
                else eligibility(row, None, ctx.config, known_channel=rec.channel_id)
            )
            if why:
                ctx.skip(why.key, rec)
                move(rec, Event.FOUND_WAITING, why.sentence)
            elif rec.stage == Stage.FAILED and rec.next_attempt_at and rec.next_attempt_at > now:
                ctx.skip("backoff", rec)
            else:
                if rec.stage == Stage.WAITING:
                    move(rec, Event.FOUND_ELIGIBLE)
                # A note already in ShipStation (it failed later, at confirm or at an update) is
                # never imported again blind: KeepInStep reads its order and updates it if needed.
                (plan.changed if rec.ss_order_id else plan.candidates).append(rec.gon_id)
        return rec, new or before != (
            rec.stage,
            rec.reason,
            rec.gon_state,
            rec.warehouse_id,
            rec.channel_id,
        )

    @staticmethod
    async def _edited(
        ctx: CycleContext,
        known: dict[int, GonRecord],
        gone: set[int],
        now: datetime,
        plan: ImportPlan,
    ) -> list[int]:
        """Imported notes whose order was edited in Brightpearl since the last cycle (one search
        call), so corrections such as a new delivery address reach the open ShipStation order."""
        imported = {g: r for g, r in known.items() if r.stage == Stage.IMPORTED and g not in gone}
        mark = parse_iso(ctx.store.meta.watermark("orders"))
        plan.orders_mark = iso(now) or ""  # kept once Import has sent what these edits change
        if not imported or mark is None:
            return []
        orders = set(await ctx.bp.search_updated_orders(mark - ORDER_CHANGE_OVERLAP))
        return [g for g, r in imported.items() if r.order_id in orders]


def _listed_again(rec: GonRecord) -> bool:
    """A note the unshipped search lists is not deleted, whatever was concluded before: a first
    proof of its deletion is forgotten, a held cancellation dropped, and a note marked cancelled
    comes back. Never in ShipStation, it is sent again; its ShipStation order cancelled, a person
    restores it (ShipStation never reopens a cancelled order through its API): True then."""
    if rec.reason.startswith(reasons.DELETION_SEEN):
        rec.reason = reasons.before_deletion_seen(rec.reason)
    elif rec.reason.startswith(reasons.DELETION_UNKNOWN):
        rec.reason = ""
    if rec.stage == Stage.ATTENTION and rec.reason.startswith(reasons.CANCELS_HELD):
        move(rec, Event.FOUND_AGAIN)
    elif rec.stage == Stage.CANCELLED and not rec.ss_order_id:
        move(rec, Event.RELISTED)
    elif rec.stage == Stage.CANCELLED:
        move(rec, Event.RELISTED_AFTER_CANCEL)
        return True
    return False


def _state_word(row: GoodsOutSearchRow) -> str:
    for word in ("shipped", "packed", "picked", "printed"):
        if getattr(row, word, False):
            return word
    return "new"
