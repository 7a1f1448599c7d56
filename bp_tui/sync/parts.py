"""What ShipStation users did to our orders, learnt at the start of every cycle (before any
step acts on an order: a re-send, a cancel or a mark-shipped must know an order was split or
merged) from the orders changed since the last read (the port's ``list_modified_orders``, one
paged read, store-scoped):

- a **split** order has parts with their own order id, the original's id as their parent and
  the same key: each part (the original too) is kept for the note, which is confirmed once
  every part has a live label or is cancelled. Where the platform shows no parent (V2), a part
  is an order with the note's key and an id that is not the note's;
- a **merged** order lists the orders merged into it (they vanish from the API): the note of
  each merged-away order is carried by the survivor, whose label confirms it; its own key is
  never sent again (that would create a new order).

The status of every known part is refreshed from the same read (a cancelled part counts as
done), and the orders under our keys are kept for Import (``CycleContext.held_orders``): a note
never sent whose order is there is adopted, so a lost state file or a lost answer never makes
a second order, and no order is looked up one by one.

The read starts at a cursor: the newest change seen so far (the platform's own clock, never
later than ours), less ``OVERLAP`` for changes that appear in the list late. A quiet cycle reads
one page, whatever the day's volume. A new state reads ``sync.lookback_days``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bp_tui.core.records import PartRecord, iso, parse_iso
from bp_tui.core.stages import PartKind
from bp_tui.shipstation.models import Order
from bp_tui.sync.context import CycleContext
from bp_tui.sync.mapping import order_key

# Changes that appear in the list after later ones (the cursor is the platform's own clock, so
# clock differences do not count; an adapter whose filter is ambiguous, as V1's Pacific wall time
# around a daylight-saving change, widens its own filter). At 10,000 orders a day, 15 minutes of
# changes fit in one page of 500.
OVERLAP = timedelta(minutes=15)


class LearnParts:
    async def __call__(self, ctx: CycleContext) -> None:
        now = ctx.now()
        mark = min(
            parse_iso(ctx.store.meta.watermark("ss_orders"))
            or now - timedelta(days=ctx.config.sync.lookback_days),
            now,
        )
        ctx.emit("parts", 0, 1, message="reading orders changed in ShipStation")
        orders = await ctx.ss.list_modified_orders(
            modify_date_start=mark - OVERLAP, store_id=ctx.config.shipstation.store_id or None
        )
        orders = [o for o in orders if o is not None]
        ctx.held_orders = held_by_key(ctx, orders)
        learn_parts(ctx, orders, now)
        ctx.emit("parts", 1, 1, message=f"{len(orders)} orders changed in ShipStation")
        ctx.store.meta.set_watermark(
            "ss_orders", iso(cursor_after(mark, [o.modify_date for o in orders], now)) or ""
        )


def cursor_after(mark: datetime, seen: list[datetime | None], now: datetime) -> datetime:
    """Where the next read starts (before its overlap): the newest date seen, never before
    ``mark`` and never after ``now`` (a date from the future moves nothing past our clock).
    A read that found nothing leaves ``mark``: moving to our own clock would skip what the
    platform, its clock behind ours, dates before it."""
    dates = [d for d in seen if d is not None]
    if not dates:
        return mark
    return max(mark, min(max(dates), now))


def held_by_key(ctx: CycleContext, orders: list[Order]) -> dict[str, list[Order]]:
    """The orders under our notes' keys (``bp-{account}-gon-{id}``), by key."""
    prefix = order_key(ctx.config.brightpearl.account_code, 0)[:-1]
    held: dict[str, list[Order]] = {}
    for o in orders:
        if o.order_key.startswith(prefix):
            held.setdefault(o.order_key, []).append(o)
    return held


def gons_by_key(ctx: CycleContext, keys: set[str | None]) -> dict[str, int]:
    """order key -> the note it names (``bp-{account}-gon-{id}``), for notes the state knows in
    ShipStation."""
    prefix = order_key(ctx.config.brightpearl.account_code, 0)[:-1]
    ids = {
        int(k[len(prefix) :])
        for k in keys
        if k and k.startswith(prefix) and k[len(prefix) :].isdigit()
    }
    known = ctx.store.gons(ids) if ids else {}
    return {
        order_key(ctx.config.brightpearl.account_code, g): g
        for g, r in known.items()
        if r.ss_order_id
    }


def learn_parts(ctx: CycleContext, orders: list[Order], now: datetime) -> None:
    """Record the splits and merges these changed orders show, and the parts' statuses."""
    by_id = {o.order_id: o for o in orders}
    ids = (
        set(by_id)
        | {o.parent_id for o in orders if o.parent_id}
        | {m for o in orders for m in o.merged_ids}
    )
    if not ids:
        return
    own = ctx.store.gons_by_ss_orders(ids)
    rows = ctx.store.parts_by_ss_orders(ids)
    # Split parts need their key: those V1 names (parentId), and (V2 names none) an order of
    # ours that no note or known part holds: our key on an order id of its own.
    unowned = [
        o for o in orders if o.parent_id or (o.order_id not in own and o.order_id not in rows)
    ]
    keyed = gons_by_key(ctx, {o.order_key for o in unowned})
    found: dict[tuple[int, int], PartRecord] = {
        (p.gon_id, p.ss_order_id): p for ps in rows.values() for p in ps
    }
    records = ctx.store.gons(set(keyed.values())) if keyed else {}
    for o in unowned:
        gid = keyed.get(o.order_key) or own.get(o.parent_id or 0)
        if gid is None or (not o.parent_id and o.merged_ids):
            continue
        holder = records.get(gid)
        original = o.parent_id or (holder.ss_order_id if holder else None)
        if original and original != o.order_id:  # a part of a split order (the original is one too)
            for part_id in (original, o.order_id):
                found.setdefault((gid, part_id), PartRecord(gid, part_id, PartKind.SPLIT))
    for o in orders:
        for (
            merged_id
        ) in o.merged_ids:  # the notes of the merged-away orders (and of orders merged into them)
            owners = {own.get(merged_id)} | {
                p.gon_id for p in rows.get(merged_id, []) if p.kind == PartKind.MERGED
            }
            for gid in {g for g in owners if g is not None} - {own.get(o.order_id)}:
                found[(gid, o.order_id)] = PartRecord(gid, o.order_id, PartKind.MERGED)
    changed = []
    for part in found.values():
        seen = by_id.get(part.ss_order_id)
        if seen is None and part.seen_at is not None:
            continue  # known already, not changed since
        if seen is not None:
            part.order_number, part.status = seen.order_number, seen.order_status
        part.seen_at = now
        changed.append(part)
    with ctx.store.transaction():
        for part in changed:
            ctx.store.save_part(part)
