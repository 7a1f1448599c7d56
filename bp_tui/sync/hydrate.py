"""Hydrate: the notes the plan touches by id set (500 per call), the orders of those to send
(200 per call), and product weights and stock tracking (50 per call, cached in the state)."""

from __future__ import annotations

from bp_tui.brightpearl.models import GoodsOutNote, Order
from bp_tui.sync.context import CycleContext
from bp_tui.sync.plan import ImportPlan


class Hydrate:
    async def __call__(self, ctx: CycleContext, plan: ImportPlan) -> None:
        to_send = plan.candidates + plan.changed
        wanted = list(dict.fromkeys(to_send + plan.gone + plan.unsent_gone))
        if not wanted:
            return
        ctx.emit("hydrate", 0, len(wanted), message="reading goods-out notes")
        plan.notes = await ctx.bp.get_goods_out_notes(wanted)
        order_ids = {
            plan.notes[g].order_id for g in to_send if g in plan.notes and plan.notes[g].order_id
        }
        ctx.emit(
            "hydrate", len(plan.notes), len(wanted), message=f"reading {len(order_ids)} orders"
        )
        plan.orders = await ctx.bp.get_orders(order_ids) if order_ids else {}
        plan.products = await _products(
            ctx, [plan.notes[g] for g in to_send if g in plan.notes], plan.orders
        )
        plan.weights = {pid: weight for pid, (weight, _tracked) in plan.products.items()}
        plan.records = ctx.store.gons(wanted)


async def _products(
    ctx: CycleContext, gons: list[GoodsOutNote], orders: dict[int, Order]
) -> dict[int, tuple[float | None, bool]]:
    """Weight and stock-tracking of the products we need, cached in the state between cycles."""
    ids: set[int] = set()
    if ctx.config.products.include_weights:
        ids |= {
            p.product_id for g in gons for parts in g.rows.values() for p in parts if p.product_id
        }
    if not ctx.config.products.skip_non_stock_rows:
        ids |= {r.product_id for o in orders.values() for r in o.rows.values() if r.product_id}
    if not ids:
        return {}
    cached = ctx.store.meta.products(ids)
    missing = [pid for pid in ids if pid not in cached]
    if missing:
        fetched = await ctx.bp.get_products(missing)
        rows = [(pid, fetched[pid].weight, fetched[pid].stock_tracked) for pid in fetched]
        rows += [(pid, None, True) for pid in missing if pid not in fetched]
        ctx.store.meta.save_products(rows)
        cached.update({pid: (w, st) for pid, w, st in rows})
    return cached
