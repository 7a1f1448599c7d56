"""`bp-tui diagnose ID`: why a goods-out note (or an order's notes) is or is not in
ShipStation / confirmed, and what to do about it.

It reads both APIs live (a few batched calls) and the local state, and covers every row
of ShipStation's troubleshooting table and every reason the engine skips or fails a note.
"""

from __future__ import annotations

from bp_tui.brightpearl.models import GoodsOutNote, Order
from bp_tui.core import reasons
from bp_tui.core.reasons import MappingError
from bp_tui.core.records import GonRecord, PartRecord, ShipmentRecord, utcnow
from bp_tui.core.stages import PartKind, ShipmentRole
from bp_tui.core.types import Diagnosis
from bp_tui.errors import ApiProblem
from bp_tui.sync.mapping import map_gon
from bp_tui.sync.payloads import map_options
from bp_tui.troubleshoot.deps import Sources


async def diagnose(src: Sources, ident: int) -> list[Diagnosis]:
    notes = await src.bp.get_goods_out_notes([ident])
    if ident in notes:
        gon = notes[ident]
        orders = await src.bp.get_orders([gon.order_id]) if gon.order_id else {}
        return [await _one(src, gon, orders.get(gon.order_id))]
    orders = await src.bp.get_orders([ident])
    order = orders.get(ident)
    if order is None:
        local = src.store.gon(ident)
        if local is not None:
            return [await _missing(src, local)]
        return [
            Diagnosis(
                subject=f"{ident}",
                verdict=f"no goods-out note and no order with id {ident} in Brightpearl account "
                f"{src.config.brightpearl.account_code}",
                fix="check the number: use the goods-out note id (Warehouse "
                "> Goods-out notes) or the sales order id",
            )
        ]
    if order.order_type_code and order.order_type_code != "SO":
        return [
            Diagnosis(
                subject=f"order {ident}",
                order_id=ident,
                verdict=f"order {ident} is a {order.order_type_code} order, not a sales order",
                fix="only sales orders are shipped through ShipStation",
            )
        ]
    gons = await src.bp.get_goods_out_notes_for_orders([ident])
    if not gons:
        return [
            Diagnosis(
                subject=f"order {ident}",
                order_id=ident,
                stage=None,
                verdict=f"order {ident} has no goods-out note yet",
                fix="allocate stock and create the goods-out note in "
                "Brightpearl (Sales > order > Ship); "
                "ShipStation imports goods-out notes, not orders",
            )
        ]
    return [await _one(src, gon, order) for gon in sorted(gons.values(), key=lambda g: g.id)]


async def _missing(src: Sources, local: GonRecord) -> Diagnosis:
    """A note the state knows that the id-set read did not return: deleted only when Brightpearl's
    own answer to a read of its id says so, and "nothing to do" only once bp-tui has acted on it."""
    ident = local.gon_id
    last = f"last known stage: {local.stage}" + (f" ({local.reason})" if local.reason else "")

    def say(verdict: str, fix: str) -> Diagnosis:
        return Diagnosis(
            subject=f"GON {ident}",
            gon_id=ident,
            order_id=local.order_id,
            stage=local.stage,
            verdict=verdict,
            fix=fix,
        )

    try:
        gone = await src.bp.goods_out_note_deleted(ident)
    except ApiProblem as exc:
        gone, why = None, exc.message or str(exc)
    else:
        why = "the answer was not Brightpearl's own (a gateway's 404 page, or no note)"
    if gone is None:
        return say(
            f"whether GON {ident} still exists in Brightpearl cannot be told: {why}; {last}",
            "check brightpearl.integration_url and any proxy in between; bp-tui cancels nothing "
            "until Brightpearl itself answers that the note is gone",
        )
    if gone is False:
        return say(
            f"GON {ident} exists in Brightpearl, but was not in this read; {last}",
            "run diagnose again; if it stays so, check the connection to Brightpearl",
        )
    if local.stage == "cancelled":
        return say(
            f"GON {ident} no longer exists in Brightpearl (it was deleted); {last}",
            "nothing to do if the deletion was intended",
        )
    if local.reason.startswith(reasons.CANCELS_HELD):
        return say(
            f"GON {ident} no longer exists in Brightpearl; its ShipStation order is not cancelled "
            f"yet: {local.reason}",
            f"if the deletion was intended, {reasons.CONFIRM_CANCEL_HOW}",
        )
    return say(
        f"Brightpearl answers that GON {ident} does not exist; bp-tui has not acted on it yet "
        f"(a second read on a later sync confirms a deletion); {last}",
        "nothing to do if the deletion was intended: the next sync reads it again before its open "
        "ShipStation order is cancelled",
    )


