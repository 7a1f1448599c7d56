"""Import: discover printed notes, hydrate them with their orders, map and send them to
ShipStation in batches; keep ShipStation in step with edits, deletions and notes shipped
outside it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from bp_tui.brightpearl.models import GoodsOutNote, Order
from bp_tui.errors import ApiError
from bp_tui.shipstation.models import CreateOrderResult
from bp_tui.core.records import GonRecord, iso, parse_iso
from bp_tui.core import reasons
from bp_tui.sync.base import (
    FATAL,
    OPEN_STAGES,
    ORDER_CHANGE_OVERLAP,
    SS_BATCH,
    EngineBase,
    short_error,
)
from bp_tui.core.reasons import MappingError
from bp_tui.sync.mapping import MapOptions, map_gon


class Importer(EngineBase):
    # ------------------------------------------------------------------ import
    async def import_step(self) -> None:
        cfg = self.config.brightpearl
        now = self.now()
        self.emit("discover", 0, 1, message="searching goods-out notes")
        rows = await self.bp.search_goods_out(
            shipped=False, created_after=now - timedelta(days=self.config.sync.lookback_days)
        )
        self.emit("discover", 1, 1, message=f"{len(rows)} unshipped goods-out notes")
        # Only what this cycle can touch: the notes found, and the imported ones (which may have
        # left the list). Confirmed history is never loaded here, so a cycle costs the same
        # after a year as on the first day.
        known = await self.load_stages(("imported",))
        known.update(await self.load_ids([r.goods_out_note_id for r in rows if r.goods_out_note_id not in known]))
        seen: set[int] = set()
        candidates: list[int] = []
        changed: list[GonRecord] = []
        for n, row in enumerate(rows):
            await self.breathe(n)
            gid = row.goods_out_note_id
            seen.add(gid)
            rec = known.get(gid) or GonRecord(gon_id=gid, order_id=row.order_id, stage="waiting")
            before = (rec.stage, rec.reason, rec.gon_state, rec.warehouse_id, rec.channel_id)
            rec.order_id = row.order_id
            rec.warehouse_id = row.warehouse_id
            if row.channel_id is not None:
                rec.channel_id = row.channel_id
            rec.gon_state = _state_word(row)
            if rec.stage in OPEN_STAGES:
                why = reasons.eligibility(row, None, self.config, known_channel=rec.channel_id)
                if why:
                    self.skip(why.key)
                    rec.stage, rec.reason = "waiting", why.sentence
                elif rec.stage == "failed" and rec.next_attempt_at and rec.next_attempt_at > now:
                    self.skip("backoff")
                else:
                    if rec.stage == "waiting":
                        rec.stage, rec.reason = "ready", ""
                    candidates.append(gid)
            if gid not in known or before != (rec.stage, rec.reason, rec.gon_state, rec.warehouse_id, rec.channel_id):
                changed.append(rec)
        self.store.save_gons(changed)
        # Imported notes that left the unshipped list: shipped in Brightpearl, or deleted.
        gone = [g for g, r in known.items() if r.stage == "imported" and g not in seen]
        changed = await self.changed_in_brightpearl(known, set(gone), now)
        await self.hydrate_map_send(candidates, gone, changed)

    async def changed_in_brightpearl(self, known: dict[int, GonRecord], gone: set[int], now: datetime) -> list[int]:
        """Imported notes whose order was edited in Brightpearl since the last cycle (one search
        call), so corrections such as a new delivery address reach the open ShipStation order."""
        imported = {g: r for g, r in known.items() if r.stage == "imported" and g not in gone}
        mark = parse_iso(self.store.watermark("orders"))
        if not self.dry_run:
            self.store.set_watermark("orders", iso(now) or "")
        if not imported or mark is None:
            return []
        orders = set(await self.bp.search_updated_orders(mark - ORDER_CHANGE_OVERLAP))
        return [g for g, r in imported.items() if r.order_id in orders]

    async def hydrate_map_send(self, candidates: list[int], gone: list[int], changed: list[int] = ()) -> None:
        """Read the notes and their orders (batched), map them, send them.

        ``candidates`` are notes to import; ``gone`` imported notes that left the unshipped
        list; ``changed`` imported notes whose order was edited (re-sent only if the
        ShipStation order would change)."""
        cfg = self.config.brightpearl
        changed = list(changed)
        candidates = candidates + changed
        refresh = set(changed)
        wanted = list(dict.fromkeys(candidates + gone))
        if not wanted:
            return
        self.emit("hydrate", 0, len(wanted), message="reading goods-out notes")
        notes = await self.bp.get_goods_out_notes(wanted)
        order_ids = {notes[g].order_id for g in candidates if g in notes and notes[g].order_id}
        self.emit("hydrate", len(notes), len(wanted), message=f"reading {len(order_ids)} orders")
        orders = await self.bp.get_orders(order_ids) if order_ids else {}
        products = await self._products([notes[g] for g in candidates if g in notes], orders)
        weights = {pid: w for pid, (w, _tracked) in products.items()}
        records = self.store.gons(wanted)
        now = self.now()
        payloads: list[tuple[GonRecord, dict[str, Any]]] = []
        options = MapOptions(
            account_code=cfg.account_code,
            store_id=self.config.shipstation.store_id,
            include_weights=self.config.products.include_weights,
            weight_unit=self.config.products.weight_unit,
        )
        updates: list[GonRecord] = []
        for n, gid in enumerate(candidates):
            await self.breathe(n)
            rec = records[gid]
            gon = notes.get(gid)
            if gon is None:
                rec.stage, rec.reason = "cancelled", reasons.DELETED_BEFORE_IMPORT
                updates.append(rec)
                continue
            if gon.shipped:
                rec.stage, rec.reason, rec.gon_state = "waiting", reasons.SHIPPED_IN_BRIGHTPEARL, "shipped"
                self.skip("shipped_in_brightpearl")
                updates.append(rec)
                continue
            order = orders.get(gon.order_id)
            if order is None:
                self._fail(rec, reasons.ORDER_MISSING, now)
                updates.append(rec)
                continue
            _describe(rec, gon, order)
            if cfg.channel_ids and order.channel_id not in cfg.channel_ids:
                rec.stage, rec.reason = "waiting", reasons.channel_not_selected(order.channel_id, cfg.channel_ids).sentence
                self.skip("channel_not_selected")
                updates.append(rec)
                continue
            extra = []
            if not self.config.products.skip_non_stock_rows and gon.sequence <= 1:
                # Non-stock rows are never on a goods-out note; send them with the first note.
                extra = [r for rid, r in order.rows.items()
                         if rid not in gon.rows and r.product_id and products.get(r.product_id, (None, True))[1] is False]
            try:
                payload = map_gon(gon, order, options, weights, extra_rows=extra)
            except MappingError as exc:
                if gid in refresh:  # already in ShipStation: keep it, say why it was not updated
                    rec.reason = f"changed in Brightpearl but cannot be re-sent: {exc}"
                else:
                    self._fail(rec, str(exc), now)
                updates.append(rec)
                continue
            if gid in refresh:
                if rec.ss_payload and json.loads(rec.ss_payload) == payload:
                    continue  # the change does not touch the ShipStation order
                payload["orderId"] = rec.ss_order_id
            payloads.append((rec, payload))
        self.store.save_gons(updates)
        shipped_outside = [(records[g], notes[g]) for g in gone if g in records and g in notes and notes[g].shipped]
        await self.mark_shipped_in_shipstation(shipped_outside)
        self.emit("map", len(candidates), len(candidates), message=f"{len(payloads)} orders to send")
        await self.send_orders(payloads, refresh)
        await self.cancel_deleted([g for g in gone if g not in notes], records)

    async def mark_shipped_in_shipstation(self, items: list[tuple[GonRecord, GoodsOutNote]]) -> None:
        """Notes shipped in Brightpearl without a ShipStation label: mark their still-open
        ShipStation orders shipped (notify_customer / notify_sales_channel as configured), so
        nobody ships them twice. If ShipStation refuses, the note needs attention."""
        ss_cfg = self.config.shipstation
        for rec, gon in items:
            await self.checkpoint()
            rec.gon_state = "shipped"
            shipped_on = gon.shipped_on or self.now()
            if self.dry_run:
                self.summary.would_write.append(f"ShipStation: mark order {rec.ss_order_number} shipped "
                                                f"(GON {rec.gon_id} shipped in Brightpearl)")
                continue
            aid = self.store.intent("shipstation", "markshipped", gon_id=rec.gon_id, order_id=rec.order_id,
                                    key=f"markshipped:{rec.gon_id}", detail=gon.shipping_reference)
            try:
                await self.ss.mark_as_shipped(
                    rec.ss_order_id or 0, carrier_code="other", ship_date=shipped_on.astimezone(UTC).date(),
                    tracking_number=gon.shipping_reference, notify_customer=ss_cfg.notify_customer,
                    notify_sales_channel=ss_cfg.notify_sales_channel)
            except FATAL:
                self.store.settle(aid, "failed", "cannot reach ShipStation")
                raise
            except ApiError as exc:
                if await self._ss_status(rec.ss_order_id) != "shipped":
                    self.store.settle(aid, "failed", short_error(exc))
                    rec.stage, rec.reason = "attention", f"{reasons.SHIPPED_OUTSIDE} (ShipStation: {exc.message})"
                    self.summary.attention += 1
                    self.store.save_gons([rec])
                    continue
                # Already shipped there: our own earlier mark whose answer was lost.
                self.store.settle(aid, "ok", "already marked shipped in ShipStation")
                rec.stage, rec.reason = "confirmed", reasons.SHIPPED_OUTSIDE_MARKED
                rec.tracking, rec.confirmed_at = gon.shipping_reference, self.now()
                self.summary.confirmed += 1
            else:
                self.store.settle(aid, "ok", "marked shipped in ShipStation")
                rec.stage, rec.reason = "confirmed", reasons.SHIPPED_OUTSIDE_MARKED
                rec.tracking, rec.confirmed_at = gon.shipping_reference, self.now()
                self.summary.confirmed += 1
            self.store.save_gons([rec])

    async def _products(self, gons: list[GoodsOutNote], orders: dict[int, Order]) -> dict[int, tuple[float | None, bool]]:
        """Weight and stock-tracking of the products we need, cached in the state between cycles."""
        ids: set[int] = set()
        if self.config.products.include_weights:
            ids |= {p.product_id for g in gons for parts in g.rows.values() for p in parts if p.product_id}
        if not self.config.products.skip_non_stock_rows:
            ids |= {r.product_id for o in orders.values() for r in o.rows.values() if r.product_id}
        if not ids:
            return {}
        cached = self.store.products(ids)
        missing = [pid for pid in ids if pid not in cached]
        if missing:
            fetched = await self.bp.get_products(missing)
            rows = [(pid, fetched[pid].weight, fetched[pid].stock_tracked) for pid in fetched]
            rows += [(pid, None, True) for pid in missing if pid not in fetched]
            self.store.save_products(rows)
            cached.update({pid: (w, st) for pid, w, st in rows})
        return cached

    async def send_orders(self, payloads: list[tuple[GonRecord, dict[str, Any]]], refresh: set[int] = frozenset()) -> None:
        total = len(payloads)
        for start in range(0, total, SS_BATCH):
            await self.checkpoint()
            batch = payloads[start : start + SS_BATCH]
            if self.dry_run:
                for rec, payload in batch:
                    verb = "update" if rec.ss_order_id else "create"
                    self.summary.would_write.append(
                        f"ShipStation: {verb} order {payload['orderNumber']} ({payload['orderKey']}) for GON {rec.gon_id}"
                    )
                    if rec.ss_order_id:
                        self.summary.updated += 1
                    else:
                        self.summary.imported += 1
                continue
            attempted = self.store.keys_attempted(f"import:{rec.gon_id}" for rec, _ in batch)
            intent_ids = self.store.intent_many(
                "shipstation", "import",
                [(rec.gon_id, rec.order_id, f"import:{rec.gon_id}", str(p["orderKey"])) for rec, p in batch],
            )
            try:
                results = await self.ss.create_orders([p for _, p in batch])
            except FATAL:
                self.store.intents([(i, "error", "not sent: cannot reach ShipStation") for i in intent_ids])
                raise
            except ApiError as exc:
                now = self.now()
                for rec, _ in batch:
                    self._fail(rec, f"ShipStation: {exc.message or exc}", now)
                self.store.intents([(i, "failed", str(exc)) for i in intent_ids])
                self.store.save_gons(rec for rec, _ in batch)
                continue
            by_key = {r.order_key: r for r in results}
            await self.adopt_lost_imports(batch, by_key, attempted)
            now = self.now()
            settled: list[tuple[int, str, str]] = []
            for (rec, payload), intent_id in zip(batch, intent_ids):
                result = by_key.get(str(payload["orderKey"]))
                if result is not None and result.success and result.order_id:
                    if rec.ss_order_id or rec.attempts:
                        self.summary.updated += 1
                    else:
                        self.summary.imported += 1
                    rec.stage, rec.reason, rec.attempts, rec.next_attempt_at = "imported", "", 0, None
                    rec.ss_order_id = result.order_id
                    rec.ss_order_key = result.order_key
                    rec.ss_order_number = result.order_number or str(payload["orderNumber"])
                    stored = {k: v for k, v in payload.items() if k != "orderId"}
                    rec.ss_payload = json.dumps(stored, ensure_ascii=False)
                    settled.append((intent_id, "ok", f"ShipStation order {result.order_id}"))
                elif rec.gon_id in refresh:
                    message = (result.error_message if result else None) or "no answer for this order"
                    rec.reason = f"changed in Brightpearl, but ShipStation refused the update: {message}"
                    settled.append((intent_id, "failed", message))
                else:
                    message = (result.error_message if result else None) or "no answer for this order"
                    self._fail(rec, f"ShipStation rejected it: {message}", now)
                    settled.append((intent_id, "failed", message))
            with self.store.transaction():
                for rec, _ in batch:
                    self.store.save_gon(rec)
            self.store.intents(settled)
            self.emit("import", min(start + SS_BATCH, total), total, gon_id=batch[-1][0].gon_id)

    async def adopt_lost_imports(self, batch: list[tuple[GonRecord, dict[str, Any]]],
                                 by_key: dict[str, CreateOrderResult], attempted: set[str]) -> None:
        """An earlier send whose answer was lost may have created the order, and a packer may
        already have shipped it, so the re-send is refused as "not open". Find that order by
        its number (an exact orderKey match) and adopt it instead of failing the note."""
        store_id = self.config.shipstation.store_id or None
        for rec, payload in batch:
            key = str(payload["orderKey"])
            result = by_key.get(key)
            if result is not None and result.success:
                continue
            if rec.ss_order_id or f"import:{rec.gon_id}" not in attempted:
                continue  # nothing lost: the order was never created, or we know it already
            try:
                found = await self.ss.find_orders_by_number(str(payload["orderNumber"]), store_id=store_id)
            except FATAL:
                raise
            except ApiError:
                continue
            match = [o for o in found if o.order_key == key]
            if match:
                by_key[key] = CreateOrderResult(order_key=key, order_id=match[0].order_id,
                                                order_number=match[0].order_number, success=True)

    async def _ss_status(self, ss_order_id: int | None) -> str | None:
        """The ShipStation order's status now, or None if it cannot be read."""
        if not ss_order_id:
            return None
        try:
            return (await self.ss.get_order(ss_order_id)).order_status
        except FATAL:
            raise
        except ApiError:
            return None

    async def cancel_deleted(self, deleted: list[int], records: dict[int, GonRecord]) -> None:
        """Notes deleted in Brightpearl after import: cancel their open ShipStation orders."""
        batch: list[tuple[GonRecord, dict[str, Any]]] = []
        for gid in deleted:
            rec = records.get(gid)
            if rec is None or not rec.ss_payload:
                continue
            payload = json.loads(rec.ss_payload)
            payload["orderStatus"] = "cancelled"
            if rec.ss_order_id:
                payload["orderId"] = rec.ss_order_id
            batch.append((rec, payload))
        for start in range(0, len(batch), SS_BATCH):
            part = batch[start : start + SS_BATCH]
            if self.dry_run:
                self.summary.would_write += [f"ShipStation: cancel order {p['orderNumber']} (GON {r.gon_id} deleted)"
                                             for r, p in part]
                continue
            ids = self.store.intent_many(
                "shipstation", "cancel", [(r.gon_id, r.order_id, f"cancel:{r.gon_id}", "GON deleted") for r, _ in part]
            )
            results = {r.order_key: r for r in await self.ss.create_orders([p for _, p in part])}
            settled = []
            for (rec, payload), aid in zip(part, ids):
                res = results.get(str(payload["orderKey"]))
                if res is not None and res.success:
                    rec.stage, rec.reason = "cancelled", "deleted in Brightpearl; its ShipStation order was cancelled"
                    self.summary.cancelled += 1
                    settled.append((aid, "ok", "cancelled"))
                elif await self._ss_status(rec.ss_order_id) == "cancelled":
                    # Cancelled already: our own earlier cancel whose answer was lost.
                    rec.stage, rec.reason = "cancelled", "deleted in Brightpearl; its ShipStation order was cancelled"
                    self.summary.cancelled += 1
                    settled.append((aid, "ok", "already cancelled"))
                else:
                    msg = res.error_message if res else "no answer"
                    rec.stage = "attention"
                    rec.reason = f"deleted in Brightpearl, but ShipStation would not cancel its order: {msg}"
                    self.summary.attention += 1
                    settled.append((aid, "failed", str(msg)))
            self.store.save_gons(r for r, _ in part)
            self.store.intents(settled)


def _state_word(row: Any) -> str:
    for word in ("shipped", "packed", "picked", "printed"):
        if getattr(row, word, False):
            return word
    return "new"


def _describe(rec: GonRecord, gon: GoodsOutNote, order: Order) -> None:
    rec.reference = order.reference or ""
    rec.customer = (order.delivery.full_name if order.delivery else "") or ""
    rec.channel_id = order.channel_id
    rec.warehouse_id = gon.warehouse_id
    rec.gon_state = gon.state_word
