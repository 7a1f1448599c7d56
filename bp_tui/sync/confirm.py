"""Confirm: write each label back to Brightpearl exactly once: the tracking reference on the
goods-out note, the shipped (SHW) event with ``If-Match``, one order note per label, and the
order status once every note of the order is shipped. Each write is keyed (``IntentKey``) and
skipped once its key is done. What happens to voids, replacements, return labels, split and
merged orders is told in docs/cycle.md ("Splits, merges, return labels and voids"); here, how:
``_Work`` sorts a cycle's labels per note, and each note's writes go through the writer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bp_tui.brightpearl.apierrors import GonConflict
from bp_tui.brightpearl.models import GoodsOutNote
from bp_tui.core import reasons
from bp_tui.core.intents import IntentKey, IntentKind
from bp_tui.core.lifecycle import Event, move
from bp_tui.core.records import GonRecord, PartRecord, ShipmentRecord, iso, parse_iso
from bp_tui.core.stages import CLOSED_STAGES, PartKind, ShipmentKind, ShipmentRole, Stage
from bp_tui.errors import ApiError, ApiProblem, ApiThrottled, ApiUnavailable
from bp_tui.sync.context import CycleContext
from bp_tui.sync.notes import mark_noted, note_marker, shipment_note, tracking_reference
from bp_tui.sync.unsent import deletion_read
from bp_tui.sync.writer import Intent, short_error

MARKS_SHIPPED = ("mark_shipped", "mark_shipped_and_set_status")
SETS_STATUS = ("mark_shipped_and_set_status", "set_status")


@dataclass
class _Work:
    parts: dict[int, list[PartRecord]]  # note -> the ShipStation orders carrying it besides its own
    to_confirm: list[tuple[GonRecord, list[ShipmentRecord]]] = field(default_factory=list)
    late: list[tuple[GonRecord, ShipmentRecord, IntentKind]] = field(default_factory=list)
    notes: list[GonRecord] = field(default_factory=list)  # records changed
    shipments: list[ShipmentRecord] = field(default_factory=list)  # shipments changed


class Confirm:
    async def __call__(self, ctx: CycleContext) -> None:
        await self._labels(ctx)
        await set_due_statuses(ctx)

    @staticmethod
    async def _labels(ctx: CycleContext) -> None:
        now = ctx.now()
        # Open notes, plus closed ones with a label still to handle (new, or a note not posted).
        candidates = await ctx.load_stages((Stage.IMPORTED, Stage.SHIPPED, Stage.FAILED))
        pending = ctx.store.queue.gons_with_pending_shipments() - set(candidates)
        candidates.update(ctx.store.gons(pending, stages=CLOSED_STAGES))
        candidates = {g: r for g, r in candidates.items() if r.ss_order_id}
        if not candidates:
            return
        ships = ctx.store.shipments_of(candidates)
        work = _Work(parts=ctx.store.parts_of(candidates))
        for n, (gid, rec) in enumerate(candidates.items()):
            await ctx.breathe(n)
            recs = ships.get(gid) or []
            if not recs and gid not in work.parts:
                continue
            if rec.stage in CLOSED_STAGES:
                if rec.confirmed_at is not None:  # never written back (deleted, held): no news
                    _closed(rec, recs, work)
            elif rec.stage == Stage.FAILED and rec.next_attempt_at and rec.next_attempt_at > now:
                ctx.skip("backoff", rec)
            else:
                _open(rec, recs, work)
        with ctx.store.transaction():
            for s in work.shipments:
                ctx.store.save_shipment(s)
            for rec in work.notes:
                ctx.store.save_gon(rec)
        if work.to_confirm:
            await write_back(ctx, work.to_confirm, work.parts)
        if work.late:
            await note_late(ctx, work.late)


def _closed(rec: GonRecord, recs: list[ShipmentRecord], work: _Work) -> None:
    """A confirmed note: a new label is a replacement, a void of a confirmed one is news."""
    ours = rec.reason == reasons.SHIPPED_OUTSIDE_MARKED
    for s in recs:
        if s.role == ShipmentRole.RETURN:
            continue  # a return label: never a replacement
        if ours and s.kind == ShipmentKind.FULFILLMENT and s.role == ShipmentRole.NEW:
            s.role = ShipmentRole.CONFIRMED  # the mark-as-shipped we sent ourselves
            work.shipments.append(s)
            continue
        if s.role == ShipmentRole.NEW and not s.voided:
            s.role = ShipmentRole.LATE
            work.shipments.append(s)
        if s.role == ShipmentRole.LATE and not s.noted:
            work.late.append((rec, s, IntentKind.NOTE_LATE))
        if s.role in (ShipmentRole.CONFIRMED, ShipmentRole.LATE) and s.voided and not s.void_noted:
            work.late.append((rec, s, IntentKind.NOTE_VOID))
        if s.role == ShipmentRole.NEW and s.voided:
            s.role = ShipmentRole.VOIDED_BEFORE
            work.shipments.append(s)


def _open(rec: GonRecord, recs: list[ShipmentRecord], work: _Work) -> None:
    """A note not confirmed yet: its live labels are written back once it is complete."""
    outbound = [s for s in recs if s.role != ShipmentRole.RETURN]
    parts = work.parts.get(rec.gon_id, [])
    if not outbound and not parts:
        return  # only return labels: nothing shipped
    for s in outbound:
        if s.voided and s.role == ShipmentRole.NEW:
            s.role = ShipmentRole.VOIDED_BEFORE
            work.shipments.append(s)
    active = [s for s in outbound if not s.voided]
    waiting = _waiting_for(parts, active, voided=any(s.voided for s in outbound))
    if waiting is not None:
        before = (rec.stage, rec.reason)
        if rec.stage == Stage.SHIPPED or (
            rec.stage == Stage.FAILED and waiting == reasons.LABEL_VOIDED
        ):
            move(rec, Event.LABELS_WANTING)
        if rec.stage == Stage.IMPORTED:
            rec.reason = waiting
        if (rec.stage, rec.reason) != before:
            work.notes.append(rec)
        return
    move(rec, Event.LABEL_SEEN)  # a failed note stays failed until it is written back
    rec.tracking = ", ".join(dict.fromkeys(s.tracking for s in active if s.tracking))
    work.notes.append(rec)
    work.to_confirm.append((rec, active))


def _waiting_for(
    parts: list[PartRecord], active: list[ShipmentRecord], *, voided: bool
) -> str | None:
    """Why a note cannot be confirmed yet (its reason), or None when it can: a part of its split
    order without a live label (and not cancelled), or no live label at all."""
    split = {p.ss_order_id: p for p in parts if p.kind == PartKind.SPLIT}
    labelled = {s.ss_order_id for s in active}
    if split:
        cancelled = {i for i, p in split.items() if p.status == "cancelled"}
        if active and set(split) <= labelled | cancelled:
            return None
        return reasons.split_progress(
            len(split), len(labelled & set(split)), len(cancelled - labelled)
        )
    if active:
        return None
    if voided:
        return reasons.LABEL_VOIDED
    merged = [p for p in parts if p.kind == PartKind.MERGED]
    return reasons.merged_into(merged[-1].order_number) if merged else None


def confirmed_reason(parts: list[PartRecord]) -> str:
    """What the queue says of a confirmed note: how its ShipStation order was split or merged."""
    split = [p for p in parts if p.kind == PartKind.SPLIT]
    if split:
        return reasons.split_progress(
            len(split),
            len([p for p in split if p.status != "cancelled"]),
            len([p for p in split if p.status == "cancelled"]),
        )
    merged = [p for p in parts if p.kind == PartKind.MERGED]
    return reasons.merged_into(merged[-1].order_number) if merged else ""


async def write_back(
    ctx: CycleContext,
    items: list[tuple[GonRecord, list[ShipmentRecord]]],
    parts: dict[int, list[PartRecord]] | None = None,
) -> None:
    cfg = ctx.config.brightpearl
    parts = parts or {}
    total = len(items)
    fresh: dict[int, GoodsOutNote] = {}
    if cfg.shipped_action in MARKS_SHIPPED:
        ctx.emit(
            "confirm", 0, total, message="re-reading goods-out notes before marking them shipped"
        )
        fresh = await ctx.bp.get_goods_out_notes([rec.gon_id for rec, _ in items])
    for n, (rec, active) in enumerate(items, 1):
        await ctx.checkpoint()
        if await _confirm_one(ctx, rec, active, fresh, parts.get(rec.gon_id, [])):
            ctx.emit("confirm", n, total, gon_id=rec.gon_id)


async def _confirm_one(
    ctx: CycleContext,
    rec: GonRecord,
    active: list[ShipmentRecord],
    fresh: dict[int, GoodsOutNote],
    parts: list[PartRecord],
) -> bool:
    """Write one note's labels back; True when it is confirmed."""
    cfg = ctx.config.brightpearl
    try:
        if cfg.shipped_action in MARKS_SHIPPED:
            gon = fresh.get(rec.gon_id)
            if gon is None:  # not in the id-set read: deleted only if its own read says so
                proof, why = await deletion_read(ctx, rec)
                if proof:
                    ctx.attention(rec, reasons.DELETED_AFTER_LABEL)
                elif proof is False:
                    ctx.fail(rec, reasons.LEFT_OUT_BEFORE_WRITE_BACK, ctx.now())
                elif not rec.reason or rec.reason.startswith(reasons.DELETION_UNKNOWN):
                    rec.reason = reasons.deletion_unknown(why)  # read again next cycle
                ctx.store.save_gons([rec])
                return False
            if not gon.shipped:
                await mark_gon_shipped(ctx, rec, gon, active)
        if cfg.add_order_note and cfg.shipped_action != "none":  # "none" only records
            for s in active:
                if not s.noted:
                    text = shipment_note(rec, s, active, order_number_of(rec, s, parts))
                    await post_note(ctx, rec, s, IntentKind.NOTE, text)
    except (ApiError, ApiThrottled, ValueError) as exc:
        reason = f"Brightpearl: {exc.message or exc}" if isinstance(exc, ApiProblem) else str(exc)
        ctx.fail(rec, reason, ctx.now())
        ctx.store.save_gons([rec])
        return False
    move(rec, Event.WRITTEN_BACK, confirmed_reason(parts))
    rec.confirmed_at = ctx.now()
    for s in active:
        s.role = ShipmentRole.CONFIRMED
    with ctx.store.transaction():
        ctx.store.save_gon(rec)
        for s in active:
            ctx.store.save_shipment(s)
    ctx.summary.confirmed += 1
    return True


