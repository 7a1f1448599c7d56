"""One sync cycle, step by step (docs/cycle.md).

Every step is a small object called with the one ``CycleContext``; every write goes through
``ctx.writer``, which records the intent before sending and settles it after, so a crash at
any point followed by a new run ends with every note imported once and confirmed once.
"""

from __future__ import annotations

import time

from bp_tui.core.stages import Stage
from bp_tui.core.types import CycleSummary
from bp_tui.sync.confirm import Confirm
from bp_tui.sync.context import CycleContext
from bp_tui.sync.discover import Discover
from bp_tui.sync.hydrate import Hydrate
from bp_tui.sync.importer import Import
from bp_tui.sync.keep_in_step import KeepInStep
from bp_tui.sync.outbox import Outbox
from bp_tui.sync.parts import LearnParts
from bp_tui.sync.read_shipments import ReadShipments
from bp_tui.sync.recover import Recover
from bp_tui.sync.retain import Retain


async def run_cycle(
    ctx: CycleContext, *, do_import: bool = True, do_confirm: bool = True
) -> CycleSummary:
    """One cycle: the steps in order over ``ctx``; its summary. A CycleStop goes on to the
    caller once the summary has its call counts and duration. ``do_import=False`` /
    ``do_confirm=False`` leave out the import or the write-back steps (``sync --confirm-only`` /
    ``--import-only``)."""
    started = time.monotonic()
    bp_start, ss_start = ctx.bp.requests_sent, ctx.ss.requests_sent
    try:
        await Recover()(ctx)
        if do_import:
            plan = await Discover()(ctx)
            await Hydrate()(ctx, plan)
            await LearnParts()(
                ctx
            )  # splits and merges made in ShipStation, before any step acts on an order
            outbox = Outbox()  # the orders both steps queue; Import sends them
            await KeepInStep()(ctx, plan, outbox)
            await Import()(ctx, plan, outbox)
        elif do_confirm:
            await LearnParts()(ctx)
        if do_confirm:
            await ReadShipments()(ctx)
            await Confirm()(ctx)
        await Retain()(ctx)
        ctx.summary.failing = ctx.store.queue.count_stage(Stage.FAILED)
    finally:
        ctx.summary.api_calls = {
            "brightpearl": ctx.bp.requests_sent - bp_start,
            "shipstation": ctx.ss.requests_sent - ss_start,
        }
        ctx.summary.duration_s = time.monotonic() - started
    return ctx.summary