async def _one(src: Sources, gon: GoodsOutNote, order: Order | None) -> Diagnosis:
    cfg = src.config.brightpearl
    rec = src.store.gon(gon.id)
    subject = f"GON {gon.id}"
    warehouse = src.warehouse_name(gon.warehouse_id)
    facts = [
        ("order", str(gon.order_id)),
        ("warehouse", f"{gon.warehouse_id} {warehouse}".strip()),
        ("state in Brightpearl", gon.state_word),
        ("import when", cfg.import_when),
    ]
    if order is not None:
        facts.append(("channel", str(order.channel_id)))
    if rec is not None:
        facts += [("stage", rec.stage), ("attempts", str(rec.attempts))]
        if rec.ss_order_id:
            facts.append(("ShipStation order", f"{rec.ss_order_id} ({rec.ss_order_number})"))

    def verdict(text: str, fix: str = "") -> Diagnosis:
        return Diagnosis(
            subject=subject,
            verdict=f"{subject}: {text}",
            fix=fix,
            gon_id=gon.id,
            order_id=gon.order_id,
            stage=rec.stage if rec else None,
            facts=facts,
        )

    if gon.order_id == 0 or gon.transfer:
        return verdict(reasons.TRANSFER_REASON.sentence, reasons.TRANSFER_REASON.fix)
    # Once imported, what ShipStation and the state say matters most.
    if rec is not None and rec.ss_order_id:
        return await _imported(src, rec, gon, verdict, facts)
    why = reasons.eligibility(
        gon, order, src.config
    )  # without the order, its channel is not judged
    if why is not None:
        return verdict(why.sentence, why.fix)
    if order is None:
        return verdict(reasons.ORDER_MISSING, "check the order in Brightpearl")
    try:
        map_gon(gon, order, map_options(src.config))
    except MappingError as exc:
        return verdict(f"cannot be sent: {exc}", exc.fix)
    if rec is not None and rec.stage == "failed":
        when = (
            rec.next_attempt_at.isoformat(timespec="minutes")
            if rec.next_attempt_at
            else "the next sync"
        )
        return verdict(
            f"failed {rec.attempts} time(s): {rec.reason}; next attempt {when}",
            "fix the cause above, then retry it (queue: r) or wait for the next attempt",
        )
    if rec is None:
        return verdict(
            "is eligible but no sync has seen it yet (it is "
            "newer than the last sync, or older than "
            f"lookback_days = {src.config.sync.lookback_days})",
            "run a sync now (queue: s, or `bp-tui sync --once`)",
        )
    return verdict(
        "is eligible and will be sent to ShipStation on the next sync",
        "run a sync now (queue: s, or `bp-tui sync --once`)",
    )