async def mark_gon_shipped(
    ctx: CycleContext, rec: GonRecord, gon: GoodsOutNote, active: list[ShipmentRecord]
) -> None:
    """The tracking reference (when it changes), then the SHW event guarded by If-Match."""
    reference = tracking_reference([s.tracking for s in active])
    occurred = min((s.shipped_at for s in active if s.shipped_at), default=ctx.now())
    if reference and gon.shipping_reference != reference:
        await ctx.writer.write(
            Intent(
                "brightpearl",
                IntentKey.for_gon(IntentKind.REFERENCE, rec.gon_id),
                rec.gon_id,
                rec.order_id,
                detail=reference,
                plan=f"Brightpearl: GON {rec.gon_id} reference {reference!r}",
            ),
            lambda: ctx.bp.set_shipping_reference(rec.gon_id, reference),
            planned=None,
            ok=reference,
        )
    intent = Intent(
        "brightpearl",
        IntentKey.for_gon(IntentKind.SHIPPED, rec.gon_id),
        rec.gon_id,
        rec.order_id,
        detail=f"SHW at {iso(occurred)}",
        plan=f"Brightpearl: GON {rec.gon_id} SHW event at {iso(occurred)}",
    )
    ctx.writer.record([intent])
    await _post_shw(ctx, rec, intent, occurred, gon.last_event_version)


