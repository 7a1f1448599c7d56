"""Retain: at the end of a cycle, history older than ``sync.keep_days`` leaves the state.

Notes confirmed or cancelled (and unchanged) for longer go with their shipments, unless a
write of theirs is still open (recovery needs the note) or a label of theirs has work left;
then audit rows as old, never an open intent. Each batch is its own small transaction and
the event loop runs between batches (the dashboard keeps answering); then the pages freed
are given back to the file system, a slice at a time, so the file does not grow.
"""

from __future__ import annotations

from datetime import timedelta

from bp_tui.sync.context import CycleContext

BATCH = 1000  # notes (or audit rows) per transaction
VACUUM_PAGES = 2048  # pages given back per step (8 MB of 4 KB pages)


class Retain:
    async def __call__(self, ctx: CycleContext) -> None:
        before = ctx.now() - timedelta(days=ctx.config.sync.keep_days)
        removed = 0
        while ids := ctx.store.expired_gons(before, BATCH):
            notes, _shipments = ctx.store.remove_gons(ids)
            removed += notes
            ctx.summary.removed += notes
            ctx.emit("retain", removed, removed + BATCH, message=f"{removed} notes older than "
                     f"{ctx.config.sync.keep_days} days removed")
            await ctx.checkpoint()
        while ctx.store.prune_audit(before, BATCH):
            await ctx.checkpoint()
        while ctx.store.incremental_vacuum(VACUUM_PAGES):
            await ctx.checkpoint()
        if removed:
            ctx.emit("retain", removed, removed)
