"""The one seam between the core and its callers (dashboard and CLI).

A ``Connector`` owns the two API clients, the state store and the sync lock. Screens and
commands call its methods; they never build HTTP clients themselves.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bp_tui.alerts.deliver import Dispatcher, send_test
from bp_tui.alerts.evaluate import evaluate
from bp_tui.brightpearl.client import BrightpearlClient
from bp_tui.brightpearl.models import StaffContact
from bp_tui.brightpearl.oauth import BrightpearlLogin
from bp_tui.config import BrightpearlSettings, Config, secret_values
from bp_tui.core import reasons
from bp_tui.core.health import AlertSendResult, Incident, StatusReport
from bp_tui.core.records import GonRecord, utcnow
from bp_tui.core.stages import ShipmentRole, Stage
from bp_tui.core.types import (
    Budget,
    CheckResult,
    CycleSummary,
    Diagnosis,
    HistoryEntry,
    OrderPart,
    Progress,
    QueueHeader,
    QueuePage,
    QueueRow,
)
from bp_tui.errors import ApiProblem, StopRequested, SyncLocked, inert, scrub_secrets
from bp_tui.service.status import account_label, read_health
from bp_tui.shipstation.client import ShipStationClient
from bp_tui.shipstation.port import ShipStationPort
from bp_tui.shipstation.v2.client import ShipStationV2Client, V1OnlyError
from bp_tui.shipstation.v2.detect import KeyCheck, detect_api_version
from bp_tui.state import StateStore, SyncLock
from bp_tui.state.alerts import AlertLedger
from bp_tui.state.queries import SEARCH_LIMIT
from bp_tui.state.tokens import TokenFileError, TokenStore
from bp_tui.sync.context import CycleContext
from bp_tui.sync.cycle import run_cycle
from bp_tui.sync.writer import DryRunWriter, Writer
from bp_tui.troubleshoot.bundle import BundleSources, write_bundle
from bp_tui.troubleshoot.deps import Sources
from bp_tui.troubleshoot.diagnose import diagnose
from bp_tui.troubleshoot.doctor import run_checks

LOCK_POLL_S = 0.2  # how often a sync waiting for another one (--wait) looks at the lock
STOP_POLL_S = 0.25  # how soon a stop request ends a rate-limit or retry wait
ALERTS_EXIT_WAIT_S = 5.0  # on close, how long alert messages still sending may finish


class Connector:
    def __init__(
        self,
        config: Config,
        state_path: Path,
        *,
        config_path: Path | None = None,
        bp_transport: httpx.AsyncBaseTransport | None = None,
        ss_transport: httpx.AsyncBaseTransport | None = None,
        client_options: dict | None = None,
        ss_options: dict | None = None,
        profile: str | None = None,
    ) -> None:
        self.config = config
        self.profile = profile
        self.config_path = config_path
        self.state_path = state_path
        self._bp_transport = bp_transport
        self._ss_transport = ss_transport
        self._client_options = client_options or {}
        self._ss_options = (
            ss_options or {}
        )  # for the ShipStation client only (e.g. a V2 limiter's limit)
        self._stop = False
        self.store = StateStore(state_path)
        self.tokens = TokenStore.beside_state(
            state_path
        )  # Brightpearl OAuth tokens, beside the state
        self.bp = self._make_bp()
        self.ss = self._make_ss()
        self.running = False
        self.label = account_label(config, profile)  # alerts and status name it
        self.alerts = Dispatcher(state_path, config.alerts, label=self.label)
        saved = self.store.meta.watermark("warehouse_names")
        self._warehouse_names: dict[int, str] = (
            {int(k): v for k, v in json.loads(saved).items()} if saved else {}
        )

    def secrets(self) -> list[str]:
        """Every secret an answer or a message could quote: the config's and the stored OAuth
        tokens (what the redactor masks in the audit log, the bundle and the CLI's output)."""
        found = secret_values(self.config)
        try:
            tokens = self.tokens.load()
        except TokenFileError:
            return found
        return found if tokens is None else found + [tokens.access_token, tokens.refresh_token]

    @classmethod
    def open(
        cls,
        config: Config,
        state_path: Path,
        *,
        config_path: Path | None = None,
        profile: str | None = None,
    ) -> Connector:
        return cls(config, state_path, config_path=config_path, profile=profile)

    def _make_bp(self) -> BrightpearlClient:
        options = {"sleep": self._sleep, **self._client_options}
        return BrightpearlClient(
            self.config.brightpearl, transport=self._bp_transport, tokens=self.tokens, **options
        )

    def brightpearl_login(self, settings: BrightpearlSettings | None = None) -> BrightpearlLogin:
        """Connecting Brightpearl by OAuth: `bp-tui auth login|status|logout` and setup's Connect
        (with the form's ``settings``, not saved yet). The tokens go beside this state file."""
        return BrightpearlLogin(
            settings or self.config.brightpearl, self.tokens, transport=self._bp_transport
        )

    def _make_ss(self) -> ShipStationPort:
        """The V1 client, or the V2 adapter when ``[shipstation] api_version = "v2"``."""
        options = {"sleep": self._sleep, **self._client_options, **self._ss_options}
        if self.config.shipstation.api_version == "v2":
            return ShipStationV2Client(
                self.config.shipstation,
                transport=self._ss_transport,
                state_path=self.state_path,
                void_lookback_days=self.config.sync.lookback_days,
                **options,
            )
        return ShipStationClient(self.config.shipstation, transport=self._ss_transport, **options)

    # ------------------------------------------------------------------ stopping
    @property
    def stop_requested(self) -> bool:
        return self._stop

    @stop_requested.setter
    def stop_requested(self, value: bool) -> None:
        self._stop = value

    def request_stop(self) -> None:
        """SIGTERM / SIGINT / SIGHUP or quitting: the running cycle stops at its next safe point
        (between two writes), and a rate-limit or retry wait ends within a quarter second."""
        self._stop = True

    async def _sleep(self, seconds: float) -> None:
        """The clients' waits (rate limits, retries), in slices so a stop request cuts them
        short; then StopRequested is raised before anything more is sent."""
        deadline = time.monotonic() + max(0.0, seconds)
        while not self._stop:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            await asyncio.sleep(min(left, STOP_POLL_S))
        raise StopRequested()

    def reload_config(self, config: Config) -> None:
        """New settings take effect for the next call; clients are rebuilt with them."""
        self.config = config
        self.alerts.settings = config.alerts
        old_bp, old_ss = self.bp, self.ss
        self.bp, self.ss = self._make_bp(), self._make_ss()
        self._pending_close = (old_bp, old_ss)

    async def aclose(self) -> None:
        await asyncio.to_thread(self.alerts.wait, ALERTS_EXIT_WAIT_S)  # messages in flight, briefly
        await self.bp.aclose()
        await self.ss.aclose()
        for client in getattr(self, "_pending_close", ()):
            await client.aclose()
        self.store.close()

    # ------------------------------------------------------------------ sync
    async def _take(self, lock: SyncLock, wait: bool) -> None:
        """The sync lock; with ``wait``, polled without blocking the event loop (the dashboard
        stays live) until it is free, a stop request ending the wait within ``LOCK_POLL_S``."""
        while True:
            try:
                lock.acquire(wait=False)
                return
            except SyncLocked:
                if not wait:
                    raise
            if self._stop:
                raise StopRequested()
            await asyncio.sleep(LOCK_POLL_S)

    async def run_cycle(
        self,
        *,
        import_only: bool = False,
        confirm_only: bool = False,
        dry_run: bool = False,
        on_progress: Callable[[Progress], None] | None = None,
        wait: bool = False,
        confirm_cancel: bool = False,
    ) -> CycleSummary:
        """One import + confirm cycle under the state file's sync lock. ``confirm_cancel``: a
        person confirmed that this cycle may cancel more ShipStation orders than
        ``sync.max_cancels`` (or every open one) for notes deleted in Brightpearl."""
        lock = SyncLock(self.state_path)
        await self._take(lock, wait)
        self.running = True
        try:
            if dry_run:
                return await self._dry_run(import_only, confirm_only, on_progress, confirm_cancel)
            mode = "import" if import_only else "confirm" if confirm_only else "full"
            run_id = self.store.meta.start_run(mode, _pid())
            summary = CycleSummary()
            writer = Writer(self.store, summary, secrets=self.secrets)
            ctx = self._context(self.store, writer, summary, on_progress)
            failure: BaseException | None = None
            ctx.confirm_cancel = confirm_cancel
            try:
                return await run_cycle(ctx, do_import=not confirm_only, do_confirm=not import_only)
            except BaseException as exc:
                failure = exc
                raise
            finally:
                self.store.meta.finish_run(run_id, {**summary.as_json(), **self._outcome(failure)})
                self._after_cycle(failure)
        finally:
            self.running = False
            lock.release()

    def _outcome(self, failure: BaseException | None) -> dict[str, str]:
        """What the runs table keeps of how a cycle ended (for `bp-tui status`)."""
        if failure is None:
            return {"result": "ok"}
        if isinstance(failure, (StopRequested, asyncio.CancelledError)):
            return {"result": "stopped"}
        text = (
            failure.describe()
            if isinstance(failure, ApiProblem)
            else f"{type(failure).__name__}: {failure}"
        )
        return {
            "result": "failed",
            "error": inert(scrub_secrets(text, secret_values(self.config)))[:300],
        }

    def _after_cycle(self, failure: BaseException | None) -> None:
        """Incidents from what the state says now (a few index reads, one transaction), then their
        messages and the heartbeat in the background: never more than that on the cycle's path."""
        stopped = isinstance(failure, (StopRequested, asyncio.CancelledError))
        try:
            conditions = evaluate(
                self.store,
                self.config,
                utcnow(),
                label=self.label,
                failure=failure,
                cycle_done=not stopped,
            )
            AlertLedger(self.store).apply(conditions, utcnow())
        except Exception:  # noqa: BLE001 - alerts never break a cycle; the next one evaluates again
            pass
        self.alerts.kick(heartbeat=None if stopped else failure is None)

    def _context(
        self,
        store: StateStore,
        writer: Writer,
        summary: CycleSummary,
        on_progress: Callable[[Progress], None] | None,
    ) -> CycleContext:
        return CycleContext(
            config=self.config,
            bp=self.bp,
            ss=self.ss,
            store=store,
            writer=writer,
            summary=summary,
            on_progress=on_progress,
            should_stop=lambda: self.stop_requested,
        )

    async def _dry_run(
        self,
        import_only: bool,
        confirm_only: bool,
        on_progress: Callable[[Progress], None] | None,
        confirm_cancel: bool = False,
    ) -> CycleSummary:
        """The whole cycle with a writer that writes nothing, over a rehearsal of the state (its
        own connection, rolled back at the end, so the dashboard never sees it)."""
        scratch = StateStore(self.state_path)
        try:
            with scratch.rehearsal():
                summary = CycleSummary(dry_run=True)
                ctx = self._context(scratch, DryRunWriter(scratch, summary), summary, on_progress)
                ctx.confirm_cancel = confirm_cancel
                return await run_cycle(ctx, do_import=not confirm_only, do_confirm=not import_only)
        finally:
            scratch.close()

    async def load_names(self) -> None:
        """Warehouse names for the queue (one call), kept in the state for the next start."""
        warehouses = await self.bp.list_warehouses()
        self._warehouse_names = {w.id: w.name for w in warehouses}
        self.store.meta.set_watermark("warehouse_names", json.dumps(self._warehouse_names))

    def queue_warehouse_name(self, warehouse_id: int | None) -> str:
        """The warehouse's name when known (after ``load_names``), else ""."""
        return self._warehouse_names.get(warehouse_id, "") if warehouse_id is not None else ""

    # ------------------------------------------------------------------ reading state
    def queue_rows(self, *, changed_since: datetime | None = None) -> list[QueueRow]:
        """The queue from the local state; ``changed_since`` gives only rows updated since then
        (cheap live updates of a large queue while a sync runs)."""
        records = self.store.queue.records(changed_since=changed_since)
        parts = self._parts()
        return [self._queue_row(r, parts) for r in records]

    def queue_page(
        self,
        *,
        stage: Stage | None = None,
        search: str = "",
        sort: str = "stage",
        offset: int = 0,
        limit: int = 100,
    ) -> QueuePage:
        """A page of the queue read from the state: only ``stage`` (None: all), matching
        ``search`` (the start of a GON id, order id, reference, tracking number or customer),
        in ``sort`` order. SQLite filters, searches and sorts on indexes, so a page costs the
        same with a million notes as with a hundred."""
        records, total = self.store.queue.page(
            stage=stage, search=search, sort=sort, offset=offset, limit=limit
        )
        parts = self._parts([r.gon_id for r in records])
        return QueuePage(
            rows=[self._queue_row(r, parts) for r in records],
            offset=offset,
            total=total,
            capped=bool(search.strip()) and total > SEARCH_LIMIT,
        )

    def queue_rows_of(self, gon_ids: list[int]) -> dict[int, QueueRow]:
        """These notes as they are now (a live refresh re-reads only the rows on screen)."""
        records = self.store.queue.records_of(gon_ids)
        parts = self._parts(list(records))
        return {g: self._queue_row(r, parts) for g, r in records.items()}

    def queue_position(
        self, gon_id: int, *, stage: Stage | None = None, search: str = "", sort: str = "stage"
    ) -> int | None:
        """The note's offset in that view, or None when the view does not hold it."""
        return self.store.queue.position(gon_id, stage=stage, search=search, sort=sort)

    def stage_counts(self) -> dict[str, int]:
        return self.store.queue.stage_counts()

    def queue_header(self, now: datetime, *, activity: bool = True) -> QueueHeader:
        """Notes per stage, the oldest note still to be imported or shipped, and notes imported
        and confirmed in each of the 24 hours up to ``now`` (oldest hour first). The counts and
        the oldest note are reads of a few index entries; the 24 hours read every import and
        confirmation of a day (tens of milliseconds at thousands a day), so a live refresh during
        a sync leaves them out (``activity=False``: None)."""
        incidents = AlertLedger(self.store).open_count()
        if not activity:
            return QueueHeader(
                counts=self.store.queue.stage_counts(),
                oldest_unshipped=self.store.queue.oldest_unshipped(),
                imported_per_hour=None,
                confirmed_per_hour=None,
                open_incidents=incidents,
            )
        hour = now.astimezone(UTC).replace(
            minute=0, second=0, microsecond=0
        )  # the state's hours are UTC
        hours = [hour - timedelta(hours=h) for h in range(23, -1, -1)]
        by_hour = self.store.queue.activity_by_hour(hours[0])
        keys = [h.strftime("%Y-%m-%dT%H") for h in hours]
        return QueueHeader(
            counts=self.store.queue.stage_counts(),
            oldest_unshipped=self.store.queue.oldest_unshipped(),
            imported_per_hour=[by_hour.get(k, (0, 0))[0] for k in keys],
            confirmed_per_hour=[by_hour.get(k, (0, 0))[1] for k in keys],
            open_incidents=incidents,
        )

    def _queue_row(self, r: GonRecord, parts: dict[int, list[OrderPart]]) -> QueueRow:
        names = self._warehouse_names
        return QueueRow(
            gon_id=r.gon_id,
            order_id=r.order_id,
            stage=r.stage,
            gon_state=r.gon_state,
            reference=r.reference,
            customer=r.customer,
            warehouse_id=r.warehouse_id,
            warehouse=names.get(r.warehouse_id, str(r.warehouse_id))
            if r.warehouse_id is not None
            else "",
            channel_id=r.channel_id,
            ss_order_id=r.ss_order_id,
            ss_order_number=r.ss_order_number,
            tracking=r.tracking,
            reason=r.reason,
            attempts=r.attempts,
            next_attempt_at=r.next_attempt_at,
            first_seen=r.first_seen,
            updated_at=r.updated_at,
            parts=parts.get(r.gon_id, []),
        )

    def _parts(self, gon_ids: list[int] | None = None) -> dict[int, list[OrderPart]]:
        """The split parts and merged-into orders of these notes (None: of every note that has
        them, a small table), each with its live labels' tracking numbers."""
        found = (
            self.store.all_parts()
            if gon_ids is None
            else self.store.parts_of(gon_ids)
            if gon_ids
            else {}
        )
        labels = self.store.shipments_of(found) if found else {}
        out: dict[int, list[OrderPart]] = {}
        for gon_id, parts in found.items():
            for p in parts:
                tracking = ", ".join(
                    s.tracking
                    for s in labels.get(gon_id, [])
                    if s.ss_order_id == p.ss_order_id
                    and s.tracking
                    and not s.voided
                    and s.role != ShipmentRole.RETURN
                )
                out.setdefault(gon_id, []).append(
                    OrderPart(p.ss_order_id, p.order_number, p.kind, p.status, tracking)
                )
        return out

    def history(self, gon_id: int) -> list[HistoryEntry]:
        return self.store.audit.history(gon_id)

    def held_cancellations(self) -> list[int]:
        """The notes whose ShipStation cancellation the deletion guard holds for a confirmation."""
        return sorted(
            g
            for g, r in self.store.gons(stages=(Stage.ATTENTION,)).items()
            if r.reason.startswith(reasons.CANCELS_HELD)
        )

    def retry(self, gon_ids: list[int] | None = None) -> int:
        """Make failed notes eligible on the next cycle, now, instead of after their backoff."""
        return self.store.make_due(gon_ids)

    def recent_errors(self) -> list[tuple[str, int, list[int]]]:
        groups: dict[str, list[int]] = {}
        for rec in self.store.gons(stages=("failed", "attention")).values():
            groups.setdefault(rec.reason or "(no reason recorded)", []).append(rec.gon_id)
        return sorted(
            ((r, len(ids), sorted(ids)) for r, ids in groups.items()), key=lambda t: -t[1]
        )

    def budget(self) -> Budget:
        return Budget(
            brightpearl_remaining=self.bp.gate.remaining,
            shipstation_remaining=self.ss.gate.remaining,
        )

    def last_run(self) -> tuple[datetime, CycleSummary] | None:
        found = self.store.meta.last_run()
        if found is None:
            return None
        at, data = found
        summary = CycleSummary(
            imported=int(data.get("imported", 0)),
            updated=int(data.get("updated", 0)),
            confirmed=int(data.get("confirmed", 0)),
            failed=int(data.get("failed", 0)),
            failing=int(data.get("failing", 0)),
            cancelled=int(data.get("cancelled", 0)),
            attention=int(data.get("attention", 0)),
            removed=int(data.get("removed", 0)),
            skipped=dict(data.get("skipped", {})),
            api_calls=dict(data.get("api_calls", {})),
            duration_s=float(data.get("duration_s", 0.0)),
            errors=list(data.get("errors", [])),
        )
        return at, summary

    # ------------------------------------------------------------------ alerts and health
    def incidents(self, recent: int = 50) -> list[Incident]:
        """Open incidents, then the ``recent`` last resolved ones."""
        return AlertLedger(self.store).incidents(recent=recent)

    def open_incident_count(self) -> int:
        return AlertLedger(self.store).open_count()

    @staticmethod
    def test_alerts(config: Config) -> list[AlertSendResult]:
        """One test message to each Apprise URL of ``[alerts] urls`` (blocking: run it off the UI);
        needs no state and no API."""
        return send_test(config.alerts, account_label(config))

    @staticmethod
    def read_status(
        config: Config, state_path: Path, now: datetime | None = None, profile: str | None = None
    ) -> StatusReport:
        """`bp-tui status`: the state only (no client is made, no API called)."""
        return read_health(config, state_path, now, profile=profile)

    # ------------------------------------------------------------------ troubleshooting
    def _sources(self) -> Sources:
        return Sources(
            config=self.config,
            bp=self.bp,
            ss=self.ss,
            store=self.store,
            warehouse_name=self.queue_warehouse_name,
        )

    async def doctor(
        self, on_check: Callable[[CheckResult], object] | None = None
    ) -> list[CheckResult]:
        return await run_checks(self._sources(), on_check)

    async def diagnose(self, ident: int) -> list[Diagnosis]:
        return await diagnose(self._sources(), ident)

    def bundle_sources(self) -> BundleSources:
        return BundleSources(
            config=self.config,
            store=self.store,
            config_path=self.config_path,
            state_path=self.state_path,
            secrets=self.secrets(),
            recent_errors=self.recent_errors(),
        )

    def export_support_bundle(self, path: str | os.PathLike[str], *, force: bool = False) -> Path:
        """Write the support bundle (see :func:`bp_tui.troubleshoot.bundle.write_bundle`)."""
        return write_bundle(self.bundle_sources(), path, force=force)

    async def lookups(self) -> dict[str, list[tuple[int, str]]]:
        """Pick lists for connection setup, from both APIs; "login_staff" holds the staff contact
        the Brightpearl credentials belong to, when known (setup's default staff_contact_id)."""
        channels = await self.bp.list_channels()
        warehouses = await self.bp.list_warehouses()
        statuses = await self.bp.list_order_statuses()
        try:
            stores = await self.ss.list_stores()
        except V1OnlyError:
            stores = []  # V2 has no stores endpoint: store_id is typed in, or left 0
        staff = await self.bp.list_staff()
        self._warehouse_names = {w.id: w.name for w in warehouses}
        self.store.meta.set_watermark("warehouse_names", json.dumps(self._warehouse_names))
        staff_rows = [(c.id, _staff_label(c)) for c in staff]
        login = self._login_staff(staff)
        return {
            "channels": [(c.id, c.name) for c in channels],
            "warehouses": [(w.id, w.name) for w in warehouses],
            "statuses": [(s.id, s.name) for s in statuses if s.order_type_code in ("SO", "")],
            "stores": [(s.store_id, s.store_name) for s in stores],
            "staff": staff_rows,
            # The staff contact the credentials belong to, where that is known: the legacy login
            # names its staff member by email; a token or an OAuth grant does not say whose it is.
            "login_staff": [row for row in staff_rows if login is not None and row[0] == login.id],
        }

    def _login_staff(self, staff: list[StaffContact]) -> StaffContact | None:
        settings = self.config.brightpearl
        email = settings.username.strip().casefold() if settings.auth == "password" else ""
        found = [c for c in staff if email and c.email.casefold() == email]
        return found[0] if len(found) == 1 else None

    async def detect_shipstation_api(self, api_key: str, api_secret: str = "") -> KeyCheck:
        """Which ShipStation API a key (and secret) belongs to, for setup: one cheap GET on each."""
        return await detect_api_version(
            api_key,
            api_secret,
            base_url=self.config.shipstation.base_url,
            transport=self._ss_transport,
        )

    async def push_store_branding(
        self,
        *,
        company_name: str | None = None,
        phone: str | None = None,
        public_email: str | None = None,
        website: str | None = None,
    ) -> None:
        store_id = self.config.shipstation.store_id
        if not store_id:
            stores = await self.ss.list_stores()
            manual = [s for s in stores if s.marketplace_name == "ShipStation"] or stores
            if not manual:
                raise ValueError("no ShipStation store to update: set shipstation.store_id")
            store_id = manual[0].store_id
        await self.ss.update_store_branding(
            store_id,
            company_name=company_name,
            phone=phone,
            public_email=public_email,
            website=website,
        )


def _staff_label(contact: StaffContact) -> str:
    name = contact.name or "(no name)"
    return f"{name} <{contact.email}>" if contact.email else name


def _pid() -> int:
    return os.getpid()