async def _post_shw(
    ctx: CycleContext, rec: GonRecord, intent: Intent, occurred: datetime, version: int | None
) -> None:
    """Post SHW; on a conflict, re-read the note: shipped already, deleted, or a newer version
    to retry with."""
    for attempt in range(2):
        try:
            await ctx.writer.call(
                [intent],
                lambda: ctx.bp.post_shipped_event(
                    rec.gon_id,
                    occurred=occurred,
                    owner_id=ctx.config.brightpearl.staff_contact_id,
                    last_event_version=version,
                ),
                planned=None,
                keep_open=(GonConflict,),
            )
        except GonConflict as exc:
            if exc.already_shipped:
                ctx.writer.settle(intent, "ok", "already shipped in Brightpearl")
                return
            again = (await ctx.bp.get_goods_out_notes([rec.gon_id])).get(rec.gon_id)
            if again is None:  # not proof of a deletion, and nothing was written: not confirmed
                why = (
                    f"the shipped event met a conflict ({exc.message}), and the note was then "
                    "missing from Brightpearl's answer: read again on the next sync"
                )
                ctx.writer.settle(intent, "failed", why)
                raise GonConflict(exc.status, why, code=exc.code) from None
            if again.shipped:
                ctx.writer.settle(intent, "ok", "already shipped")
                return
            version = again.last_event_version
            if attempt == 1:
                ctx.writer.settle(intent, "failed", short_error(exc))
                raise
        else:
            ctx.writer.settle(intent, "ok", f"SHW at {iso(occurred)}")
            return


