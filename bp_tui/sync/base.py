"""What every step of a sync cycle shares: settings, clients, state, the summary, progress
events, safe stopping points and paged reads of the state."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

from bp_tui.brightpearl.client import BrightpearlClient
from bp_tui.config import Config
from bp_tui.errors import ApiAuthError, ApiUnavailable
from bp_tui.core.types import CycleSummary, Progress
from bp_tui.shipstation.client import ShipStationClient
from bp_tui.core.records import GonRecord, utcnow
from bp_tui.state.store import StateStore

SS_BATCH = 100
MAX_BACKOFF = timedelta(hours=6)
ORDER_CHANGE_OVERLAP = timedelta(minutes=5)  # re-read order edits this far back (clock skew)
OPEN_STAGES = ("waiting", "ready", "failed")
FATAL = (ApiAuthError, ApiUnavailable)

ProgressFn = Callable[[Progress], None]


class StopRequested(Exception):
    """SIGINT/SIGTERM arrived: the cycle stopped between two writes."""


class EngineBase:
    """Settings, clients, state and the cycle's summary, shared by recovery, import and confirm."""

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

    def _fail(self, rec: GonRecord, reason: str, now: datetime) -> None:
        rec.stage = "failed"
        rec.reason = reason
        rec.attempts += 1
        delay = timedelta(seconds=self.config.sync.interval_seconds) * (2 ** min(rec.attempts - 1, 12))
        rec.next_attempt_at = now + min(delay, MAX_BACKOFF)
        self.summary.failed += 1
        self.summary.errors.append(f"GON {rec.gon_id}: {reason}")


def short_error(exc: BaseException) -> str:
    """An error as one line of at most 300 characters, for the audit log."""
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."
