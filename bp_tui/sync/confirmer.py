"""Confirm: read labels and marked-shipped orders back from ShipStation and write them to
Brightpearl (tracking reference, shipped event, order note, order status), exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bp_tui.brightpearl.client import GonConflict
from bp_tui.brightpearl.models import GoodsOutNote
from bp_tui.errors import ApiError, ApiUnavailable
from bp_tui.core.records import GonRecord, ShipmentRecord, iso, parse_iso
from bp_tui.core import reasons
from bp_tui.sync.base import FATAL, EngineBase, short_error
from bp_tui.sync.notes import note_marker, shipment_note, tracking_reference


class Confirmer(EngineBase):
    # ------------------------------------------------------------------ confirm
    async def confirm_step(self) -> None:
        await self.read_shipments()
        await self.confirm_shipped()

    async def read_shipments(self) -> None:
        now = self.now()  # the next read starts here (minus the overlap)
        mark = parse_iso(self.store.watermark("shipments")) or now - timedelta(days=self.config.sync.lookback_days)
        since = mark - timedelta(days=1)
        store_id = self.config.shipstation.store_id or None
        self.emit("shipments", 0, 2, message="reading labels")
        shipments = await self.ss.list_shipments(store_id=store_id, create_date_start=since, include_items=True)
        self.emit("shipments", 1, 2, message="reading marked-shipped orders")
        fulfillments = await self.ss.list_fulfillments(create_date_start=since)
        index = self.store.gons_by_ss_orders(
            [s.order_id for s in shipments if s is not None and s.order_id]
            + [f.order_id for f in fulfillments if f is not None and f.order_id])
        seen: dict[tuple[str, int], ShipmentRecord] = {}
        for s in shipments:
            if s is None or s.order_id not in index:
                continue
            shipped_at = s.create_date or (datetime.combine(s.ship_date, datetime.min.time(), UTC) if s.ship_date else now)
            seen[("shipment", s.shipment_id)] = ShipmentRecord(
                kind="shipment", remote_id=s.shipment_id, gon_id=index[s.order_id], ss_order_id=s.order_id,
                tracking=s.tracking_number or "", carrier=s.carrier_code or "", service=s.service_code or "",
                shipped_at=shipped_at, created_at=s.create_date, voided=bool(s.voided),
            )
        for f in fulfillments:
            if f is None or f.order_id not in index:
                continue
            seen[("fulfillment", f.fulfillment_id)] = ShipmentRecord(
                kind="fulfillment", remote_id=f.fulfillment_id, gon_id=index[f.order_id], ss_order_id=f.order_id,
                tracking=f.tracking_number or "", carrier=f.carrier_code or "", service="",
                shipped_at=f.ship_date or f.create_date or now, created_at=f.create_date, voided=bool(f.voided),
            )
        with self.store.transaction():
            for (kind, rid), rec in seen.items():
                old = self.store.shipment(kind, rid)
                if old is not None:
                    rec.role, rec.noted, rec.void_noted = old.role, old.noted, old.void_noted
                self.store.save_shipment(rec)
        self.emit("shipments", 2, 2, message=f"{len(seen)} labels for our orders")
        if not self.dry_run:
            # Labels created after ``now`` are newer than the watermark; the one-day overlap
            # covers late-appearing records and clock differences.
            self.store.set_watermark("shipments", iso(now) or "")

    async def confirm_shipped(self) -> None:
        now = self.now()
        # Open notes, plus closed ones with a label still to handle (new, or a note not posted).
        candidates = await self.load_stages(("imported", "shipped", "failed"))
        pending = self.store.gons_with_pending_shipments() - set(candidates)
        candidates.update(self.store.gons(pending, stages=("confirmed", "attention")))
        candidates = {g: r for g, r in candidates.items() if r.ss_order_id}
        if not candidates:
            return
        ships = self.store.shipments_of(candidates)
        to_confirm: list[tuple[GonRecord, list[ShipmentRecord]]] = []
        late: list[tuple[GonRecord, ShipmentRecord, str]] = []
        updates: list[GonRecord] = []
        ship_updates: list[ShipmentRecord] = []
        for n, (gid, rec) in enumerate(candidates.items()):
            await self.breathe(n)
            recs = ships.get(gid) or []
            if not recs:
                continue
            if rec.stage in ("confirmed", "attention"):
                ours = rec.reason == reasons.SHIPPED_OUTSIDE_MARKED
                for s in recs:
                    if ours and s.kind == "fulfillment" and s.role == "new":
                        s.role = "confirmed"  # the mark-as-shipped we sent ourselves
                        ship_updates.append(s)
                        continue
                    if s.role == "new" and not s.voided:
                        s.role = "late"
                        ship_updates.append(s)
                    if s.role == "late" and not s.noted:
                        late.append((rec, s, "late"))
                    if s.role in ("confirmed", "late") and s.voided and not s.void_noted:
                        late.append((rec, s, "void"))
                    if s.role == "new" and s.voided:
                        s.role = "voided_before"
                        ship_updates.append(s)
                continue
            if rec.stage == "failed" and rec.next_attempt_at and rec.next_attempt_at > now:
                self.skip("backoff")
                continue
            active = [s for s in recs if not s.voided]
            for s in recs:
                if s.voided and s.role == "new":
                    s.role = "voided_before"
                    ship_updates.append(s)
            if not active:
                if rec.stage in ("shipped", "failed"):
                    rec.stage, rec.reason = "imported", reasons.LABEL_VOIDED
                    updates.append(rec)
                elif rec.reason != reasons.LABEL_VOIDED:
                    rec.reason = reasons.LABEL_VOIDED
                    updates.append(rec)
                continue
            rec.stage = "shipped" if rec.stage != "failed" else rec.stage
            rec.tracking = ", ".join(s.tracking for s in active if s.tracking)
            updates.append(rec)
            to_confirm.append((rec, active))
        with self.store.transaction():
            for s in ship_updates:
                self.store.save_shipment(s)
            for rec in updates:
                self.store.save_gon(rec)
        if to_confirm:
            await self.write_back(to_confirm)
        if late:
            await self.note_late(late)

    async def write_back(self, items: list[tuple[GonRecord, list[ShipmentRecord]]]) -> None:
        cfg = self.config.brightpearl
        action = cfg.shipped_action
        total = len(items)
        now = self.now()
        fresh: dict[int, GoodsOutNote] = {}
        if action in ("mark_shipped", "mark_shipped_and_set_status"):
            self.emit("confirm", 0, total, message="re-reading goods-out notes before marking them shipped")
            fresh = await self.bp.get_goods_out_notes([rec.gon_id for rec, _ in items])
        done: list[GonRecord] = []
        for n, (rec, active) in enumerate(items, 1):
            await self.checkpoint()
            try:
                if action in ("mark_shipped", "mark_shipped_and_set_status"):
                    gon = fresh.get(rec.gon_id)
                    if gon is None:
                        rec.stage = "attention"
                        rec.reason = "the goods-out note was deleted in Brightpearl after its label was created"
                        self.summary.attention += 1
                        self.store.save_gons([rec])
                        continue
                    if not gon.shipped:
                        await self.mark_gon_shipped(rec, gon, active)
                if cfg.add_order_note and action != "none":  # "none" only records
                    for s in active:
                        if not s.noted:
                            await self.post_note(rec, s, "note", shipment_note(rec, s, active))
            except FATAL:
                raise
            except ApiError as exc:
                self._fail(rec, f"Brightpearl: {exc.message or exc}", now)
                self.store.save_gons([rec])
                continue
            except ValueError as exc:
                self._fail(rec, str(exc), now)
                self.store.save_gons([rec])
                continue
            if not self.dry_run:
                rec.stage, rec.reason, rec.attempts, rec.next_attempt_at = "confirmed", "", 0, None
                rec.confirmed_at = self.now()
                for s in active:
                    s.role = "confirmed"
                with self.store.transaction():
                    self.store.save_gon(rec)
                    for s in active:
                        self.store.save_shipment(s)
            self.summary.confirmed += 1
            done.append(rec)
            self.emit("confirm", n, total, gon_id=rec.gon_id)
        if action in ("mark_shipped_and_set_status", "set_status") and done:
            await self.set_statuses({rec.order_id for rec in done})

    async def mark_gon_shipped(self, rec: GonRecord, gon: GoodsOutNote, active: list[ShipmentRecord]) -> None:
        reference = tracking_reference([s.tracking for s in active])
        occurred = min((s.shipped_at for s in active if s.shipped_at), default=self.now())
        if self.dry_run:
            self.summary.would_write.append(f"Brightpearl: GON {rec.gon_id} reference {reference!r}")
            self.summary.would_write.append(f"Brightpearl: GON {rec.gon_id} SHW event at {iso(occurred)}")
            return
        if reference and gon.shipping_reference != reference:
            aid = self.store.intent("brightpearl", "reference", gon_id=rec.gon_id, order_id=rec.order_id,
                                    key=f"ref:{rec.gon_id}", detail=reference)
            try:
                await self.bp.set_shipping_reference(rec.gon_id, reference)
            except Exception as exc:
                self.store.settle(aid, "failed", short_error(exc))
                raise
            self.store.settle(aid, "ok", reference)
        aid = self.store.intent("brightpearl", "shipped", gon_id=rec.gon_id, order_id=rec.order_id,
                                key=f"shw:{rec.gon_id}", detail=f"SHW at {iso(occurred)}")
        version = gon.last_event_version
        for attempt in range(2):
            try:
                await self.bp.post_shipped_event(
                    rec.gon_id, occurred=occurred, owner_id=self.config.brightpearl.staff_contact_id,
                    last_event_version=version,
                )
                self.store.settle(aid, "ok", f"SHW at {iso(occurred)}")
                return
            except GonConflict as exc:
                if exc.already_shipped:
                    self.store.settle(aid, "ok", "already shipped in Brightpearl")
                    return
                again = (await self.bp.get_goods_out_notes([rec.gon_id])).get(rec.gon_id)
                if again is None or again.shipped:
                    self.store.settle(aid, "ok" if again else "failed", "already shipped" if again else "deleted")
                    return
                version = again.last_event_version
                if attempt == 1:
                    self.store.settle(aid, "failed", short_error(exc))
                    raise
            except Exception as exc:
                self.store.settle(aid, "failed", short_error(exc))
                raise

    async def post_note(self, rec: GonRecord, s: ShipmentRecord, kind: str, text: str) -> None:
        key = f"{kind}:{s.key}"
        if self.dry_run:
            self.summary.would_write.append(f"Brightpearl: note on order {rec.order_id} for {s.kind} {s.remote_id}")
            return
        if self.store.done_keys([key]):
            self._apply_noted(s, kind)
            return
        aid = self.store.intent("brightpearl", kind, gon_id=rec.gon_id, order_id=rec.order_id, key=key,
                                detail=f"{s.kind} {s.remote_id}")
        try:
            note_id = await self.bp.add_order_note(rec.order_id, f"{text}\n{note_marker(key)}")
        except ApiUnavailable:
            # The note may have been stored and the read-back failed too: leave the intent open so
            # the next run's recovery reads the order's notes back instead of posting blind.
            raise
        except Exception as exc:
            self.store.settle(aid, "failed", short_error(exc))
            raise
        self.store.settle(aid, "ok", f"note {note_id}")
        self._apply_noted(s, kind)

    def _apply_noted(self, s: ShipmentRecord, kind: str) -> None:
        if kind == "note-void":
            s.void_noted = True
        else:
            s.noted = True
        with self.store.transaction():
            self.store.save_shipment(s)

    async def note_late(self, items: list[tuple[GonRecord, ShipmentRecord, str]]) -> None:
        """Voided-after-confirm and replacement labels: flag the note, tell the order once per label."""
        for rec, s, why in items:
            if rec.stage != "attention" or not rec.reason:
                rec.stage = "attention"
                rec.reason = (
                    f"label {s.tracking or s.remote_id} was voided after the note was confirmed as shipped"
                    if why == "void"
                    else f"another label ({s.tracking or s.remote_id}) was created after the note was confirmed"
                ) + ": the shipped note cannot change any more; check the order note"
                self.summary.attention += 1
                if not self.dry_run:
                    self.store.save_gons([rec])
            text = (
                f"bp-tui: label {s.tracking} ({s.carrier}) of GON {rec.gon_id} was VOIDED in ShipStation after the "
                f"note was marked shipped."
                if why == "void"
                else f"bp-tui: replacement label {s.tracking} ({s.carrier} {s.service}) created in ShipStation "
                f"for GON {rec.gon_id} (order {rec.ss_order_number}) after it was marked shipped."
            )
            try:
                await self.post_note(rec, s, "note-void" if why == "void" else "note-late", text)
            except FATAL:
                raise
            except ApiError as exc:
                self.summary.errors.append(f"GON {rec.gon_id}: note not posted: {exc}")

    async def set_statuses(self, order_ids: set[int]) -> None:
        cfg = self.config.brightpearl
        keys = {oid: f"status:{oid}" for oid in order_ids}
        done = self.store.done_keys(keys.values())
        pending = [oid for oid in order_ids if keys[oid] not in done]
        if not pending:
            return
        remote = await self.bp.get_goods_out_notes_for_orders(pending)
        by_order: dict[int, list[GoodsOutNote]] = {}
        for gon in remote.values():
            by_order.setdefault(gon.order_id, []).append(gon)
        local = self.store.gons_of_orders(pending)
        for oid in pending:
            ours = {r.gon_id: r for r in local.get(oid, [])}
            notes = by_order.get(oid, [])
            all_shipped = bool(notes) and all(
                g.shipped or (ours.get(g.id) is not None and ours[g.id].stage == "confirmed") for g in notes
            )
            if not all_shipped:
                continue
            if self.dry_run:
                self.summary.would_write.append(f"Brightpearl: order {oid} status -> {cfg.shipped_status_id}")
                continue
            aid = self.store.intent("brightpearl", "status", order_id=oid, key=keys[oid],
                                    detail=f"status {cfg.shipped_status_id}")
            try:
                await self.bp.set_order_status(oid, cfg.shipped_status_id)
            except FATAL:
                self.store.settle(aid, "failed", "cannot reach Brightpearl")
                raise
            except ApiError as exc:
                self.store.settle(aid, "failed", short_error(exc))
                self.summary.errors.append(f"order {oid}: status not set: {exc}")
                continue
            self.store.settle(aid, "ok", f"status {cfg.shipped_status_id}")