def order_number_of(rec: GonRecord, s: ShipmentRecord, parts: list[PartRecord]) -> str:
    """The ShipStation order a label is on, as the note names it."""
    part = next(
        (p for p in parts if p.ss_order_id == s.ss_order_id and s.ss_order_id != rec.ss_order_id),
        None,
    )
    if part is not None and part.kind == PartKind.MERGED:
        return f"{part.order_number} (order {rec.ss_order_number} was merged into it)"
    return (part.order_number if part is not None else "") or rec.ss_order_number


async def post_note(
    ctx: CycleContext, rec: GonRecord, s: ShipmentRecord, kind: IntentKind, text: str
) -> None:
    """One order note per label, note and kind, tagged so an interrupted post can be found again."""
    key = IntentKey.for_shipment(
        kind, s.kind, s.remote_id, gon_id=rec.gon_id if s.ss_order_id != rec.ss_order_id else None
    )
    if not ctx.store.audit.done_keys([str(key)]):
        intent = Intent(
            "brightpearl",
            key,
            rec.gon_id,
            rec.order_id,
            detail=f"{s.kind} {s.remote_id}",
            plan=f"Brightpearl: note on order {rec.order_id} for {s.kind} {s.remote_id}",
        )
        ctx.writer.record([intent])
        # A lost answer (ApiUnavailable) leaves the intent open: the note may be stored, and the
        # next run's recovery reads the order's notes back instead of posting blind.
        note_id = await ctx.writer.call(
            [intent],
            lambda: ctx.bp.add_order_note(rec.order_id, f"{text}\n{note_marker(str(key))}"),
            planned=0,
            keep_open=(ApiUnavailable,),
        )
        ctx.writer.settle(intent, "ok", f"note {note_id}")
    mark_noted(s, kind)
    with ctx.store.transaction():
        ctx.store.save_shipment(s)