async def _imported(
    src: Sources, rec: GonRecord, gon: GoodsOutNote, verdict, facts: list[tuple[str, str]]
) -> Diagnosis:
    parts = src.store.parts_of([rec.gon_id]).get(rec.gon_id, [])
    merged = [p for p in parts if p.kind == PartKind.MERGED]
    split = [p for p in parts if p.kind == PartKind.SPLIT]
    ss_id = merged[-1].ss_order_id if merged else rec.ss_order_id  # a merged-away order is gone
    try:
        ss_order = await src.ss.get_order(ss_id or 0)
        status = ss_order.order_status
    except ApiProblem as exc:
        status = f"unknown: {exc.describe()}"
    ships = src.store.shipments_of([rec.gon_id]).get(rec.gon_id, [])
    returns = [s for s in ships if s.role == ShipmentRole.RETURN]
    active = [s for s in ships if not s.voided and s.role != ShipmentRole.RETURN]
    voided = [s for s in ships if s.voided and s.role != ShipmentRole.RETURN]
    facts.extend(_part_facts(parts, ships, returns))
    base = (
        f"imported as ShipStation order {rec.ss_order_id} ({'merged away' if merged else status})"
    )
    if merged:
        base += f"; {reasons.merged_into(merged[-1].order_number)} ({status})"
    elif split:
        labelled = {s.ss_order_id for s in active} & {p.ss_order_id for p in split}
        cancelled = {p.ss_order_id for p in split if p.status == "cancelled"} - labelled
        base += f"; {reasons.split_progress(len(split), len(labelled), len(cancelled))}"
    if returns:
        base += (
            "; "
            f"{reasons.return_ignored(', '.join(s.tracking or str(s.remote_id) for s in returns))}"
        )
    if rec.stage == "confirmed":
        when = rec.confirmed_at.isoformat(timespec="minutes") if rec.confirmed_at else "earlier"
        tracking = ", ".join(s.tracking for s in active) or "no tracking"
        return verdict(
            f"{base}; label {tracking} confirmed in Brightpearl at {when}"
            + (" (shipped)" if gon.shipped else ""),
            "nothing to do",
        )
    if rec.stage == "attention":
        return verdict(
            f"{base}; needs attention: {rec.reason}",
            "check the order note in Brightpearl and the labels in ShipStation; "
            "the shipped goods-out note cannot be changed any more",
        )
    if rec.stage == "cancelled":
        return verdict(rec.reason or "cancelled", "nothing to do")
    if rec.stage == "failed":
        return verdict(
            f"{base}; confirming it failed: {rec.reason}",
            "fix the cause above, then retry it (queue: r)",
        )
    if split and (labelled | cancelled) != {p.ss_order_id for p in split}:
        return verdict(f"{base}; waiting for a label on every part", reasons.SPLIT_FIX)
    if voided and not active:
        return verdict(f"{base}; {reasons.LABEL_VOIDED}", "create a new label in ShipStation")
    if active:
        return verdict(
            f"{base}; label {', '.join(s.tracking for s in active)} seen, confirmation pending",
            "run a sync now (queue: c) to write it back to Brightpearl",
        )
    if merged:
        return verdict(f"{base}; waiting for its label", reasons.MERGED_FIX)
    if status == "cancelled":
        return verdict(
            f"{base}; the ShipStation order was cancelled there",
            "restore it in ShipStation if needed",
        )
    if status == "shipped":
        return verdict(
            f"{base}; ShipStation says shipped but no label has been read yet",
            "run a confirm (queue: c); if it stays, check store_id matches the store of the label",
        )
    if returns:
        return verdict(f"{base}; waiting for a shipping label in ShipStation", reasons.RETURN_FIX)
    age = (utcnow() - rec.updated_at).total_seconds() / 60 if rec.updated_at else 0
    return verdict(
        f"{base}; waiting for a label in ShipStation (imported {age:.0f} min ago)",
        "create the label in ShipStation; it is confirmed back on the next sync",
    )


def _part_facts(
    parts: list[PartRecord], ships: list[ShipmentRecord], returns: list[ShipmentRecord]
) -> list[tuple[str, str]]:
    """One fact per ShipStation order carrying the note, with its live labels; one per return
    label."""
    facts = []
    for p in parts:
        labels = ", ".join(
            s.tracking
            for s in ships
            if s.ss_order_id == p.ss_order_id and not s.voided and s.role != ShipmentRole.RETURN
        )
        name = "merged into" if p.kind == PartKind.MERGED else "part"
        facts.append(
            (
                name,
                f"ShipStation order {p.ss_order_id} "
                f"({p.order_number}) {p.status or 'status unknown'}"
                + (f", label {labels}" if labels else ", no label"),
            )
        )
    facts += [("return label", f"{s.tracking or s.remote_id} ignored") for s in returns]
    return facts
