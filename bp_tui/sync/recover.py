"""Recover: settle the write intents a crashed or killed run left open, by re-reading the
remote side, before a new cycle writes anything."""

from __future__ import annotations

from bp_tui.core.intents import NOTE_KINDS, IntentKey, IntentKind
from bp_tui.core.lifecycle import Event, move
from bp_tui.core.stages import OPEN_STAGES
from bp_tui.sync.context import CycleContext
from bp_tui.sync.notes import mark_noted, note_marker


class Recover:
    async def __call__(self, ctx: CycleContext) -> None:
        open_rows = ctx.store.audit.open_intents()
        if not open_rows:
            return
        ctx.emit(
            "recover",
            0,
            len(open_rows),
            message=f"{len(open_rows)} unfinished writes from an earlier run",
        )
        keys = {row.id: IntentKey.parse(row.key or "") for row in open_rows}
        note_orders = {
            row.order_id
            for row in open_rows
            if (k := keys[row.id]) is not None and k.kind in NOTE_KINDS and row.order_id is not None
        }
        notes_by_order = await ctx.bp.search_order_notes(note_orders) if note_orders else {}
        settled: list[tuple[int, str, str]] = []
        to_ready: list[int] = []
        for row in open_rows:
            key = keys[row.id]
            kind = key.kind if key is not None else None
            if kind in (IntentKind.IMPORT, IntentKind.CANCEL):
                # the order key makes re-sending safe (an order held under it is adopted): put the
                # note back in line.
                if kind is IntentKind.IMPORT and row.gon_id is not None:
                    to_ready.append(row.gon_id)
                settled.append(
                    (
                        row.id,
                        "lost",
                        "interrupted; will be re-sent "
                        "(an order under its key is adopted, never doubled)",
                    )
                )
            elif key is not None and kind in NOTE_KINDS:
                marker = note_marker(str(key))
                if any(marker in n.text for n in notes_by_order.get(row.order_id or 0, [])):
                    settled.append((row.id, "ok", "found on the order after an interrupted run"))
                    _mark_noted(ctx, key, row.gon_id)
                else:
                    settled.append(
                        (
                            row.id,
                            "lost",
                            "interrupted before Brightpearl stored it; will be re-posted",
                        )
                    )
            else:
                # reference PUT and status PUT are idempotent; SHW is re-checked by re-reading
                # the note.
                settled.append((row.id, "lost", "interrupted; re-checked on this run"))
        ctx.store.audit.settle_intents(settled)
        with ctx.store.transaction():
            for gon_id in to_ready:
                rec = ctx.store.gon(gon_id)
                if rec and rec.stage in OPEN_STAGES:
                    move(rec, Event.RESUMED)
                    rec.next_attempt_at = None
                    ctx.store.save_gon(rec)


def _mark_noted(ctx: CycleContext, key: IntentKey, gon_id: int | None) -> None:
    found = key.shipment
    gon = key.shipment_gon or gon_id
    if found is None or gon is None:
        return
    rec = ctx.store.shipment(*found, gon)
    if rec is None:
        return
    mark_noted(rec, key.kind)
    with ctx.store.transaction():
        ctx.store.save_shipment(rec)