async def note_late(
    ctx: CycleContext, items: list[tuple[GonRecord, ShipmentRecord, IntentKind]]
) -> None:
    """Voided-after-confirm and replacement labels: flag the note, tell the order once per label."""
    for rec, s, kind in items:
        void = kind is IntentKind.NOTE_VOID
        if rec.stage != Stage.ATTENTION or not rec.reason:
            ctx.attention(
                rec,
                (
                    (
                        f"label {s.tracking or s.remote_id} was voided "
                        "after the note was confirmed as shipped"
                    )
                    if void
                    else (
                        f"another label ({s.tracking or s.remote_id}) was created "
                        "after the note was confirmed"
                    )
                )
                + ": the shipped note cannot change any more; check the order note",
            )
            ctx.store.save_gons([rec])
        text = (
            (
                f"bp-tui: label {s.tracking} ({s.carrier}) of GON {rec.gon_id} "
                "was VOIDED in ShipStation after the note was marked shipped."
            )
            if void
            else (
                f"bp-tui: replacement label {s.tracking} ({s.carrier} {s.service}) "
                f"created in ShipStation for GON {rec.gon_id} "
                f"(order {rec.ss_order_number}) after it was marked shipped."
            )
        )
        try:
            await post_note(ctx, rec, s, kind, text)
        except (ApiError, ApiThrottled) as exc:
            ctx.summary.errors.append(f"GON {rec.gon_id}: note not posted: {exc}")


async def set_due_statuses(ctx: CycleContext) -> None:
    """The orders of the notes confirmed since the last pass, by any path (a label written back
    here, or a note shipped in Brightpearl and marked in ShipStation by KeepInStep), get the
    configured status once every note of the order is shipped. The pass's mark stays before an
    order whose status could not be set (throttled, refused, a stop), so it is tried again; it
    never reaches back more than ``lookback_days``."""
    if ctx.config.brightpearl.shipped_action not in SETS_STATUS:
        return
    started = ctx.now()
    floor = started - timedelta(days=ctx.config.sync.lookback_days)
    mark = max(parse_iso(ctx.store.meta.watermark("statuses")) or floor, floor)
    confirmed = ctx.store.queue.orders_confirmed_since(mark)  # order -> its first note saved since
    unset = await set_statuses(ctx, set(confirmed)) if confirmed else set()
    ctx.store.meta.set_watermark(
        "statuses", iso(min([started, *(confirmed[o] for o in unset)])) or ""
    )


async def set_statuses(ctx: CycleContext, order_ids: set[int]) -> set[int]:
    """The configured order status, once every goods-out note of the order is shipped; the
    orders whose status is due but could not be set."""
    status_id = ctx.config.brightpearl.shipped_status_id
    keys = {oid: IntentKey.for_order(IntentKind.STATUS, oid) for oid in order_ids}
    done = ctx.store.audit.done_keys(str(k) for k in keys.values())
    pending = [oid for oid in order_ids if str(keys[oid]) not in done]
    if not pending:
        return set()
    try:
        remote = await ctx.bp.get_goods_out_notes_for_orders(pending)
    except (ApiError, ApiThrottled) as exc:
        ctx.summary.errors.append(f"order statuses not set (tried again next sync): {exc}")
        return set(pending)
    unset: set[int] = set()
    by_order: dict[int, list[GoodsOutNote]] = {}
    for gon in remote.values():
        by_order.setdefault(gon.order_id, []).append(gon)
    local = ctx.store.gons_of_orders(pending)
    for oid in pending:
        ours = {r.gon_id: r for r in local.get(oid, [])}
        notes = by_order.get(oid, [])
        if not notes or not all(
            g.shipped or (g.id in ours and ours[g.id].stage == Stage.CONFIRMED) for g in notes
        ):
            continue
        try:
            await ctx.writer.write(
                Intent(
                    "brightpearl",
                    keys[oid],
                    order_id=oid,
                    detail=f"status {status_id}",
                    plan=f"Brightpearl: order {oid} status -> {status_id}",
                ),
                lambda: ctx.bp.set_order_status(oid, status_id),
                planned=None,
                ok=f"status {status_id}",
            )
        except (ApiError, ApiThrottled) as exc:
            ctx.summary.errors.append(f"order {oid}: status not set (tried again next sync): {exc}")
            unset.add(oid)
    return unset
