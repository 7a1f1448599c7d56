"""What every step of a sync cycle shares: one ``CycleContext`` (settings, the two API ports,
the state, the writer, the summary, the clock, progress events and safe stopping points)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bp_tui.brightpearl.port import BrightpearlPort
from bp_tui.config.model import Config
from bp_tui.core.lifecycle import Event, move
from bp_tui.core.records import GonRecord, utcnow
from bp_tui.core.types import CycleSummary, Progress
from bp_tui.errors import StopRequested
from bp_tui.shipstation.models import Order as ShipStationOrder
from bp_tui.shipstation.port import ShipStationPort
from bp_tui.state.store import StateStore
from bp_tui.sync.writer import Writer, short_error

SS_BATCH = 100  # orders per create, update or cancel call (both APIs take at most 100)
MAX_BACKOFF = timedelta(hours=6)
ORDER_CHANGE_OVERLAP = timedelta(minutes=5)  # re-read order edits this far back (clock skew)
# A step catches ApiError (this request refused) and ApiThrottled (ask again later) for the one
# note or order it was about, and goes on with the others: that note fails with a backoff, waits
# for the next cycle, or needs a person (each step says which).
# A CycleStop (credentials refused, no usable answer, a stop request) is never caught: it ends the
# cycle, and the next one goes on from where it stopped.

ProgressFn = Callable[[Progress], None]


@dataclass
class CycleContext:
    config: Config
    bp: BrightpearlPort
    ss: ShipStationPort
    store: StateStore
    writer: Writer
    summary: CycleSummary
    now: Callable[[], datetime] = utcnow
    on_progress: ProgressFn | None = None
    should_stop: Callable[[], bool] = field(default=lambda: False)
    # Orders ShipStation holds under our notes' keys, from this cycle's changed-orders read
    # (LearnParts): a note never sent whose key is here is adopted, not created again.
    held_orders: dict[str, list[ShipStationOrder]] = field(default_factory=dict)
    # a person confirmed this sync may cancel more than sync.max_cancels orders (or every open one)
    confirm_cancel: bool = False
    # the (reason, note) pairs counted in summary.skipped: a note counts once per reason
    skipped_notes: set[tuple[str, int]] = field(default_factory=set)

    # ---- progress and pauses
    def emit(
        self, step: str, done: int, total: int, gon_id: int | None = None, message: str = ""
    ) -> None:
        if self.on_progress is not None:
            self.on_progress(
                Progress(step=step, done=done, total=total, gon_id=gon_id, message=message)
            )

    async def checkpoint(self) -> None:
        """A safe place to stop (no write is half done here), and to let the event loop
        serve other tasks, such as the dashboard's key presses."""
        if self.should_stop():
            raise StopRequested()
        await asyncio.sleep(0)

    @staticmethod
    async def breathe(index: int) -> None:
        """Inside long local loops: let other tasks (the dashboard) run every 256 items."""
        if index % 256 == 255:
            await asyncio.sleep(0)

    # ---- paged reads of the state
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

    # ---- outcomes
    def skip(self, key: str, rec: GonRecord) -> None:
        """The note is left alone this cycle, for this reason (counted once per note)."""
        if (key, rec.gon_id) not in self.skipped_notes:
            self.skipped_notes.add((key, rec.gon_id))
            self.summary.skipped[key] = self.summary.skipped.get(key, 0) + 1

    def fail(self, rec: GonRecord, reason: str, now: datetime) -> None:
        """The note failed: retried after a backoff that doubles per attempt (up to 6 h)."""
        move(rec, Event.FAILED, reason)
        rec.attempts += 1
        delay = timedelta(seconds=self.config.sync.interval_seconds) * (
            2 ** min(rec.attempts - 1, 12)
        )
        rec.next_attempt_at = now + min(delay, MAX_BACKOFF)
        self.summary.failed += 1
        self.summary.errors.append(f"GON {rec.gon_id}: {reason}")

    def attention(self, rec: GonRecord, reason: str) -> None:
        """The note needs a person; the reason says what to check."""
        move(rec, Event.NEEDS_PERSON, reason)
        self.summary.attention += 1


__all__ = ["CycleContext", "StopRequested", "short_error"]
