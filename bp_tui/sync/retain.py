"""Retain: at the end of a cycle, history older than ``sync.keep_days`` leaves the state.

Notes confirmed or cancelled (and unchanged) for longer than both ``sync.keep_days`` and
``sync.lookback_days`` go with their shipments (Discover's search covers ``lookback_days``, and
with ``shipped_action`` ``none`` or ``set_status`` Brightpearl lists a confirmed note as
unshipped: removed sooner, it would be found again as new and sent again), unless a
write of theirs is still open (recovery needs the note) or a label of theirs has work left;
then audit rows as old, never an open intent; then the pages freed are given back to the file
system, a slice at a time, so the file does not grow.

The deletions run in a worker thread on a connection of their own (``StateStore.worker``), in
batches of their own transactions (one statement each), while the event loop keeps serving the
dashboard on the cycle's connection (WAL: its reads go on during the deletions; SQLite lets go
of the GIL while it works). A stop request, or the cycle's task being cancelled, interrupts the
batch under way (rolled back whole) and ends the thread. A dry run (a rehearsal, whose writes
only its own connection sees and rolls back) runs the same batches on that connection, in the
loop.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from bp_tui.core.types import CycleSummary
from bp_tui.state import StateStore
from bp_tui.sync.context import CycleContext

# notes per transaction in the worker thread (one statement). Larger batches rewrite each page of
# the notes' indexes whose order is random against the notes' age (reference, tracking,
# customer) fewer times: 5,000 took 15 % less time than 2,000, and 20,000 (with the worker's
# 128 MB page cache) 15-25 % less than 5,000 (bench/README.md). A write of the dashboard's
# meanwhile (rare: the cycle's own writes are over), a retry, waits for the batch: about a
# second at a million notes, well within the connections' 30 s busy timeout.
BATCH = 20_000
LOOP_BATCH = 1000  # notes or audit rows per transaction in the loop (a dry run)
# audit rows per transaction in the worker thread: each statement ends by taking the GIL back
# from the busy dashboard (up to 5 ms), so the four audit rows per note go in larger transactions
# (still a tenth of a second or so: a write of the dashboard's meanwhile, a retry, waits that long)
AUDIT_BATCH = 20_000
VACUUM_PAGES = 4096  # pages given back per step (16 MB of 4 KB pages)
STOP_POLL_S = 0.1  # how often the loop looks for a stop request while the thread works


def retire(
    store: StateStore,
    before: datetime,
    summary: CycleSummary,
    should_stop: Callable[[], bool],
    removed: Callable[[int], object],
) -> None:
    """Every batch of retention on ``store``, until done or ``should_stop()``; ``removed(n)``
    after each batch of notes (``summary.removed`` already counts them). A batch interrupted
    (``StateStore.interrupt``) after a stop request is rolled back, and ends the pass."""
    try:
        while not should_stop() and (notes := store.retention.retire_batch(before, BATCH)):
            summary.removed += notes
            removed(summary.removed)
        while not should_stop() and store.retention.prune_audit(before, AUDIT_BATCH):
            pass
        while not should_stop() and store.retention.incremental_vacuum(VACUUM_PAGES):
            pass
    except sqlite3.OperationalError as exc:
        if not (should_stop() and "interrupt" in str(exc)):
            raise


class Retain:
    async def __call__(self, ctx: CycleContext) -> None:
        keep_days = ctx.config.sync.kept_days
        before = ctx.now() - timedelta(days=keep_days)

        def progress(removed: int) -> None:
            ctx.emit(
                "retain",
                removed,
                removed + BATCH,
                message=f"{removed} notes older than {keep_days} days removed",
            )

        start = ctx.summary.removed
        if ctx.store.rehearsing:
            await self._in_loop(ctx, before, progress)
        else:
            await self._in_thread(ctx, before, progress)
        await ctx.checkpoint()  # a stop request seen by the batches ends the cycle here
        if ctx.summary.removed > start:
            ctx.emit("retain", ctx.summary.removed, ctx.summary.removed)

    @staticmethod
    async def _in_thread(
        ctx: CycleContext, before: datetime, progress: Callable[[int], None]
    ) -> None:
        """The batches in a worker thread. A stop request (or the cycle's task cancelled) ends the
        thread within about STOP_POLL_S: the batch under way is interrupted and rolled back (a
        batch takes a second or more: 2-6 s on a busy machine at 500,000 notes), the batches done
        stay done; the thread's connection then closes without its checkpoint (the next one
        does it)."""
        loop = asyncio.get_running_loop()
        stopping = threading.Event()
        opened: list[StateStore] = []  # the thread's connection while open, for interrupt()
        guard = threading.Lock()  # never an interrupt while that connection closes

        def should_stop() -> bool:
            return stopping.is_set() or ctx.should_stop()

        def in_thread() -> None:
            store = ctx.store.worker()
            opened.append(store)
            try:
                retire(
                    store,
                    before,
                    ctx.summary,
                    should_stop,
                    lambda n: loop.call_soon_threadsafe(progress, n),
                )
            finally:
                with guard:
                    opened.clear()
                store.close(checkpoint=not should_stop())

        def stop() -> None:
            stopping.set()
            with guard:
                if opened:
                    opened[0].interrupt()  # (no statement under way: nothing happens; asked again)

        thread = asyncio.ensure_future(asyncio.to_thread(in_thread))
        try:
            while not thread.done():
                await asyncio.wait({thread}, timeout=STOP_POLL_S)
                if not thread.done() and should_stop():
                    stop()
        except asyncio.CancelledError:  # (a thread cannot be cancelled: it is stopped)
            stop()
            raise
        thread.result()

    @staticmethod
    async def _in_loop(
        ctx: CycleContext, before: datetime, progress: Callable[[int], None]
    ) -> None:
        """The same batches on the cycle's own connection, the loop running between them."""
        while notes := ctx.store.retention.retire_batch(before, LOOP_BATCH):
            ctx.summary.removed += notes
            progress(ctx.summary.removed)
            await ctx.checkpoint()
        while ctx.store.retention.prune_audit(before, LOOP_BATCH):
            await ctx.checkpoint()
        while ctx.store.retention.incremental_vacuum(VACUUM_PAGES):
            await ctx.checkpoint()
