"""One sync cycle: discover -> hydrate -> map -> import -> read shipments -> confirm.

Every API write is recorded in the state's audit log as an ``intent`` before it is sent
and settled after; ``recover`` resolves intents left open by a crash by re-reading the
remote side, so a crash at any point followed by a new run ends with every note imported
once and confirmed once. Every step is batched to the vendors' documented limits.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from bp_tui.brightpearl.client import BrightpearlClient, GonConflict
from bp_tui.brightpearl.models import GoodsOutNote, Order
from bp_tui.config import Config
from bp_tui.errors import ApiAuthError, ApiError, ApiUnavailable
from bp_tui.service.types import CycleSummary, Progress
from bp_tui.shipstation.client import ShipStationClient
from bp_tui.shipstation.models import CreateOrderResult
from bp_tui.state.store import GonRecord, ShipmentRecord, StateStore, iso, parse_iso, utcnow
from bp_tui.sync import reasons
from bp_tui.sync.mapping import MapOptions, MappingError, map_gon, order_key
from bp_tui.sync.notes import note_marker, shipment_note, tracking_reference

SS_BATCH = 100
MAX_BACKOFF = timedelta(hours=6)
ORDER_CHANGE_OVERLAP = timedelta(minutes=5)  # re-read order edits this far back (clock skew)
OPEN_STAGES = ("waiting", "ready", "failed")
FATAL = (ApiAuthError, ApiUnavailable)

ProgressFn = Callable[[Progress], None]


class StopRequested(Exception):
    """SIGINT/SIGTERM arrived: the cycle stopped between two writes."""


class SyncEngine:
    def __init__(
        self,
        config: Config,
        store: StateStore,
        bp: BrightpearlClient,
        ss: ShipStationClient,
        *,
        dry_run: bool = False,
        on_progress: ProgressFn | None = None,
        now: Callable[[], datetime] = utcnow,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> None:
        self.config = config
        self.store = store
        self.bp = bp
        self.ss = ss
        self.dry_run = dry_run
        self.on_progress = on_progress
        self.now = now
        self.should_stop = should_stop
        self.summary = CycleSummary(dry_run=dry_run)

    # ------------------------------------------------------------------ cycle
    async def run_cycle(self, *, do_import: bool = True, do_confirm: bool = True) -> CycleSummary:
        started = time.monotonic()
        bp_start, ss_start = self.bp.requests_sent, self.ss.requests_sent
        try:
            await self.recover()
            if do_import:
                await self.import_step()
            if do_confirm:
                await self.confirm_step()
        finally:
            self.summary.api_calls = {
                "brightpearl": self.bp.requests_sent - bp_start,
                "shipstation": self.ss.requests_sent - ss_start,
            }
            self.summary.duration_s = time.monotonic() - started
        return self.summary

    def emit(self, step: str, done: int, total: int, gon_id: int | None = None, message: str = "") -> None:
        if self.on_progress is not None:
            self.on_progress(Progress(step=step, done=done, total=total, gon_id=gon_id, message=message))

    async def checkpoint(self) -> None:
        """A safe place to stop (no write is half done here), and to let the event loop
        serve other tasks, such as the dashboard's key presses."""
        if self.should_stop():
            raise StopRequested()
        await asyncio.sleep(0)

    async def breathe(self, index: int) -> None:
        """Inside long local loops: let other tasks (the dashboard) run every 256 items."""
        if index % 256 == 255:
            await asyncio.sleep(0)

    async def load_stages(self, stages: tuple[str, ...]) -> dict[int, GonRecord]:
        """Every note in ``stages``, read a page at a time with pauses for other tasks."""
        out: dict[int, GonRecord] = {}
        after = 0
        while page := self.store.gons_page(stages, after=after):
            out.update((r.gon_id, r) for r in page)
            after = page[-1].gon_id
            await asyncio.sleep(0)
        return out

    async def load_ids(self, ids: list[int]) -> dict[int, GonRecord]:
        """The notes with these ids (those the state knows), with pauses for other tasks."""
        out: dict[int, GonRecord] = {}
        for start in range(0, len(ids), 1000):
            out.update(self.store.gons(ids[start : start + 1000]))
            await asyncio.sleep(0)
        return out

    def skip(self, key: str, count: int = 1) -> None:
        self.summary.skipped[key] = self.summary.skipped.get(key, 0) + count

    # ------------------------------------------------------------------ recovery
    async def recover(self) -> None:
        """Settle write intents a crashed run left open."""
        open_rows = self.store.open_intents()
        if not open_rows:
            return
        self.emit("recover", 0, len(open_rows), message=f"{len(open_rows)} unfinished writes from an earlier run")
        settled: list[tuple[int, str, str]] = []
        to_ready: list[int] = []
        notes_by_order: dict[int, list[Any]] = {}
        note_rows = [r for r in open_rows if r["action"].startswith("note")]
        if note_rows:
            notes_by_order = await self.bp.search_order_notes({r["order_id"] for r in note_rows})
        for row in open_rows:
            action = row["action"]
            if action in ("import", "cancel"):
                # orderKey upsert makes re-sending safe: put the note back in line.
                if action == "import" and row["gon_id"] is not None:
                    to_ready.append(row["gon_id"])
                settled.append((row["id"], "lost", "interrupted; will be re-sent (orderKey makes it an update)"))
            elif action.startswith("note"):
                marker = note_marker(row["key"])
                found = any(marker in n.text for n in notes_by_order.get(row["order_id"], []))
                if found:
                    settled.append((row["id"], "ok", "found on the order after an interrupted run"))
                    self._mark_noted(row["key"])
                else:
                    settled.append((row["id"], "lost", "interrupted before Brightpearl stored it; will be re-posted"))
            else:
                # reference PUT and status PUT are idempotent; SHW is re-checked by re-reading the note.
                settled.append((row["id"], "lost", "interrupted; re-checked on this run"))
        if not self.dry_run:
            self.store.intents(settled)
        with self.store.transaction():
            for gon_id in to_ready:
                rec = self.store.gon(gon_id)
                if rec and rec.stage in ("ready", "failed", "waiting"):
                    rec.stage, rec.next_attempt_at = "ready", None
                    self.store.save_gon(rec)

    def _mark_noted(self, key: str) -> None:
        kind, _, rest = key.partition(":")
        ship_kind, _, remote = rest.partition("-")
        if not remote.isdigit():
            return
        rec = self.store.shipment(ship_kind, int(remote))
        if rec is None:
            return
        if kind == "note":
            rec.noted = True
        elif kind in ("note-late", "note-void"):
            rec.void_noted = True if kind == "note-void" else rec.void_noted
            rec.noted = True if kind == "note-late" else rec.noted
        with self.store.transaction():
            self.store.save_shipment(rec)

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
                why = self._ineligible(row.order_id, row.warehouse_id, rec.channel_id, _flag(row, cfg.import_when))
                if why:
                    key, sentence = why
                    self.skip(key)
                    rec.stage, rec.reason = "waiting", sentence
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

    def _ineligible(self, order_id: int, warehouse_id: int | None, channel_id: int | None,
                    in_state: bool) -> tuple[str, str] | None:
        cfg = self.config.brightpearl
        if order_id == 0:
            return "transfer", reasons.TRANSFER
        if cfg.warehouse_ids and warehouse_id not in cfg.warehouse_ids:
            return "warehouse_not_selected", reasons.warehouse_not_selected(warehouse_id, self.config)
        if cfg.channel_ids and channel_id is not None and channel_id not in cfg.channel_ids:
            return "channel_not_selected", reasons.channel_not_selected(channel_id, self.config)
        if not in_state:
            return "not_in_import_state", reasons.not_in_state(cfg.import_when)
        return None

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
                rec.stage, rec.reason = "waiting", reasons.channel_not_selected(order.channel_id, self.config)
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
                    self.store.settle(aid, "failed", _short(exc))
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

    def _fail(self, rec: GonRecord, reason: str, now: datetime) -> None:
        rec.stage = "failed"
        rec.reason = reason
        rec.attempts += 1
        delay = timedelta(seconds=self.config.sync.interval_seconds) * (2 ** min(rec.attempts - 1, 12))
        rec.next_attempt_at = now + min(delay, MAX_BACKOFF)
        self.summary.failed += 1
        self.summary.errors.append(f"GON {rec.gon_id}: {reason}")

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
                self.store.settle(aid, "failed", _short(exc))
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
                    self.store.settle(aid, "failed", _short(exc))
                    raise
            except Exception as exc:
                self.store.settle(aid, "failed", _short(exc))
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
            self.store.settle(aid, "failed", _short(exc))
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
                self.store.settle(aid, "failed", _short(exc))
                self.summary.errors.append(f"order {oid}: status not set: {exc}")
                continue
            self.store.settle(aid, "ok", f"status {cfg.shipped_status_id}")


def _flag(row: Any, import_when: str) -> bool:
    return bool(getattr(row, import_when, False))


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


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


__all__ = ["StopRequested", "SyncEngine", "order_key"]
